import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { placeholderPage } from '../placeholder-page.js';

/** Where `npm run build:web` writes the web app; the same from src/api/plugins and dist/api/plugins. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface WebPluginOptions {
  /** The built web app; WEB_DIST unless a test points elsewhere. */
  root?: string;
}

/**
 * Serves the web app at `/`: the files of its build, and index.html for every
 * other path outside /api so that the browser's router shows the page (a
 * reload of /tables/orders works). Without a build, `/` is the placeholder
 * page that says how to build one. Unknown /api paths keep their JSON 404.
 */
export async function webPlugin(app: FastifyInstance, options: WebPluginOptions): Promise<void> {
  const root = options.root ?? WEB_DIST;
  if (!existsSync(path.join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(placeholderPage()));
    return;
  }
  // serve: false: only reply.sendFile; the route below decides what each path gets.
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const pathname = decodeURIComponent(request.url.split('?')[0] ?? '/');
    if (pathname === '/api' || pathname.startsWith('/api/')) return reply.callNotFound();
    const file = pathname.replace(/^\/+/, '');
    if (file && isFileUnder(root, file)) {
      // Vite names every asset by its content hash: it may be cached for good.
      const hashed = file.startsWith('assets/');
      return reply.sendFile(file, { cacheControl: true, maxAge: hashed ? '365d' : 0, immutable: hashed });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
}

function isFileUnder(root: string, relative: string): boolean {
  const full = path.resolve(root, relative);
  if (!full.startsWith(root + path.sep)) return false;
  try {
    return statSync(full).isFile();
  } catch {
    return false;
  }
}
