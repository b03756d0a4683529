/** The PostgreSQL client: one pool per process, typed with the schema. */
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

/**
 * Opens a pool; fails fast when the connection string is missing. JIT is off: on the statistics
 * query it spent ~1.7 s compiling to save milliseconds (bench B5), and no query here is long enough to gain.
 */
export function createDb(url: string | undefined, opts: { max?: number } = {}): Db {
  if (!url) throw new Error('DATABASE_URL is required (bin/dev starts an embedded PostgreSQL when it is unset).');
  const sql = postgres(url, { max: opts.max ?? 10, onnotice: () => {}, connection: { TimeZone: 'UTC', jit: 'off' } });
  return drizzle(sql, { schema }) as Db;
}

/** Closes the pool. */
export async function closeDb(db: Db): Promise<void> {
  await db.$client.end({ timeout: 5 });
}

/** True when a trivial query answers (used by /readyz). */
export async function pingDb(db: Db): Promise<boolean> {
  try {
    await db.$client`select 1`;
    return true;
  } catch {
    return false;
  }
}
