import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, pgliteDir } from '../src/db/index.js';
import { runSluice, startSluice, type CliResult } from './helpers/cli.js';
import { dumpTables, findLeaks, startEchoSource, type EchoSource } from './helpers/echo-source.js';

/**
 * Issue 13, item 3, as an operator meets it: `sluice start` and `sluice run`
 * as processes on an embedded data directory, a source echoing the
 * credentials it gets. Neither the server's log, nor `sluice run`'s output
 * (through the server, and running the pipeline itself), nor any row of
 * the database holds one of them.
 */
describe('no secret leaks from sluice start and sluice run', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-leaks-'));
  // Info level: the task log lines reach the server log too.
  const env = { SLUICE_HTTP_ALLOW_PRIVATE: 'true', SLUICE_ADMIN_PASSWORD: 'admin-password-1', SLUICE_LOG_LEVEL: 'info' };
  const SECRETS = {
    bearer: `${randomBytes(8).toString('hex')}/cli+Bearer=`,
    password: `${randomBytes(8).toString('hex')}:cli/pw+`,
    clientSecret: `${randomBytes(8).toString('hex')}/cli-cs`,
  };
  let source: EchoSource;

  beforeAll(async () => {
    source = await startEchoSource({ clientSecret: SECRETS.clientSecret });
  });
  afterAll(async () => {
    await source?.close();
  });

  it('keeps every echoed credential out of the server log, the CLI output and the database', async () => {
    const outputs: { where: string; text: string }[] = [];
    const record = (where: string, result: CliResult) => outputs.push({ where, text: `${result.stdout}\n${result.stderr}` });
    const connections = {
      'cli-bearer': { baseUrl: `${source.url}/401`, auth: { type: 'bearer', token: SECRETS.bearer } },
      'cli-basic': { baseUrl: `${source.url}/403-text`, auth: { type: 'basic', username: 'cli-user', password: SECRETS.password } },
      'cli-oauth': {
        baseUrl: `${source.url}/next`,
        pagination: { type: 'nextUrl', nextUrlPath: '$.next' },
        auth: { type: 'oauth2ClientCredentials', tokenUrl: `${source.url}/oauth/token`, clientId: 'cli-client', clientSecret: SECRETS.clientSecret },
      },
    };

    const server = await startSluice({ cwd, env });
    try {
      const login = await fetch(new URL('/api/auth/login', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@sluice.local', password: 'admin-password-1' }),
      });
      const { token } = (await login.json()) as { token: string };
      for (const [id, apiConfig] of Object.entries(connections)) {
        const res = await fetch(new URL('/api/connections', server.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ id, name: id, apiConfig: { ...apiConfig, retry: { maxAttempts: 1 } } }),
        });
        expect(res.status, await res.text()).toBe(201);
      }
      for (const id of Object.keys(connections)) {
        const viaServer = await runSluice(['run', id, '--wait'], { cwd, env, timeoutMs: 60_000 });
        record(`sluice run ${id} --wait (through the server)`, viaServer);
        expect(viaServer.code, viaServer.stderr).toBe(1);
        expect(viaServer.stderr).toMatch(/error: run \S+ failed: extract: /);
      }
    } finally {
      await server.stop();
      outputs.push({ where: 'server output', text: server.output() });
    }
    // With no server holding the data directory, `sluice run` runs the pipeline itself (and gets its own OAuth token).
    const here = await runSluice(['run', 'cli-oauth', '--json'], { cwd, env, timeoutMs: 60_000 });
    record('sluice run cli-oauth --json (in its own process)', here);
    expect(here.code, here.stderr).toBe(1);

    const db = await PgliteDatabase.open(pgliteDir(path.join(cwd, '.sluice')));
    try {
      outputs.push(...(await dumpTables(db)));
    } finally {
      await db.close();
    }
    // The hunt would see them: the outputs and the tables hold the sources' answers.
    expect(outputs.map((o) => o.text).join('\n')).toMatch(/refused the credentials \(401\)/);
    expect(outputs.find((o) => o.where === 'server output')?.text).toMatch(/refused the credentials \(401\)/);
    expect(source.accessTokens.length).toBeGreaterThan(0);
    const hunted = {
      ...SECRETS,
      basicHeader: Buffer.from(`cli-user:${SECRETS.password}`).toString('base64'),
      ...Object.fromEntries(source.accessTokens.map((t, i) => [`accessToken${i}`, t])),
    };
    expect(findLeaks(outputs, hunted)).toEqual([]);
  }, 180_000);
});
