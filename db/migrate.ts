/** Applies the committed migrations on a single-connection client, then closes it. */
import { resolve } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export const migrationsFolder = resolve(import.meta.dirname, 'migrations');

/** Brings the database at `url` up to the newest migration. Safe to run concurrently and repeatedly. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // An advisory lock keeps two processes (api and worker starting together) from racing.
    await sql`select pg_advisory_lock(727001)`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql`select pg_advisory_unlock(727001)`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
