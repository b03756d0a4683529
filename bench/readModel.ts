/**
 * The read model of B3–B5: 1,000,000 cases (by default) with their timelines, plans and ledger rows,
 * from test/support/generate.ts (realistic counties, items, catalog deadlines, valid ID numbers),
 * written with COPY; plus one county department's month ledger of `ledgerRows` rows for B4. Fixed
 * dates: cases open over the year before NOW, so B5's quarter (2025-Q2) has ended and B3's overdue
 * cases are those still open at NOW.
 *
 * --reuse-data keeps it as a database named after a hash of everything that shapes it (options,
 * migrations, the generator's source): the next run with the same options skips the generation.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDb, type Db } from '../db/client';
import { runMigrations, migrationsFolder } from '../db/migrate';
import { monthRange } from '../domain/calendar';
import { generateChunks, insertGenerated, shanghai, type Generated } from '../test/support/generate';
import { projectRoot } from '../temporal/binaries';
import type { BenchContext } from './context';
import { databaseUrl } from './env';

/** The bench's "now": 10:00 on 1 July 2025, Asia/Shanghai (2025-Q2 has just ended). */
export const NOW = shanghai('2025-07-01', 10);
/** Cases open from here to NOW. */
export const FROM = shanghai('2024-07-01');
export const QUARTER = '2025-Q2';
/** B4's ledger: one county department's month, outside the 1M cases' window so it holds exactly `ledgerRows` rows. */
export const LEDGER_KEY = { county: '640104', department: 'DPF', month: '2024-05' } as const;

const SEED = 20250701;
/** Bumped whenever this file changes what it writes (invalidates cached databases). */
const LAYOUT_VERSION = 1;

export interface ReadModel {
  url: string;
  db: Db;
  counts: Record<string, number>;
  /** Seconds spent generating and writing (0 when reused). */
  generatedSeconds: number;
  reused: boolean;
  close: () => Promise<void>;
}

/** A hash of everything that shapes the data. */
function dataKey(cases: number, ledgerRows: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ cases, ledgerRows, SEED, LAYOUT_VERSION, NOW, FROM }));
  for (const f of readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).sort()) h.update(readFileSync(resolve(migrationsFolder, f)));
  h.update(readFileSync(resolve(projectRoot, 'test/support/generate.ts')));
  h.update(readFileSync(resolve(projectRoot, 'activities/ledger.ts')));
  return h.digest('hex').slice(0, 12);
}

async function exists(ctx: BenchContext, name: string): Promise<boolean> {
  const rows = await ctx.server.admin`select 1 from pg_database where datname = ${name}`;
  return rows.length > 0;
}

/** Writes B4's month: generated cases of one county department, their ledger rows moved into LEDGER_KEY.month. */
async function writeLedgerMonth(db: Db, rows: number, log: (s: string) => void): Promise<number> {
  const { start, end } = monthRange(LEDGER_KEY.month);
  const span = end.getTime() - start.getTime();
  let written = 0;
  // ~80% of generated cases close in the window: generate until `rows` ledger rows are written.
  for (const g of generateChunks({
    seed: SEED + 1, prefix: 'b4', cases: Math.ceil(rows * 1.6), counties: [LEDGER_KEY.county], departments: [LEDGER_KEY.department],
    from: shanghai('2024-01-01'), now: shanghai('2024-05-31'), chunkSize: 20_000, plans: 0,
  })) {
    const ledger = g.ledger.filter((l) => l.sourceType === 'case').slice(0, rows - written).map((l, k) => ({
      ...l, month: LEDGER_KEY.month, createdAt: new Date(start.getTime() + Math.floor(((written + k) / rows) * span)),
    }));
    const chunk: Generated = { users: [], subjects: [], cases: [], events: [], plans: [], periods: [], ledger };
    await insertGenerated(db, chunk);
    written += ledger.length;
    if (written >= rows) break;
  }
  log(`  B4 ledger month ${LEDGER_KEY.county}/${LEDGER_KEY.department}/${LEDGER_KEY.month}: ${written} rows`);
  return written;
}

/** Generates the read model into database `name` (created and migrated here). */
async function generateInto(ctx: BenchContext, name: string): Promise<{ counts: Record<string, number>; seconds: number }> {
  const { opts, log } = ctx;
  await ctx.server.admin.unsafe(`create database ${name}`);
  const url = databaseUrl(ctx.server.url, name);
  await runMigrations(url);
  const db = createDb(url, { max: 2 });
  const t0 = Date.now();
  try {
    // Bulk load: drop the secondary indexes of the big tables and build them once at the end
    // (one sort per index instead of a million incremental inserts into each).
    const indexes = await db.$client<{ name: string; def: string }[]>`
      select i.indexname as name, i.indexdef as def from pg_indexes i
      where i.schemaname = 'public' and i.tablename in ('cases', 'case_events', 'ledger_entries', 'subjects', 'plans', 'plan_periods')
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
    for (const ix of indexes) await db.$client.unsafe(`drop index ${ix.name}`);
    const counts: Record<string, number> = { users: 0, subjects: 0, cases: 0, events: 0, plans: 0, periods: 0, ledger: 0 };
    let next = 0;
    for (const g of generateChunks({ seed: SEED, prefix: 'rm', cases: opts.cases, plans: Math.round(opts.cases / 20), from: FROM, now: NOW, chunkSize: 20_000 })) {
      await insertGenerated(db, g);
      for (const k of Object.keys(counts) as (keyof Generated)[]) counts[k] += g[k].length;
      if (counts.cases >= next) {
        log(`  generated ${counts.cases.toLocaleString('en')} cases, ${counts.events.toLocaleString('en')} events (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        next += Math.max(100_000, Math.round(opts.cases / 10));
      }
    }
    counts.ledgerMonthRows = await writeLedgerMonth(db, opts.ledgerRows, log);
    log(`  building ${indexes.length} indexes (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    await db.$client.unsafe(`set maintenance_work_mem = '512MB'`);
    for (const ix of indexes) await db.$client.unsafe(ix.def);
    log('  vacuum analyze');
    await db.$client.unsafe('vacuum analyze');
    const seconds = (Date.now() - t0) / 1000;
    log(`  read model written in ${seconds.toFixed(1)} s`);
    return { counts, seconds };
  } finally {
    await db.$client.end({ timeout: 5 });
  }
}

const perRun = new WeakMap<BenchContext, Promise<ReadModel>>();

/** The read model of this run (generated once per run, shared by B3, B4 and B5; closed at the run's end). */
export function readModel(ctx: BenchContext): Promise<ReadModel> {
  let rm = perRun.get(ctx);
  if (!rm) {
    rm = openReadModel(ctx);
    perRun.set(ctx, rm);
    ctx.atEnd(async () => { await (await rm!.catch(() => undefined))?.close(); });
  }
  return rm;
}

async function openReadModel(ctx: BenchContext): Promise<ReadModel> {
  const { opts, log } = ctx;
  const key = dataKey(opts.cases, opts.ledgerRows);
  const cached = `doorstep_bench_rm_${key}`;
  let name: string;
  let generatedSeconds = 0;
  let counts: Record<string, number> = {};
  let reused = false;
  let drop = async () => {};
  if (opts.reuseData && (await exists(ctx, cached))) {
    log(`reusing the read model in database ${cached}`);
    name = cached;
    reused = true;
  } else {
    const building = opts.reuseData ? `doorstep_bench_rm_building_${ctx.runId}` : `doorstep_bench_rm_${ctx.runId}`;
    log(`generating the read model (${opts.cases.toLocaleString('en')} cases) into ${building}`);
    try {
      ({ counts, seconds: generatedSeconds } = await generateInto(ctx, building));
    } catch (e) {
      await ctx.server.admin.unsafe(`drop database if exists ${building} with (force)`);
      throw e;
    }
    if (opts.reuseData) {
      await ctx.server.admin.unsafe(`alter database ${building} rename to ${cached}`);
      name = cached;
    } else {
      name = building;
      drop = async () => { await ctx.server.admin.unsafe(`drop database if exists ${building} with (force)`); };
    }
  }
  const url = databaseUrl(ctx.server.url, name);
  const db = createDb(url, { max: 4 });
  if (reused) {
    const [c] = await db.$client<{ cases: number; events: number; ledger: number }[]>`
      select (select count(*) from cases)::int as cases, (select count(*) from case_events)::int as events, (select count(*) from ledger_entries)::int as ledger`;
    counts = c;
  }
  return {
    url, db, counts, generatedSeconds, reused,
    close: async () => { await db.$client.end({ timeout: 5 }); await drop(); },
  };
}
