/**
 * What the bench runs against, started by the bench itself and stopped at the end: a database of its
 * own (created, migrated, dropped) on DATABASE_URL's server or an embedded PostgreSQL, a Temporal dev
 * server, the worker (bench/worker.ts: production workflows + the no-op reference) and the API
 * (bin/api.ts, listening on 127.0.0.1) as child processes — separate processes as in production, so
 * the load generator never shares an event loop with what it measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { createDb, type Db } from '../db/client';
import { freePort, startEmbeddedPostgres, type EmbeddedHandle } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { generatePayloadKey } from '../temporal/codec';
import { dataConverter } from '../temporal/dataConverter';
import { startDevServer, type RunningServer } from '../temporal/devServer';
import { projectRoot } from '../temporal/binaries';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract';

export interface Stopper { (): Promise<unknown> }

/** A PostgreSQL server the bench may create databases on. */
export interface PgServer { url: string; admin: postgres.Sql; embedded: boolean; version: string; stop: () => Promise<void> }

/** DATABASE_URL's server, or an embedded PostgreSQL under .data/bench-postgres when it is unset. */
export async function pgServer(log: (s: string) => void, databaseUrl = process.env.DATABASE_URL): Promise<PgServer> {
  let url = databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!url) {
    const dir = resolve(projectRoot, '.data', 'bench-postgres');
    mkdirSync(dir, { recursive: true });
    log(`DATABASE_URL unset: starting an embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres(dir);
    url = embedded.url;
  }
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const [{ server_version: version }] = await admin<{ server_version: string }[]>`show server_version`;
  return {
    url, admin, embedded: !!embedded, version,
    stop: async () => {
      await admin.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

/** The URL of database `name` on the server at `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates a fresh, migrated database; the returned stopper drops it. */
export async function freshDatabase(server: PgServer, name: string): Promise<{ url: string; drop: Stopper }> {
  await server.admin.unsafe(`create database ${name}`);
  const url = databaseUrl(server.url, name);
  await runMigrations(url);
  return { url, drop: () => server.admin.unsafe(`drop database if exists ${name} with (force)`) };
}

/** A child process that prints lines; resolves `ready` when `isReady(line)` matches one of them. */
export interface Child { process: ChildProcess; pid: number; stop: Stopper; output: string[] }

/** Runs `node --import tsx ...args` (TypeScript sources), or with `compiled`, plain `node ...args` (a build's JS). */
export function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv, log: (s: string) => void, opts: { compiled?: boolean } = {}): Child {
  const child = spawn(process.execPath, [...(opts.compiled ? [] : ['--import', 'tsx']), ...args], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (d: Buffer) => {
    for (const line of String(d).split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > 200) output.shift();
      if (/error|fatal|warn/i.test(line) && !/ExperimentalWarning/.test(line)) log(`[${name}] ${line.slice(0, 400)}`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); ok(); });
    child.kill('SIGTERM');
  });
  return { process: child, pid: child.pid!, stop, output };
}

/** Waits until `check` resolves true, polling every 200 ms, or throws after `ms` (or when the child exits). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms: number, child?: Child): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child && child.process.exitCode !== null) throw new Error(`${what}: process exited with ${child.process.exitCode}\n${child.output.slice(-20).join('\n')}`);
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what}: not ready within ${ms} ms\n${child?.output.slice(-20).join('\n') ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The running stack of B1 and B2. */
export interface Stack {
  databaseUrl: string;
  db: Db;
  temporal: Client;
  temporalAddress: string;
  taskQueue: string;
  apiUrl: string;
  payloadKeys: string;
  /** Process ids to sample CPU time of: the API, the worker, the Temporal dev server. */
  pids: Record<string, number>;
  stop: () => Promise<void>;
}

/** Starts the dev server, a fresh database, the worker and the API. */
export async function startStack(server: PgServer, runId: string, log: (s: string) => void): Promise<Stack> {
  const stops: Stopper[] = [];
  const stop = async () => { for (const s of stops.reverse()) await s().catch((e) => log(`stop: ${String(e)}`)); };
  try {
    const db = await freshDatabase(server, `doorstep_bench_${runId}`);
    stops.push(db.drop);
    log('starting the Temporal dev server (in memory)');
    const dev: RunningServer = await startDevServer({ searchAttributes: SEARCH_ATTRIBUTE_KEYS });
    stops.push(dev.stop);
    const taskQueue = `bench-${randomUUID()}`;
    // Payloads are encrypted as in production (bin/dev generates a key the same way).
    const payloadKeys = generatePayloadKey('bench');
    // Evidence uploads (B2) go to a folder of the run's own.
    const filesDir = mkdtempSync(resolve(tmpdir(), 'doorstep-bench-files-'));
    stops.push(async () => rmSync(filesDir, { recursive: true, force: true }));
    const env = {
      FILES_DIR: filesDir, DATABASE_URL: db.url, TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: taskQueue, PAYLOAD_KEYS: payloadKeys,
      LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: String(1_000_000_000), NODE_ENV: 'production',
    };
    log('starting the worker (bundling workflows)');
    const worker = spawnChild('worker', ['bench/worker.ts'], env, log);
    stops.push(worker.stop);
    const apiPort = await freePort();
    log('starting the API');
    const api = spawnChild('api', ['bin/api.ts'], { ...env, API_HOST: '127.0.0.1', API_PORT: String(apiPort) }, log);
    stops.push(api.stop);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor('API', async () => (await fetch(`${apiUrl}/readyz`)).ok, 120_000, api);
    await waitFor('worker', () => worker.output.some((l) => l.includes('bench worker ready')), 180_000, worker);
    const connection = await Connection.connect({ address: dev.address });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: 'default', dataConverter: dataConverter(payloadKeys) });
    const pool = createDb(db.url, { max: 8 });
    stops.push(() => pool.$client.end({ timeout: 5 }));
    return {
      databaseUrl: db.url, db: pool, temporal, temporalAddress: dev.address, taskQueue, apiUrl, payloadKeys,
      pids: { api: api.pid, worker: worker.pid, temporal: dev.process.pid! },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (NaN when unreadable). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return NaN;
  }
}

/** CPU seconds of every process in `pids` and of the bench itself, to diff around a phase. */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = cpuSeconds(pid);
  out.bench = cpuSeconds(process.pid);
  return out;
}

/** CPU seconds used per process between two snapshots, as a share of the phase's wall time (1.0 = one core). */
export function cpuShare(before: Record<string, number>, after: Record<string, number>, wallMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) out[k] = Math.round(((after[k] - before[k]) / (wallMs / 1000)) * 100) / 100;
  return out;
}
