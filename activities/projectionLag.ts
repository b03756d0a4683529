/**
 * How far the read model is behind the case workflows, as the worker sees it: every projection batch
 * is tracked from its first attempt until it is written. While PostgreSQL is down the batches keep
 * failing and retrying, and the oldest unwritten event's age grows — the gauge operators alert on.
 * Labels carry no case ids (nor any personal data): one number for the worker, and a histogram of the
 * delay between an event and its write.
 */
import { Gauge, Histogram, Registry } from 'prom-client';

/** The worker's own metrics (served on its METRICS_PORT; bin/dev serves them with the API's). */
export const workerMetrics = new Registry();

/** A batch not retried for this long belongs to a workflow that is gone (terminated, reset): forget it. */
const STALE_MS = 5 * 60_000;
const pending = new Map<string, { since: number; lastAttempt: number }>();

new Gauge({
  name: 'doorstep_projection_lag_seconds',
  help: '读模型投影滞后 Age of the oldest case event not yet written to PostgreSQL (0 when all are written)',
  registers: [workerMetrics],
  collect() {
    const now = Date.now();
    let oldest = now;
    for (const [key, p] of pending) {
      if (now - p.lastAttempt > STALE_MS) pending.delete(key);
      else oldest = Math.min(oldest, p.since);
    }
    this.set((now - oldest) / 1000);
  },
});

const writeDelay = new Histogram({
  name: 'doorstep_projection_write_delay_seconds',
  help: '事件到写入读模型的延迟 Time from a case event to its write into PostgreSQL',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [workerMetrics],
});

/** Runs one batch's write for `caseId`, whose first event happened at `firstEventAt`, tracking it until it succeeds. */
export async function trackProjection(caseId: string, firstEventAt: Date, write: () => Promise<void>): Promise<void> {
  const now = Date.now();
  const since = Math.min(firstEventAt.getTime(), now);
  const known = pending.get(caseId);
  pending.set(caseId, { since: known ? Math.min(known.since, since) : since, lastAttempt: now });
  await write();
  pending.delete(caseId);
  writeDelay.observe(Math.max(0, Date.now() - since) / 1000);
}
