/**
 * Runs the Temporal CLI dev server as a child process (SQLite file or in memory), waits until it
 * answers, and stops it. Used by bin/dev and by the test run's global setup: we spawn it ourselves
 * because the SDK waits only 5 s for a server it spawns.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes, type defineSearchAttributeKey } from '@temporalio/common';

type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;
import { freePort } from '../db/embedded';
import { RecoveryError } from '../processes';
import { temporalCli, temporalTestServer } from './binaries';

export interface RunningServer { address: string; uiUrl?: string; process: ChildProcess; stop: () => Promise<void> }

/** Waits until a Temporal frontend at `address` answers, or throws after `timeoutMs`. */
export async function waitForTemporal(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`Temporal server exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  // Last resort: if this process exits without stopping the server (a crash, a second Ctrl-C), take it along.
  const orphanGuard = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  return () =>
    new Promise<void>((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) return ok();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(kill); ok(); });
      child.kill('SIGTERM');
    });
}

/** Waits (up to 60 s) until a spawned server answers at `address`; kills it if it never does. */
async function untilAnswering(child: ChildProcess, address: string): Promise<RunningServer> {
  try {
    await waitForTemporal(address, 60_000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { address, process: child, stop: stopper(child) };
}

export interface DevServerOptions {
  dbFile?: string;
  port?: number;
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  searchAttributes?: SearchAttributeKey[];
  codecEndpoint?: string;
  log?: (line: string) => void;
}

/** Starts `temporal server start-dev` and waits for it (up to 60 s). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<RunningServer> {
  const exe = temporalCli();
  if (exe.type !== 'existing-path') throw new Error('startDevServer needs a local temporal CLI (run bash bin/setup).');
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', opts.namespace ?? 'default', '--log-level', 'warn'];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  let uiUrl: string | undefined;
  if (opts.ui) {
    const uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
    if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
    uiUrl = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  for (const key of opts.searchAttributes ?? []) {
    args.push('--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`);
  }
  const child = spawn(exe.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = opts.log ?? (() => {});
  child.stdout?.on('data', (d) => log(String(d)));
  child.stderr?.on('data', (d) => log(String(d)));
  return { ...(await untilAnswering(child, `127.0.0.1:${port}`)), uiUrl };
}

/**
 * Checks the dev server's SQLite file before a start (after a power cut). Opening it lets SQLite roll
 * back a hot journal or replay its WAL, as the server would; `PRAGMA quick_check` then tells an intact
 * file from a damaged one. A damaged file is a {@link RecoveryError} saying what to do. Uses python3's
 * sqlite3 module (python3 is needed by bin/setup anyway).
 */
export function checkSqliteFile(file: string): void {
  if (!existsSync(file)) return;
  const script = 'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=30)\nprint("\\n".join(r[0] for r in c.execute("PRAGMA quick_check")))\nc.close()';
  let verdict: string;
  try {
    verdict = execFileSync('python3', ['-c', script, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim();
  } catch (e) {
    verdict = String((e as { stderr?: string }).stderr || (e as Error).message).trim();
  }
  if (verdict === 'ok') return;
  throw new RecoveryError(
    `Temporal's SQLite file ${file} is damaged (${verdict.split('\n').slice(0, 3).join('; ')}). The workflows cannot be read from it. `
    + `Restore the last backup (npm run admin -- restore <backup dir>), or move the file aside (mv ${file} ${file}.damaged) to start without `
    + `workflows; then npm run admin -- reconcile lists the cases whose workflows are gone.`,
  );
}

/** Starts the time-skipping test server and waits for it (up to 60 s). */
export async function startTimeSkippingServer(): Promise<RunningServer> {
  const exe = temporalTestServer();
  if (exe.type !== 'existing-path') throw new Error('startTimeSkippingServer needs a local test server (run bash bin/setup).');
  const port = await freePort();
  const child = spawn(exe.path, [String(port)], { stdio: 'ignore' });
  return untilAnswering(child, `127.0.0.1:${port}`);
}

/** Registers custom search attributes with a running server (the time-skipping server takes no flags for them). */
export async function registerSearchAttributes(address: string, namespace: string, keys: SearchAttributeKey[]): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    const searchAttributes = Object.fromEntries(keys.map((k) => [k.name, indexedValueType(k.type)]));
    await conn.operatorService.addSearchAttributes({ namespace, searchAttributes }).catch((e: Error) => {
      if (!/already exists/i.test(e.message)) throw e;
    });
  } finally {
    await conn.close();
  }
}

/** The protobuf IndexedValueType number of a search attribute type. */
function indexedValueType(type: string): number {
  const table: Record<string, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };
  const n = table[type];
  if (!n) throw new Error(`unknown search attribute type ${type}`);
  return n;
}
