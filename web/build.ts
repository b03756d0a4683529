/**
 * The built console (web/dist), for bin/dev, the test run and `npm run web:build`:
 * `ensureConsoleBuilt()` builds it with Vite when it is missing or older than any of its sources
 * (web/src, web/index.html, web/vite.config.ts, the domain/ modules it imports, package-lock.json),
 * and returns the folder. `buildConsole(outDir)` always builds (the production build).
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WEB_ROOT = import.meta.dirname;
export const CONSOLE_DIST = resolve(WEB_ROOT, 'dist');
const ROOT = resolve(WEB_ROOT, '..');
const SOURCES = [resolve(WEB_ROOT, 'src'), resolve(WEB_ROOT, 'index.html'), resolve(WEB_ROOT, 'vite.config.ts'), resolve(ROOT, 'domain'), resolve(ROOT, 'package-lock.json')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when web/dist is missing or older than a source. */
export function consoleIsStale(dist = CONSOLE_DIST): boolean {
  const index = resolve(dist, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

/** Builds the console into `outDir` (a sibling temporary folder first, then swapped in, so a reader never sees half a build). */
export async function buildConsole(outDir = CONSOLE_DIST, log: (msg: string) => void = () => {}): Promise<string> {
  const { build } = await import('vite');
  const t0 = Date.now();
  const tmp = `${outDir}.tmp-${process.pid}`;
  // Production React, JSX and Ant Design even when the caller runs with NODE_ENV=test (the test run's global setup).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: resolve(WEB_ROOT, 'vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir: tmp, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV; else process.env.NODE_ENV = nodeEnv;
  }
  rmSync(`${outDir}.old-${process.pid}`, { recursive: true, force: true });
  if (existsSync(outDir)) renameSync(outDir, `${outDir}.old-${process.pid}`);
  renameSync(tmp, outDir);
  rmSync(`${outDir}.old-${process.pid}`, { recursive: true, force: true });
  log(`built the console into ${outDir} in ${Date.now() - t0} ms`);
  return outDir;
}

/** web/dist, built first when missing or stale. */
export async function ensureConsoleBuilt(log: (msg: string) => void = () => {}): Promise<string> {
  if (consoleIsStale()) await buildConsole(CONSOLE_DIST, log);
  return CONSOLE_DIST;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const force = process.argv.includes('--force');
  const dir = force ? await buildConsole(CONSOLE_DIST, console.log) : await ensureConsoleBuilt(console.log);
  console.log(`console: ${dir}`);
}
