/**
 * The browser console (web/, built into CONSOLE_DIR, default web/dist) served at `/`:
 * - files as they are (@fastify/static sendFile): hashed assets (`/assets/…`) cached for a year, immutable;
 *   index.html and everything else `no-cache` (revalidated each time, so a new build shows at once);
 * - any other GET that is not the API's (`/v1`, `/docs`, `/healthz`, `/readyz`, `/metrics`, `/codec`)
 *   and names no file (no extension) gets index.html: the console's router owns those paths;
 * - no build yet: a page in Chinese and English saying how to build it (503), never a 500.
 * The CSP (api/app.ts) lets the console load only from its own origin.
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Where the built console is unless CONSOLE_DIR says otherwise: web/dist next to api/ (in the source
 * tree, and in the production build, which mirrors the tree: bin/build.ts).
 */
export const DEFAULT_CONSOLE_DIR = resolve(import.meta.dirname, '..', 'web', 'dist');

/** The console folder a configuration names. */
export const consoleDir = (configured: string | undefined): string => (configured ? resolve(configured) : DEFAULT_CONSOLE_DIR);

/** Path prefixes that are never the console's (they answer their own 404). */
const NOT_CONSOLE = ['/v1', '/docs', '/healthz', '/readyz', '/metrics', '/codec'];

const isConsolePath = (path: string) => !NOT_CONSOLE.some((p) => path === p || path.startsWith(`${p}/`));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>控制台尚未构建 · Console not built</title></head>
<body style="font-family: system-ui, 'Noto Sans CJK SC', sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.6">
<h1>上门代办控制台尚未构建</h1>
<p>API 正在运行（<a href="/docs">接口文档</a>），但浏览器控制台还没有构建。请在项目目录运行 <code>npm run web:build</code>，然后刷新本页；<code>npm run dev</code> 会自动构建。</p>
<h2 lang="en">The doorstep console has not been built</h2>
<p lang="en">The API is running (<a href="/docs">API docs</a>), but the browser console is not built yet. Run <code>npm run web:build</code> in the project folder and reload this page; <code>npm run dev</code> builds it for you.</p>
</body></html>
`;

/** Cache headers by file: hashed assets forever, the rest revalidated. */
function cacheHeaders(reply: FastifyReply, path: string): void {
  void reply.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * Gives replies `sendFile` over the console's folder. No route is registered: files are served by
 * consoleFallback when no API route matched, so the API's own answers (404, 414 …) stay as they were.
 */
export const consolePlugin = fp(async (app: FastifyInstance, opts: { dir: string }) => {
  await app.register(fastifyStatic, { root: opts.dir, serve: false, cacheControl: false, setHeaders: cacheHeaders });
}, { name: 'doorstep-console' });

/**
 * The not-found answer for console paths: the file when the build has it, index.html for a client-side
 * route (no extension), the "not built" page when there is no build. Undefined when the request is not
 * the console's, or names a file that is not there (the API's own 404 follows).
 */
export function consoleFallback(dir: string) {
  const index = resolve(dir, 'index.html');
  // Looked up per request: a console built while the API runs is served without a restart.
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const path = request.url.split('?')[0];
    if (!isConsolePath(path)) return undefined;
    if (!existsSync(index)) {
      return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    const lastSegment = path.slice(path.lastIndexOf('/') + 1);
    if (!lastSegment.includes('.')) return reply.sendFile('index.html', dir);
    let file: string;
    try {
      file = resolve(dir, `.${decodeURIComponent(path)}`);
    } catch {
      return undefined;
    }
    if (!file.startsWith(`${dir}${sep}`) || !existsSync(file) || !statSync(file).isFile()) return undefined;
    return reply.sendFile(relative(dir, file), dir);
  };
}
