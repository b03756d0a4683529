/** Reading the reconciliation runs and findings (activities/reconcile.ts writes them): the admin route and the gauges. */
import { and, asc, desc, inArray, isNotNull, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { reconciliationFindings, reconciliationRuns } from '../schema';

/** The latest finished runs, newest first. */
export function latestRuns(db: Db, limit: number) {
  return db.select().from(reconciliationRuns).where(isNotNull(reconciliationRuns.finishedAt)).orderBy(desc(reconciliationRuns.startedAt)).limit(limit);
}

/** The findings of some runs (optionally narrowed, e.g. to a scope), oldest first. */
export function findingsOf(db: Db, runIds: string[], limit: number, where?: SQL) {
  if (runIds.length === 0) return Promise.resolve([]);
  return db.select().from(reconciliationFindings).where(and(inArray(reconciliationFindings.runId, runIds), where)).orderBy(asc(reconciliationFindings.id)).limit(limit);
}
