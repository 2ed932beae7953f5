import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatedSource {
  url: string;
  /** How many times page 2 was asked for (a retried extract asks again). */
  page2Asked(): number;
  /** Lets page 2 (and every later ask for it) answer. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A paged REST source on loopback (`/items?page=N`, 50 records a page, a
 * `next` link) whose second page waits until `release()`: a test holds an
 * extract mid-way to do something to Sluice meanwhile (kill it, cut its
 * database). It stands for the outside world.
 */
export async function startGatedSource(records: number): Promise<GatedSource> {
  let asked = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const all = Array.from({ length: records }, (_, i) => ({ id: i + 1, name: `record ${i + 1}` }));
  const server: Server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: all.slice((page - 1) * 50, page * 50), next: page * 50 < all.length ? `/items?page=${page + 1}` : null }));
    };
    if (page === 2) {
      asked += 1;
      void gate.then(answer);
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page2Asked: () => asked,
    release: () => open(),
    close: async () => {
      open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
