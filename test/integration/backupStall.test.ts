/**
 * A backup must end, never hang: a read-model copy that makes no progress (here: a table held under an
 * ACCESS EXCLUSIVE lock, so its COPY waits) is abandoned after the stall time and begun again on a new
 * connection and snapshot, naming the table it stalled at; a copy that never gets going fails with that
 * name instead of hanging.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyReadModel } from '../../bin/backup';
import { createDb } from '../../db/client';
import { ownDatabase } from '../support/env';
import { makeUser } from '../support/fixtures';

let own: Awaited<ReturnType<typeof ownDatabase>>;
let locker: postgres.Sql;
/** The lock holders' transactions, awaited before the end. */
const holders: Promise<unknown>[] = [];
const dirs: string[] = [];
const folder = () => { const d = mkdtempSync(join(tmpdir(), 'doorstep-stall-')); dirs.push(d); return d; };

beforeAll(async () => {
  own = await ownDatabase();
  const db = createDb(own.url, { max: 1 });
  for (let i = 0; i < 3; i++) await makeUser(db, 'worker', { counties: ['640105'] });
  await db.$client.end({ timeout: 5 });
  locker = postgres(own.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await Promise.allSettled(holders);
  await locker?.end({ timeout: 5 });
  await own?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Holds `users` under an ACCESS EXCLUSIVE lock for `ms` (in a transaction of its own), then lets go. */
function holdUsers(ms: number): Promise<void> {
  let locked!: () => void;
  const taken = new Promise<void>((r) => { locked = r; });
  holders.push(locker.begin(async (tx) => {
    await tx`lock table users in access exclusive mode`;
    locked();
    await new Promise((r) => setTimeout(r, ms));
  }));
  return taken;
}

describe('the read model copy of a backup', () => {
  it('begins again when a table keeps it waiting, names that table, and copies every row once free', { timeout: 30_000 }, async () => {
    await holdUsers(2500);
    const said: string[] = [];
    const out = folder();
    const tables = await copyReadModel(own.url, out, (m) => said.push(m), 1000);
    expect(said.some((m) => m.includes('made no progress for 1 s at users (attempt 1 of 3)'))).toBe(true);
    const users = tables.find((t) => t.table === 'users')!;
    expect(users.rows).toBe(3);
    expect(readFileSync(join(out, users.file), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('gives up after three attempts with the table it stalled at, instead of hanging', { timeout: 30_000 }, async () => {
    await holdUsers(8000);
    const said: string[] = [];
    await expect(copyReadModel(own.url, folder(), (m) => said.push(m), 1000)).rejects.toThrow(/made no progress for 1 s at users \(attempt 3 of 3\)/);
    expect(said).toHaveLength(2);
  });
});
