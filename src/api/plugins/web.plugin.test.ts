import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { webPlugin } from './web.plugin.js';

const appWith = async (root: string) => {
  const app = Fastify();
  await app.register(webPlugin, { root });
  await app.ready();
  return app;
};

describe('webPlugin', () => {
  it('serves the build, index.html for app paths, and leaves unknown /api paths to the 404 handler', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-web-'));
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = await appWith(root);

    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.headers['cache-control']).toBe('no-cache');
    expect(home.body).toContain('id="root"');

    const deep = await app.inject({ url: '/tables/orders?tab=rejected' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('id="root"');

    const asset = await app.inject({ url: '/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);

    expect((await app.inject({ url: '/api/nope' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/../package.json' })).body).toContain('id="root"');
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('shows the placeholder page, which says how to build the app, when there is no build', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-web-'));
    const app = await appWith(root);
    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('npm run build');
    expect((await app.inject({ url: '/tables' })).statusCode).toBe(404);
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });
});
