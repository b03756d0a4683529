/**
 * The nightly maintenance the `doorstep-reconcile-nightly` Schedule runs (temporal/schedules.ts):
 * reconciles the read model with every open (and recently ended) case and plan, repairing what differs
 * (activities/reconcile.ts; the findings are kept for admins), then prunes old Idempotency-Key records.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { reconcileReadModel, pruneIdempotencyKeys } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 3, maximumInterval: '10 minutes' },
});

export interface NightlyReconciliationInput { repair?: boolean; days?: number }

/** Reconciles (repairing by default, ended ones of the last 7 days included), then prunes idempotency keys. */
export async function nightlyReconciliation(input: NightlyReconciliationInput = {}) {
  const summary = await reconcileReadModel({ repair: input.repair ?? true, days: input.days ?? 7 });
  const prunedKeys = await pruneIdempotencyKeys();
  return { ...summary, prunedKeys };
}
