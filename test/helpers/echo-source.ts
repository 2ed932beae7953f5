import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/index.js';

/**
 * A hostile source on loopback that answers every credential it was sent
 * back to the caller, as careless APIs do: in 401, 403, 500, HTML and
 * non-JSON bodies, at the end of a long body (where a message would cut
 * it), in redirects and in the next page's URL; its OAuth token endpoint
 * echoes a client secret it refuses. Used to prove that Sluice repeats none
 * of them anywhere.
 */
export interface EchoSource {
  url: string;
  /** OAuth access tokens it issued (hunt these too). */
  accessTokens: string[];
  close(): Promise<void>;
}

/** Paths of the answers that echo credentials. */
export const ECHO_PATHS = ['/401', '/403-text', '/500', '/html', '/notjson', '/401-long', '/redirect', '/next'] as const;

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/** Every credential-looking value a request carried: header values, the credential after a scheme, Basic's decoded parts, query values. */
function credentialsOf(req: http.IncomingMessage, url: URL): string[] {
  const seen: string[] = [];
  for (const name of ['authorization', 'x-api-key', 'x-custom-token']) {
    const value = req.headers[name];
    if (typeof value !== 'string') continue;
    seen.push(value);
    const scheme = /^(\S+)\s+(.+)$/.exec(value);
    if (scheme) {
      seen.push(scheme[2]!);
      if (scheme[1]!.toLowerCase() === 'basic') {
        const plain = Buffer.from(scheme[2]!, 'base64').toString('utf8');
        seen.push(plain, plain.slice(plain.indexOf(':') + 1));
      }
    }
  }
  for (const [name, value] of url.searchParams) if (!['hop', 'session'].includes(name)) seen.push(value);
  return seen;
}

export async function startEchoSource(options: { clientSecret: string }): Promise<EchoSource> {
  const accessTokens: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://echo');
      const body = Buffer.concat(chunks).toString('utf8');
      const creds = credentialsOf(req, url);
      const echoes = creds.flatMap((c) => [c, encodeURIComponent(c)]);
      const send = (status: number, type: string, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': type, ...headers });
        res.end(text);
      };
      const json = (status: number, value: unknown) => send(status, 'application/json', JSON.stringify(value));

      switch (url.pathname) {
        case '/oauth/token': {
          const form = new URLSearchParams(body);
          const basic = creds.find((c) => c.startsWith('Basic '));
          const given = form.get('client_secret') ?? (basic ? decode(Buffer.from(basic.slice(6), 'base64').toString('utf8').split(':')[1] ?? '') : '');
          if (given !== options.clientSecret) return json(401, { error: 'invalid_client', error_description: `unknown client secret ${given}` });
          const token = `${randomBytes(8).toString('hex')}-oat/${randomBytes(8).toString('hex')}`;
          accessTokens.push(token);
          return json(200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
        }
        case '/oauth/token-echo': {
          const given = new URLSearchParams(body).get('client_secret') ?? '';
          return json(400, { error: 'invalid_client', error_description: `client secret ${given} (${encodeURIComponent(given)}) was revoked` });
        }
        case '/401':
          return json(401, { error: 'invalid credentials', received: echoes });
        case '/403-text':
          return send(403, 'text/plain', `Forbidden. You sent: ${echoes.join(' and ')}`);
        case '/500':
          return send(500, 'text/plain', `Internal error while checking ${echoes.join(', ')}`);
        case '/html':
          return send(200, 'text/html', `<html><body><h1>Bad key</h1><p>${echoes.join('<br>')}</p></body></html>`);
        case '/notjson':
          // Starts with the credential: JSON.parse's message quotes the first characters of the text.
          return send(200, 'text/plain', `${creds[1] ?? creds[0] ?? ''} is not accepted here`);
        case '/401-long':
          // The credential straddles where a message cuts the body (200 characters).
          return send(401, 'text/plain', `${'x'.repeat(190)} ${creds.join(' ')}`);
        case '/redirect': {
          const hop = Number(url.searchParams.get('hop') ?? 0) + 1;
          const echo = encodeURIComponent(creds[1] ?? creds[0] ?? '');
          return send(302, 'text/plain', '', { location: `/redirect?hop=${hop}&echo=${echo}&${url.search.slice(1)}` });
        }
        case '/next':
          return json(200, { data: [{ id: 1, name: 'first' }], next: `/401?session=${encodeURIComponent(creds[1] ?? creds[0] ?? '')}` });
        default:
          return json(404, { error: 'no such path' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accessTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The forms in which a leaked secret would be found: as is, percent-encoded (either hex case, or as a form), base64, and its first 12 characters (a secret cut short). */
export function leakForms(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  return [
    secret,
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ s: secret }).toString().slice(2),
    Buffer.from(secret, 'utf8').toString('base64'),
    secret.slice(0, 12),
  ];
}

/** Every place in `texts` where one of the named secrets shows, in any of its forms; empty when none does. */
export function findLeaks(texts: { where: string; text: string }[], secrets: Record<string, string>): string[] {
  const hunted = Object.entries(secrets).flatMap(([name, secret]) => leakForms(secret).map((form) => ({ name, form })));
  const leaks: string[] = [];
  for (const { where, text } of texts) {
    for (const { name, form } of hunted) {
      const at = text.indexOf(form);
      if (at >= 0) leaks.push(`${where}: ${name} as ${JSON.stringify(form)} in …${text.slice(Math.max(0, at - 60), at + form.length + 20)}…`);
    }
  }
  return [...new Set(leaks)];
}

/** Every row of every table of a database, as JSON text: what a leak hunt searches. */
export async function dumpTables(db: Database): Promise<{ where: string; text: string }[]> {
  const { rows: tables } = await db.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  const out: { where: string; text: string }[] = [];
  for (const { schema, name } of tables) {
    const { rows } = await db.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM "${schema}"."${name}" t`);
    out.push({ where: `table ${schema}.${name}`, text: rows.map((r) => r.r).join('\n') });
  }
  return out;
}
