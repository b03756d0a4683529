/**
 * The fault-injection suite, small (issue 12, point 1): ~50 cases and 5 plans through random lifecycles
 * over HTTP while each fault is injected once — SIGKILL of the worker and of the API mid-request, a
 * Temporal dev server restart on its SQLite file, pg_terminate_backend of the pools and a PostgreSQL
 * restart, and a power cut of `npm run dev` — with every request retried under its Idempotency-Key.
 * The full run is `npm run chaos` (bench/chaos.ts); its table is in the README.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos';

describe('faults: crashes, restarts and database outages lose nothing and duplicate nothing', () => {
  it('each fault once under load: every case and plan in the state its accepted requests imply, read model equal to the workflows', async () => {
    const report = await runChaos({ cases: 48, plans: 5, users: 6, rounds: 1, powerCuts: 1, seed: 12, log: (m) => console.log(m) });
    expect(report.faults).toEqual({ 'worker-kill': 1, 'api-kill': 1, 'temporal-restart': 1, 'pg-terminate': 1, 'pg-restart': 1, 'power-cut': 1 });
    // The faults bit: requests were retried, and the API died with requests in flight.
    expect(report.retries).toBeGreaterThan(0);
    expect(report.inFlightAtApiKill).toBeGreaterThan(0);
    expect(report.terminatedBackends).toBeGreaterThan(0);
    expect({ cases: report.cases, plans: report.plans }).toEqual({ cases: 48, plans: 5 });
    expect(report.problems).toEqual([]);
    expect({
      lost: report.lost, duplicated: report.duplicated, mismatches: report.mismatches, wrongState: report.wrongState,
      notAppliedOnce: report.notAppliedOnce, unanswered: report.unanswered, refused: report.refused, answered500: report.answered500, crashes: report.crashes,
    }).toEqual({ lost: 0, duplicated: 0, mismatches: 0, wrongState: 0, notAppliedOnce: 0, unanswered: 0, refused: 0, answered500: 0, crashes: 0 });
  }, 600_000);
});
