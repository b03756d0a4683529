/**
 * B4 export: one county department's month ledger of 100,000 rows as XLSX (GET /v1/ledger?format=xlsx),
 * served by a child process that does only the export: seconds to the last byte and the child's peak
 * RSS (VmHWM). Targets: under 10 s and under 200 MB (the export must stream). The child runs as
 * production runs the API: compiled by `bin/build.ts` (esbuild) and started with plain node. References
 * measured in the same run: the same month as CSV (same rows and query, no spreadsheet) from a fresh
 * child, the RSS of the export child before the export (what the process costs doing nothing), and the
 * same XLSX export from the TypeScript sources under tsx (what the loader costs).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { parse } from 'yaml';
import { compile } from '../bin/build';
import { projectRoot } from '../temporal/binaries';
import { makeUser } from '../test/support/fixtures';
import type { Benchmark, BenchContext } from './context';
import { cpuSeconds, spawnChild, waitFor } from './env';
import { LEDGER_KEY, readModel } from './readModel';
import { boundFigure, infoFigure } from './report';
import { round } from './stats';

/** VmHWM (peak resident set) and VmRSS of a process, in MB. */
function memory(pid: number): { peakMB: number; rssMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMB: round(kb('VmHWM') / 1024, 1), rssMB: round(kb('VmRSS') / 1024, 1) };
}

/**
 * The node flags production starts the API with: docker-compose.yml's API command between `node` and
 * the script (the Dockerfile's CMD says the same; test/unit/compose.test.ts checks both).
 */
export function apiNodeFlags(): string[] {
  const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command?: string[] }> };
  const cmd = compose.services['api-1'].command ?? [];
  return cmd.slice(1, -1);
}

interface ExportRun { seconds: number; bytes: number; peakMB: number; idlePeakMB: number; idleRssMB: number; cpuSeconds: number; file: string }

/** How the export child runs: the compiled build's JS with plain node, or the TypeScript source under tsx. */
type Runner = { compiled: true; script: string } | { compiled: false };

/** Compiles the export child as `npm run build` compiles the API (into a temporary folder that sees node_modules). */
async function compiledRunner(dir: string): Promise<Runner> {
  await compile({ outDir: join(dir, 'dist'), entryPoints: ['bench/exportServer.ts'], workflows: false });
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  return { compiled: true, script: join(dir, 'dist/bin/exportServer.js') };
}

/** Starts a fresh export child, warms it up, downloads the month in `format` to a file. */
async function exportOnce(ctx: BenchContext, url: string, token: string, format: 'xlsx' | 'csv', dir: string, runner: Runner, nodeFlags: string[] = [], name = 'ledger'): Promise<ExportRun> {
  const script = runner.compiled ? runner.script : 'bench/exportServer.ts';
  const env = { DATABASE_URL: url, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000', NODE_ENV: 'production' };
  const child = spawnChild(`export-${format}${runner.compiled ? '' : '-tsx'}`, [...nodeFlags, script], env, ctx.log, { compiled: runner.compiled });
  try {
    let port = 0;
    await waitFor('export server', () => {
      const line = child.output.find((l) => l.startsWith('export server listening '));
      if (line) port = Number(line.split(' ').pop());
      return port > 0;
    }, 120_000, child);
    const base = `http://127.0.0.1:${port}/v1/ledger?county=${LEDGER_KEY.county}&department=${LEDGER_KEY.department}&month=${LEDGER_KEY.month}`;
    const headers = { authorization: `Bearer ${token}` };
    // Warm-up: the route, auth and the pool are loaded before the measurement.
    const warm = await fetch(`${base}&format=json&limit=10`, { headers });
    if (!warm.ok) throw new Error(`ledger warm-up → ${warm.status}: ${await warm.text()}`);
    await warm.arrayBuffer();
    const idle = memory(child.pid);
    const cpu0 = cpuSeconds(child.pid);
    const file = join(dir, `${name}.${format}`);
    const t0 = process.hrtime.bigint();
    // A child that dies mid-export (out of heap, say) ends the download instead of leaving it hanging.
    const aborted = new AbortController();
    child.process.once('exit', () => aborted.abort(new Error(`export-${format} exited during the download`)));
    const res = await fetch(`${base}&format=${format}`, { headers, signal: aborted.signal });
    if (!res.ok || !res.body) throw new Error(`ledger export → ${res.status}: ${await res.text()}`);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file), { signal: aborted.signal });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = memory(child.pid);
    return {
      seconds: round(seconds, 2), bytes: statSync(file).size, peakMB: after.peakMB, idlePeakMB: idle.peakMB, idleRssMB: idle.rssMB,
      cpuSeconds: round(cpuSeconds(child.pid) - cpu0, 2), file,
    };
  } finally {
    await child.stop();
  }
}

/** Rows of the first sheet, read back with the streaming reader (checks the file is whole). */
async function xlsxRows(file: string): Promise<number> {
  let n = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore' });
  for await (const sheet of reader) {
    for await (const _row of sheet) n++;
    break;
  }
  return n;
}

export const b4Export: Benchmark = async (ctx) => {
  const rm = await readModel(ctx);
  const [{ n: monthRows }] = await rm.db.$client<{ n: number }[]>`
    select count(*)::int as n from ledger_entries where county = ${LEDGER_KEY.county} and department = ${LEDGER_KEY.department} and month = ${LEDGER_KEY.month}`;
  const user = await makeUser(rm.db, 'supervisor', { cityLevel: true });
  const dir = mkdtempSync(join(tmpdir(), 'doorstep-bench-b4-'));
  try {
    const compiled = await compiledRunner(join(dir, 'build'));
    const flags = apiNodeFlags();
    const xlsx = await exportOnce(ctx, rm.url, user.token, 'xlsx', dir, compiled, flags);
    const csv = await exportOnce(ctx, rm.url, user.token, 'csv', dir, compiled, flags);
    const tsx = await exportOnce(ctx, rm.url, user.token, 'xlsx', dir, { compiled: false }, flags, 'ledger-tsx');
    // Diagnosis: the same XLSX export without production's flags (V8's default heap sizing): what it
    // holds above the bounded run is garbage V8 has not collected yet (it grows its heap lazily), not
    // rows kept in memory: the export streams.
    const unbounded = await exportOnce(ctx, rm.url, user.token, 'xlsx', dir, compiled, [], 'ledger-unbounded').catch((e: Error) => ({ error: e.message.slice(0, 300) }));
    const sheetRows = await xlsxRows(xlsx.file);
    const csvLines = readFileSync(csv.file, 'utf8').split('\r\n').filter(Boolean).length;
    const details = {
      monthRows, ledger: LEDGER_KEY, xlsx: { ...xlsx, file: undefined, sheetRows, mb: round(xlsx.bytes / 2 ** 20, 1) },
      csv: { ...csv, file: undefined, lines: csvLines, mb: round(csv.bytes / 2 ** 20, 1) },
      tsx: { ...tsx, file: undefined },
      rowsPerSecond: round(monthRows / xlsx.seconds, 0),
      nodeFlags: flags,
      withoutFlags: 'error' in unbounded ? unbounded : { ...unbounded, file: undefined },
    };
    if (sheetRows < monthRows) ctx.note(`B4: the XLSX holds ${sheetRows} sheet rows for ${monthRows} ledger rows (truncated?)`);
    return [
      boundFigure({
        id: 'B4', name: `ledger XLSX, ${monthRows.toLocaleString('en')} rows: time`, value: xlsx.seconds, unit: 's', max: 10,
        reference: { name: 'same month as CSV', value: csv.seconds, unit: 's' }, ratio: round(xlsx.seconds / csv.seconds, 2), details,
      }),
      boundFigure({
        id: 'B4', name: `ledger XLSX: peak RSS of the export process (${flags.join(' ') || 'no flags'})`, value: xlsx.peakMB, unit: 'MB', max: 200,
        reference: { name: 'same process before the export', value: xlsx.idleRssMB, unit: 'MB' }, ratio: round(xlsx.peakMB / xlsx.idleRssMB, 2),
      }),
      infoFigure({ id: 'B4', name: 'ledger CSV: peak RSS of the export process', value: csv.peakMB, unit: 'MB' }),
      infoFigure({ id: 'B4', name: 'idle RSS of the export process, compiled (plain node)', value: xlsx.idleRssMB, unit: 'MB' }),
      infoFigure({ id: 'B4', name: 'idle RSS of the export process, TypeScript under tsx', value: tsx.idleRssMB, unit: 'MB' }),
      infoFigure({ id: 'B4', name: 'ledger XLSX under tsx: peak RSS / time', value: tsx.peakMB, unit: 'MB', details: { seconds: tsx.seconds } }),
      infoFigure({
        id: 'B4', name: 'ledger XLSX without those flags (V8 default heap sizing): peak RSS', value: 'error' in unbounded ? NaN : unbounded.peakMB, unit: 'MB',
        details: 'error' in unbounded ? unbounded : { seconds: unbounded.seconds, bytes: unbounded.bytes },
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
