/**
 * B7 console weight: the JavaScript a field worker's phone downloads on first load, gzipped. The
 * console is built from the current sources into a temporary folder; Vite's manifest says which chunks
 * a page needs (the entry and its static imports, then the route's lazy chunk and its static imports),
 * and each chunk is gzipped (level 6, what a web server's on-the-fly compression sends).
 * Target: under 300 KB for 我的任务 (/tasks, the worker's home) and for a task opened from a link
 * (/tasks/:id). Reference measured in the same run: all of the console's JavaScript, every page of every
 * role, gzipped alike, so the ratio says what share of the app a worker's first load costs.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildConsole } from '../web/build';
import type { Benchmark } from './context';
import { boundFigure, infoFigure } from './report';
import { round } from './stats';

type Manifest = Record<string, { file: string; imports?: string[]; dynamicImports?: string[]; isEntry?: boolean; css?: string[] }>;

const TARGET_KB = 300;
/** The worker's pages (web/src/routes.tsx), and the login page a first visit without a session shows. */
const WORKER_PAGES = { tasks: 'src/pages/worker/MyTasks.tsx', task: 'src/pages/worker/TaskPage.tsx', queue: 'src/pages/worker/QueuePage.tsx', plans: 'src/pages/worker/Plans.tsx' };
const LOGIN = 'src/pages/LoginPage.tsx';

/** The chunk files a module needs before it runs: itself and its static imports, transitively. */
export function staticClosure(manifest: Manifest, key: string, into = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || into.has(chunk.file)) return into;
  into.add(chunk.file);
  for (const dep of chunk.imports ?? []) staticClosure(manifest, dep, into);
  return into;
}

export const b7Console: Benchmark = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'doorstep-console-'));
  const out = resolve(dir, 'dist');
  try {
    await buildConsole(out, ctx.log);
    const manifest = JSON.parse(readFileSync(resolve(out, '.vite', 'manifest.json'), 'utf8')) as Manifest;
    const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
    if (!entry) throw new Error('no entry chunk in the console manifest');
    for (const page of [...Object.values(WORKER_PAGES), LOGIN]) if (!manifest[page]) throw new Error(`${page} is not a chunk of its own (route not lazily loaded?)`);
    const gz = new Map<string, number>();
    const sizeOf = (file: string) => {
      if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(resolve(out, file)), { level: 6 }).length);
      return gz.get(file)!;
    };
    const kb = (files: Set<string>) => round([...files].reduce((s, f) => s + sizeOf(f), 0) / 1024, 1);
    const pageLoad = (page: string) => staticClosure(manifest, page, staticClosure(manifest, entry));

    const allJs = new Set(readdirSync(resolve(out, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`));
    const reference = { name: 'all of the console\'s JavaScript, gzipped', value: kb(allJs), unit: 'KB' };
    const tasks = pageLoad(WORKER_PAGES.tasks);
    const task = pageLoad(WORKER_PAGES.task);
    const everything = new Set([...Object.values(WORKER_PAGES), LOGIN].flatMap((p) => [...pageLoad(p)]));
    const figure = (name: string, files: Set<string>) => {
      const value = kb(files);
      return boundFigure({
        id: 'B7', name, value, unit: 'KB', max: TARGET_KB, reference, ratio: round(value / reference.value, 3),
        details: { chunks: files.size, files: [...files].sort().map((f) => `${f} ${round(sizeOf(f) / 1024, 1)} KB`) },
      });
    };
    return [
      figure('worker first load, 我的任务 (/tasks): JS gzipped', tasks),
      figure('worker first load, a task (/tasks/:id): JS gzipped', task),
      infoFigure({
        id: 'B7', name: 'every worker page and the login page together: JS gzipped', value: kb(everything), unit: 'KB', reference,
        ratio: round(kb(everything) / reference.value, 3), details: { chunks: everything.size },
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
