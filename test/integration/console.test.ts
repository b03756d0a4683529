/**
 * The API serves the built console at `/` (api/console.ts): files with the right cache headers, the
 * console's client-side routes answered with index.html, the API's paths untouched, a clear page when
 * the console is not built (never a 500), and a CSP that keeps the page to its own origin.
 * The console here is a small fake build in a temporary folder (CONSOLE_DIR), so the test does not
 * depend on web/ being built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

const INDEX = '<!doctype html><html lang="zh-CN"><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("上门代办");';

let stack: TestStack;
let built: Awaited<ReturnType<typeof buildApp>>;
let missing: Awaited<ReturnType<typeof buildApp>>;
let dir: string;
let user: TestUser;

beforeAll(async () => {
  stack = await startStack();
  dir = mkdtempSync(join(tmpdir(), 'doorstep-console-'));
  mkdirSync(join(dir, 'dist/assets'), { recursive: true });
  writeFileSync(join(dir, 'dist/index.html'), INDEX);
  writeFileSync(join(dir, 'dist/assets/index-Ab12Cd34.js'), SCRIPT);
  writeFileSync(join(dir, 'dist/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  built = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, CONSOLE_DIR: join(dir, 'dist') } });
  missing = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, CONSOLE_DIR: join(dir, 'not-built') } });
  user = await makeUser(stack.db, 'coordinator', { counties: ['640121'] });
});
afterAll(async () => {
  await built?.close();
  await missing?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the built console', () => {
  it('serves index.html at / with no-cache, and hashed assets for a year', async () => {
    const page = await built.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toBe(INDEX);
    const asset = await built.inject({ url: '/assets/index-Ab12Cd34.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe(SCRIPT);
    expect((await built.inject({ url: '/favicon.svg' })).headers['cache-control']).toBe('no-cache');
  });

  it('answers the console’s own routes with index.html (deep links and reloads work)', async () => {
    for (const path of ['/login', '/cases/abc-123', '/worker/tasks?week=1', '/review']) {
      const res = await built.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.body, path).toBe(INDEX);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('leaves the API alone: unknown /v1 paths, missing files and other methods get problem+json, never index.html', async () => {
    expect((await built.inject({ url: '/v1/nothing-here' })).statusCode).toBe(401);
    const unknownApi = await built.inject({ url: '/v1/nothing-here', headers: user.auth });
    expect(unknownApi.statusCode).toBe(404);
    expect(unknownApi.headers['content-type']).toContain('application/problem+json');
    writeFileSync(join(dir, 'secret.txt'), 'outside the console');
    for (const path of ['/assets/gone-0000.js', '/docs/nothing', '/healthz/extra', '/metrics', '/assets/..%2f..%2fsecret.txt', '/..%2fsecret.txt']) {
      const res = await built.inject({ url: path });
      expect(res.statusCode, path).toBe(404);
      expect(res.body, path).not.toContain('<div id="root">');
      expect(res.body, path).not.toContain('outside the console');
    }
    const post = await built.inject({ method: 'POST', url: '/cases/abc' });
    expect(post.statusCode).toBe(404);
    expect(post.headers['content-type']).toContain('application/problem+json');
    expect((await built.inject({ url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    expect((await built.inject({ url: '/docs/json' })).json().openapi).toMatch(/^3\./);
    const me = await built.inject({ url: '/v1/me', headers: user.auth });
    expect(me.statusCode).toBe(200);
    expect(me.headers['content-type']).toContain('application/json');
  });

  it('sends a CSP that keeps the page to its own origin (no inline scripts, no plugins, not framed elsewhere)', async () => {
    const csp = String((await built.inject({ url: '/' })).headers['content-security-policy']);
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'self'"]);
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(directives['media-src']).toEqual(["'self'", 'blob:']);
    expect(directives['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toMatch(/https:|\*/);
  });
});

describe('no console built', () => {
  it('answers / and console routes with a page saying how to build it (503, Chinese and English), never a 500', async () => {
    for (const path of ['/', '/cases/abc-123', '/login']) {
      const res = await missing.inject({ url: path });
      expect(res.statusCode, path).toBe(503);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('控制台尚未构建');
      expect(res.body).toContain('has not been built');
      expect(res.body).toContain('npm run web:build');
    }
    expect((await missing.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await missing.inject({ url: '/v1/me', headers: user.auth })).statusCode).toBe(200);
  });

  it('serves a console built after the API started, without a restart', async () => {
    const later = join(dir, 'later');
    const app = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, CONSOLE_DIR: later } });
    try {
      expect((await app.inject({ url: '/' })).statusCode).toBe(503);
      mkdirSync(later, { recursive: true });
      writeFileSync(join(later, 'index.html'), INDEX);
      expect((await app.inject({ url: '/' })).body).toBe(INDEX);
      expect((await app.inject({ url: '/cases/x' })).body).toBe(INDEX);
    } finally {
      await app.close();
    }
  });
});
