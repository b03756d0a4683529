/** Housekeeping of the Idempotency-Key records (api/idempotency.ts). */
import { lt } from 'drizzle-orm';
import type { Db } from '../client';
import { idempotencyKeys } from '../schema';

/** Keys older than this are pruned (nightly, with the reconciliation); a careful client retries within minutes. */
export const IDEMPOTENCY_RETENTION_DAYS = 30;

/** Removes keys older than the retention; returns how many. */
export async function pruneIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_DAYS * 86_400_000);
  const removed = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).returning({ key: idempotencyKeys.key });
  return removed.length;
}
