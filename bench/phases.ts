/**
 * Alternating load phases: each round runs every phase once (the order rotating from round to round),
 * so drift on a shared machine falls on all phases alike. After each phase the worker is let drain
 * (bounded), so one phase's backlog does not slow the next.
 */
import { cpuShare, cpuSnapshot } from './env';
import { mergeLoads, runLoad, type LoadResult } from './load';

export interface Phase {
  name: string;
  /** Runs task `i` of this phase (i counts across rounds). */
  task: (i: number) => Promise<void>;
}

export interface PhaseResult extends LoadResult { cpu: Record<string, number>; drainMs: number[] }

export async function runPhases(o: {
  phases: Phase[];
  perPhase: number;
  rounds: number;
  concurrency: number;
  maxMs: number;
  pids: Record<string, number>;
  /** Waits until the system has caught up with everything started so far (bounded by the caller). */
  drain: () => Promise<number>;
  log: (s: string) => void;
}): Promise<Record<string, PhaseResult>> {
  const byPhase: Record<string, { loads: LoadResult[]; cpu: Record<string, number>[]; wall: number[]; drainMs: number[]; done: number }> = {};
  for (const p of o.phases) byPhase[p.name] = { loads: [], cpu: [], wall: [], drainMs: [], done: 0 };
  for (let r = 0; r < o.rounds; r++) {
    const order = o.phases.map((_, k) => o.phases[(k + r) % o.phases.length]);
    for (const p of order) {
      const acc = byPhase[p.name];
      const count = Math.floor((o.perPhase * (r + 1)) / o.rounds) - Math.floor((o.perPhase * r) / o.rounds);
      const offset = acc.done;
      const before = cpuSnapshot(o.pids);
      const load = await runLoad({ concurrency: o.concurrency, count, maxMs: o.maxMs / o.rounds, task: (i) => p.task(offset + i) });
      acc.cpu.push(cpuShare(before, cpuSnapshot(o.pids), load.elapsedMs));
      acc.done += count;
      acc.loads.push(load);
      const drainMs = await o.drain();
      acc.drainMs.push(drainMs);
      o.log(`  round ${r + 1}/${o.rounds} ${p.name}: ${load.ok} ok, ${load.errors} errors in ${(load.elapsedMs / 1000).toFixed(1)} s (drained in ${(drainMs / 1000).toFixed(1)} s)`);
    }
  }
  const out: Record<string, PhaseResult> = {};
  for (const [name, acc] of Object.entries(byPhase)) {
    const merged = mergeLoads(acc.loads);
    // Mean CPU share over the rounds, weighted by each round's wall time.
    const cpu: Record<string, number> = {};
    const total = acc.loads.reduce((s, l) => s + l.elapsedMs, 0);
    for (const k of Object.keys(acc.cpu[0] ?? {})) {
      cpu[k] = Math.round((acc.cpu.reduce((s, c, i) => s + (c[k] * acc.loads[i].elapsedMs), 0) / total) * 100) / 100;
    }
    out[name] = { ...merged, cpu, drainMs: acc.drainMs };
  }
  return out;
}
