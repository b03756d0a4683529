/**
 * `npm run bench`: starts what the benchmarks need (its own database, Temporal dev server, worker and
 * API), runs B1–B5 (or --only some), prints the table and writes bench/results/<timestamp>.json and
 * latest.json. Every figure that can be is a ratio against a reference measured in this same run, so
 * it means the same on a noisy machine; absolute times stand beside it for context.
 */
import { randomBytes } from 'node:crypto';
import type { Benchmark, BenchContext } from './context';
import { pgServer, startStack, type Stack } from './env';
import { parseOptions, type BenchId } from './options';
import { formatTable, gitInfo, machineInfo, markdownTable, missingFigure, writeResults, type Figure } from './report';

/** Each benchmark is loaded only when selected, so one whose code has not landed cannot break the others. */
const LOADERS: Record<BenchId, () => Promise<Benchmark>> = {
  B1: async () => (await import('./b1Start')).b1Start,
  B2: async () => (await import('./b2Lifecycle')).b2Lifecycle,
  B3: async () => (await import('./b3Supervision')).b3Supervision,
  B4: async () => (await import('./b4Export')).b4Export,
  B5: async () => (await import('./b5Statistics')).b5Statistics,
  B6: async () => (await import('./b6Import')).b6Import,
  B7: async () => (await import('./b7Console')).b7Console,
};

const TARGETS: Record<BenchId, { name: string; target: Figure['target']; unit: string }> = {
  B1: { name: 'cases started/s via POST /v1/cases', target: { kind: 'ratio', min: 0.8 }, unit: '/s' },
  B2: { name: 'cases closed/s over HTTP', target: { kind: 'ratio', min: 0.7 }, unit: '/s' },
  B3: { name: 'overdue page p99 (1M cases)', target: { kind: 'max', max: 50 }, unit: 'ms' },
  B4: { name: 'ledger XLSX export', target: { kind: 'max', max: 10 }, unit: 's' },
  B5: { name: 'quarterly statistics', target: { kind: 'max', max: 0.5 }, unit: 's' },
  B6: { name: 'roster dry run (100k rows)', target: { kind: 'max', max: 60 }, unit: 's' },
  B7: { name: 'worker first load: JS gzipped', target: { kind: 'max', max: 300 }, unit: 'KB' },
};

export interface RunResult { runId: string; figures: Figure[]; notes: string[]; file?: string }

/** Runs the bench with these command-line arguments; returns the figures (used by the smoke test too). */
export async function runBench(
  argv: string[], log: (s: string) => void = (s) => console.error(s), env: { databaseUrl?: string } = {},
): Promise<RunResult> {
  const opts = parseOptions(argv);
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().slice(0, 19).replace(/\D/g, '')}_${randomBytes(3).toString('hex')}`;
  const machineAtStart = machineInfo();
  const notes: string[] = [];
  const figures: Figure[] = [];
  const server = await pgServer(log, env.databaseUrl);
  let stack: Promise<Stack> | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => log(`cleanup: ${String(e)}`));
    if (stack) await (await stack.catch(() => undefined))?.stop();
    await server.stop().catch(() => {});
  };
  const ctx: BenchContext = {
    opts, server, runId, log,
    atEnd: (fn) => { cleanups.push(fn); },
    note: (line) => { notes.push(line); log(`note: ${line}`); },
    stack: () => (stack ??= startStack(server, runId, log)),
  };
  // Ctrl-C: stop the children and drop the databases before leaving.
  const onSignal = () => {
    log('interrupted: stopping…');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const id of opts.only) {
      log(`${id}…`);
      const t0 = Date.now();
      try {
        const bench = await LOADERS[id]();
        figures.push(...(await bench(ctx)));
      } catch (e) {
        const why = (e as Error).stack ?? String(e);
        ctx.note(`${id} could not be measured: ${String((e as Error).message ?? e).split('\n')[0]}`);
        figures.push(missingFigure(id, TARGETS[id].name, TARGETS[id].target, TARGETS[id].unit, why.slice(0, 2000)));
      }
      log(`${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
  const finishedAt = new Date();
  const run = {
    startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), options: opts, git: gitInfo(),
    machine: { ...machineAtStart, loadAverageAtEnd: machineInfo().loadAverage, postgres: server.version },
    figures, notes, markdown: markdownTable(figures),
  };
  const file = opts.noWrite ? undefined : writeResults(run, startedAt);
  return { runId, figures, notes, file };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let result: RunResult;
  try {
    result = await runBench(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message ?? e);
    process.exit(2);
  }
  console.log(`\n${formatTable(result.figures)}\n`);
  for (const n of result.notes) console.log(`note: ${n}`);
  if (result.file) console.log(`results: ${result.file} (and bench/results/latest.json)`);
  process.exit(0);
}
