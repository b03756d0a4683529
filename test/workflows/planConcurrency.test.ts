/**
 * Conflicting updates fired at the same moment on servicePlan, with a slow projection (400 ms) so that
 * the second request arrives while the first one's projection is in flight. Each test asserts the final
 * state and which of the pair applied; a refusal is a rejected update with a Chinese reason, and a
 * request the workflow cannot use never fails its task (the plan keeps working).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProjectPlanInput } from '../../activities/plans';
import { shanghaiDate } from '../../domain/calendar';
import { CATALOG_VERSION, findItem } from '../../domain/catalog';
import {
  getPlanStateQuery, planWorkflowId, recordSessionUpdate, withdrawPlanUpdate,
  type PlanInput, type PlanPeriodVerdictInput, type PlanState, type RecordSessionRequest,
} from '../../workflows/planContract';
import type { servicePlan } from '../../workflows/servicePlan';
import { testWorker } from '../support/env';
import { maybeRecordHistory, ownTimeSkippingEnv } from './caseSupport';

let env: TestWorkflowEnvironment;
let stop: () => Promise<void>;
beforeAll(async () => { ({ env, stop } = await ownTimeSkippingEnv()); });
afterAll(async () => { await stop?.(); });

/** Fake activities with a slow projection; they remember what the workflow wrote. */
function slowRecorder(ms = 400) {
  const projected: ProjectPlanInput[] = [];
  const periods: PlanPeriodVerdictInput[] = [];
  const activities = {
    projectPlan: async (i: ProjectPlanInput) => {
      await new Promise((r) => setTimeout(r, ms));
      projected.push(i);
    },
    recordPlanPeriod: async (i: PlanPeriodVerdictInput) => { periods.push(i); },
    writePlanPeriodLedgerEntry: async (i: { period: string }) => `ledger-${i.period}`,
  };
  return { projected, periods, activities };
}

const today = async () => shanghaiDate(new Date(await env.currentTimeMs()));

function planInput(startDate: string): PlanInput {
  const item = findItem('HOME_EMPLOYMENT')!;
  return {
    planId: randomUUID(), subjectId: 's1', itemCode: item.code, actionCode: 'ENROL', county: '640104', department: item.actions[0].implementing,
    catalogVersion: CATALOG_VERSION, cadence: item.cadence!, provider: { type: 'volunteer_team', name: '阳光志愿服务队' },
    enrolledAt: new Date().toISOString(), enrolledBy: 'u1', requestHash: 'h', startDate,
  };
}

const session = (date: string, staff = '就业指导员李明'): RecordSessionRequest => ({ actor: 'w1', date, units: 60, providerStaff: staff, content: '就业指导' });

type Outcome = { applied: true } | { applied: false; reason: string };
async function settle(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { applied: true };
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
    const reason = String((e as WorkflowUpdateFailedError).cause?.message);
    expect(reason).toMatch(/[\u4e00-\u9fff]/);
    return { applied: false, reason };
  }
}
const race = (a: () => Promise<unknown>, b: () => Promise<unknown>) => Promise.all([settle(a()), settle(b())]);

/** Starts a plan that begins today (so it is active), runs `fn`, records its history, terminates what is left. */
async function withPlan(activities: object, name: string, fn: (h: WorkflowHandle<typeof servicePlan>) => Promise<void>): Promise<void> {
  const input = planInput(await today());
  const { worker, taskQueue } = await testWorker(env.nativeConnection, activities);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof servicePlan>('servicePlan', { taskQueue, workflowId: planWorkflowId(input.planId), args: [input] });
    try {
      await fn(handle);
      await maybeRecordHistory(handle, name);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}

const stateOf = (h: WorkflowHandle) => h.query(getPlanStateQuery) as Promise<PlanState>;

describe('servicePlan: conflicting updates at the same moment', () => {
  it('session × the same session (same date, same staff): exactly one is recorded and projected once', async () => {
    const rec = slowRecorder();
    await withPlan(rec.activities, 'session-session', async (h) => {
      const d = await today();
      const outcomes = await race(
        () => h.executeUpdate(recordSessionUpdate, { args: [session(d)] }),
        () => h.executeUpdate(recordSessionUpdate, { args: [session(d, ' 就业指导员李明 ')] }),
      );
      expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
      expect(outcomes.find((o) => !o.applied)).toMatchObject({ reason: `就业指导员李明 在 ${d} 的服务已登记，不能重复登记` });
      const s = await stateOf(h);
      expect(s.sessions).toHaveLength(1);
      expect(rec.projected.filter((p) => p.session).map((p) => p.session!.id)).toEqual([s.sessions[0].id]);
    });
  });

  it('session × withdraw: the session counts in the final check if and only if it was accepted', async () => {
    const rec = slowRecorder();
    await withPlan(rec.activities, 'session-withdraw', async (h) => {
      const d = await today();
      const [sessionOutcome, withdrawOutcome] = await race(
        () => h.executeUpdate(recordSessionUpdate, { args: [session(d)] }),
        () => h.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1', reason: '本人已外出务工' }] }),
      );
      expect(withdrawOutcome.applied).toBe(true);
      const final = await h.result();
      expect(final.status).toBe('ended');
      expect(final.end).toMatchObject({ reason: 'withdrawn', lastDay: d });
      const accepted = sessionOutcome.applied ? 1 : 0;
      if (!sessionOutcome.applied) expect(sessionOutcome.reason).toContain('不能再登记服务');
      // The withdrawn period is checked once, with exactly the sessions that were accepted.
      expect(rec.periods).toHaveLength(1);
      expect(rec.periods[0].verdict.sessions).toBe(accepted);
      expect(final.sessions).toHaveLength(accepted);
      expect(rec.projected.filter((p) => p.session)).toHaveLength(accepted);
      // The read model's last snapshot is the ended plan.
      expect(rec.projected.at(-1)!.state.status).toBe('ended');
    });
  });

  it('withdraw × withdraw: exactly one applies, with its reason; the other is told the plan has ended', async () => {
    const rec = slowRecorder();
    await withPlan(rec.activities, 'withdraw-withdraw', async (h) => {
      const outcomes = await race(
        () => h.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1', reason: '迁出本市' }] }),
        () => h.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c2', reason: '本人放弃' }] }),
      );
      expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
      expect(outcomes.find((o) => !o.applied)).toMatchObject({ reason: expect.stringContaining('服务计划已结束') });
      const final = await h.result();
      const winner = outcomes[0].applied ? '迁出本市' : '本人放弃';
      expect(final.end).toMatchObject({ reason: 'withdrawn', detail: `退出服务：${winner}` });
      expect(rec.periods).toHaveLength(1);
    });
  });

  it('a request the workflow cannot use (no staff, bad date, wrong types) is rejected and the plan keeps working', async () => {
    const rec = slowRecorder(0);
    await withPlan(rec.activities, 'bad-requests', async (h) => {
      const d = await today();
      const bad = [
        { actor: 'w1', date: d, units: 60, content: 'x' },
        { actor: 'w1', date: 'not-a-date', units: 60, providerStaff: 'a', content: 'x' },
        { actor: 'w1', date: d, units: Number.NaN, providerStaff: 'a', content: 'x' },
        { actor: 'w1', date: d, units: 60, providerStaff: 42, content: 'x' },
      ] as unknown as RecordSessionRequest[];
      for (const req of bad) expect((await settle(h.executeUpdate(recordSessionUpdate, { args: [req] }))).applied).toBe(false);
      expect((await settle(h.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1' } as never] }))).applied).toBe(false);
      await h.executeUpdate(recordSessionUpdate, { args: [session(d)] });
      expect((await stateOf(h)).sessions).toHaveLength(1);
      const ended = await h.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1', reason: '测试结束' }] });
      expect(ended.status).toBe('ended');
    });
  });
});
