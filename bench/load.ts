/**
 * A closed-loop load generator: `concurrency` loops each run one task after another until `count`
 * tasks have started or `maxMs` has passed, whichever comes first. Every task's latency and every
 * error is kept. Bounded in count and in time, so a slow or broken system never hangs the bench.
 */
import { msSince } from './stats';

export interface LoadResult {
  /** Tasks that finished without throwing. */
  ok: number;
  errors: number;
  /** A few distinct error messages (for the report). */
  errorSamples: string[];
  /** Wall time of the whole phase, ms. */
  elapsedMs: number;
  /** Latency of every successful task, ms. */
  latencies: number[];
  /** True when the time bound stopped the phase before `count`. */
  timedOut: boolean;
}

export interface LoadOptions {
  concurrency: number;
  count: number;
  maxMs: number;
  /** Runs task number `i` (0-based); may record sub-latencies itself. */
  task: (i: number) => Promise<void>;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors: 0, errorSamples: [], elapsedMs: 0, latencies: [], timedOut: false };
  let next = 0;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + o.maxMs;
  async function loop(): Promise<void> {
    for (;;) {
      if (next >= o.count) return;
      if (Date.now() >= deadline) { result.timedOut = true; return; }
      const i = next++;
      const start = process.hrtime.bigint();
      try {
        await o.task(i);
        result.latencies.push(msSince(start));
        result.ok++;
      } catch (e) {
        result.errors++;
        const msg = String((e as Error)?.message ?? e).slice(0, 300);
        if (result.errorSamples.length < 5 && !result.errorSamples.includes(msg)) result.errorSamples.push(msg);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, loop));
  result.elapsedMs = msSince(t0);
  return result;
}

/** Merges the results of several rounds of one phase. */
export function mergeLoads(rs: LoadResult[]): LoadResult {
  return {
    ok: rs.reduce((s, r) => s + r.ok, 0),
    errors: rs.reduce((s, r) => s + r.errors, 0),
    errorSamples: [...new Set(rs.flatMap((r) => r.errorSamples))].slice(0, 5),
    elapsedMs: rs.reduce((s, r) => s + r.elapsedMs, 0),
    latencies: rs.flatMap((r) => r.latencies),
    timedOut: rs.some((r) => r.timedOut),
  };
}

/** Successful tasks per second. */
export const perSecond = (r: LoadResult): number => (r.elapsedMs > 0 ? (r.ok * 1000) / r.elapsedMs : 0);
