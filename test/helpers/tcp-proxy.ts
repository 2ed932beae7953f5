import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a service on this machine, that a
 * test can take down and bring back: while down it cuts every connection
 * (open ones and new ones) at once, as a service that went away. For making
 * a shared service (the CI's Airflow) unreachable to one Sluice without
 * stopping it for the other tests.
 */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Down: connections are cut; up: they reach the target. */
  setUp(up: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, options: { up?: boolean } = {}): Promise<TcpProxy> {
  let up = options.up ?? true;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setUp(value) {
      up = value;
      if (!up) for (const socket of open) socket.destroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
