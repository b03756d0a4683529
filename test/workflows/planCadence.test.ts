/**
 * servicePlan on the time-skipping server. Its clock starts at the real "now" and only moves forward,
 * so every test reads the server's current date and builds its dates from there (the period logic
 * itself is unit-tested on fixed dates in test/unit/planPeriods.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { addDaysToDate, shanghaiDate } from '../../domain/calendar';
import { CATALOG_VERSION, findItem } from '../../domain/catalog';
import { nextMonthKey, periodEndsAt, periodKeyOf, planPeriod, requiredSessions } from '../../domain/planPeriods';
import type { ProjectPlanInput } from '../../activities/plans';
import {
  getPlanStateQuery, planWorkflowId, recordSessionUpdate, withdrawPlanUpdate,
  type PlanInput, type PlanPeriodVerdictInput, type PlanState, type RecordSessionRequest,
} from '../../workflows/planContract';
import type { servicePlan } from '../../workflows/servicePlan';
import { testWorker, timeSkippingEnv } from '../support/env';

let env: TestWorkflowEnvironment;
beforeAll(async () => { env = await timeSkippingEnv(); });
afterAll(async () => { await env?.teardown(); });

const HOUR = 3_600_000;

/** Fake activities that remember what the workflow wrote. */
function recorder() {
  const projected: ProjectPlanInput[] = [];
  const periods: PlanPeriodVerdictInput[] = [];
  const ledger: Array<{ period: string; compliant: boolean; sessions: number; shortfall?: string }> = [];
  const activities = {
    projectPlan: async (i: ProjectPlanInput) => { projected.push(i); },
    recordPlanPeriod: async (i: PlanPeriodVerdictInput) => { periods.push(i); },
    writePlanPeriodLedgerEntry: async (i: { period: string; compliant: boolean; sessions: number; shortfall?: string }) => {
      ledger.push(i);
      return `ledger-${i.period}`;
    },
  };
  return { projected, periods, ledger, activities };
}

async function today(): Promise<string> {
  return shanghaiDate(new Date(await env.currentTimeMs()));
}

function planInput(itemCode: string, overrides: Partial<PlanInput> & { startDate: string }): PlanInput {
  const item = findItem(itemCode)!;
  return {
    planId: randomUUID(), subjectId: 's1', itemCode, actionCode: 'ENROL', county: '640104', department: item.actions[0].implementing,
    catalogVersion: CATALOG_VERSION, cadence: item.cadence!, provider: { type: 'rehabilitation_institution', name: '银川市康复中心' },
    enrolledAt: new Date().toISOString(), enrolledBy: 'u1', requestHash: 'h', ...overrides,
  };
}

/** Polls the workflow until its state satisfies `ok` (it may be between two runs). */
async function waitFor(handle: WorkflowHandle, ok: (s: PlanState) => boolean): Promise<PlanState> {
  for (let i = 0; i < 100; i++) {
    const s = await handle.query(getPlanStateQuery).catch(() => undefined);
    if (s && ok(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('workflow did not reach the expected state');
}

/** Skips the server's clock to `hours` after the end of the period's last day. */
async function skipPast(state: PlanState, hours = 1): Promise<void> {
  const target = periodEndsAt(state.period!).getTime() + hours * HOUR;
  await env.sleep(target - (await env.currentTimeMs()));
}

async function skipDays(n: number): Promise<void> {
  await env.sleep(n * 24 * HOUR);
}

/** Starts the plan and runs `fn`; the workflow is terminated afterwards whatever happens (a stray one would hold the clock). */
async function withPlan(input: PlanInput, activities: object, fn: (handle: WorkflowHandle<typeof servicePlan>) => Promise<void>): Promise<void> {
  const { worker, taskQueue } = await testWorker(env.nativeConnection, activities);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof servicePlan>('servicePlan', { taskQueue, workflowId: planWorkflowId(input.planId), args: [input] });
    try {
      await fn(handle);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}

const session = (date: string, units: number, staff = '康复师王芳'): RecordSessionRequest => ({ actor: 'w1', date, units, providerStaff: staff, content: '康复训练' });

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
    return String((e as WorkflowUpdateFailedError).cause?.message);
  }
  throw new Error('the update was accepted');
}

describe('servicePlan', () => {
  it('runs month after month as new runs: 4 sessions compliant, 3 not, escalation, bounded history, past periods carried', async () => {
    const { activities, periods, ledger } = recorder();
    const start = await today();
    const input = planInput('CHILD_REHAB', { startDate: start, ageOutOn: addDaysToDate(start, 3 * 365) });
    await withPlan(input, activities, async (handle) => {
      const runIds: string[] = [];
      const k0 = periodKeyOf(input.cadence, start);
      let s = await waitFor(handle, (x) => x.status === 'active' && x.period?.key === k0);
      runIds.push(s.runId);
      expect(s.progress?.label).toBe(`0/${requiredSessions(input.cadence, s.period!)} 次`);

      // Month 1 (a whole month): exactly 4 sessions.
      await skipPast(s);
      const k1 = nextMonthKey(k0);
      s = await waitFor(handle, (x) => x.period?.key === k1);
      runIds.push(s.runId);
      expect(s.carry.run).toBe(2);
      expect(s.carry.recent.map((p) => p.key)).toEqual([k0]);
      await skipDays(24);
      for (const d of ['01', '06', '12', '20']) await handle.executeUpdate(recordSessionUpdate, { args: [session(`${k1}-${d}`, 60)] });
      expect((await handle.query(getPlanStateQuery)).progress?.label).toBe('4/4 次');

      // Month 2: 3 sessions, and the sessions the validator turns away.
      await skipPast(s);
      const k2 = nextMonthKey(k1);
      s = await waitFor(handle, (x) => x.period?.key === k2);
      runIds.push(s.runId);
      await skipDays(20);
      for (const d of ['02', '09', '16']) await handle.executeUpdate(recordSessionUpdate, { args: [session(`${k2}-${d}`, 45)] });
      const t = await today();
      expect(await rejection(handle.executeUpdate(recordSessionUpdate, { args: [session(`${k2}-09`, 45, ' 康复师王芳 ')] })))
        .toBe(`康复师王芳 在 ${k2}-09 的服务已登记，不能重复登记`);
      expect(await rejection(handle.executeUpdate(recordSessionUpdate, { args: [session(`${k1}-28`, 45)] })))
        .toBe(`服务日期 ${k1}-28 不在本期（${k2}：${k2}-01 至 ${s.period!.end}）内，只能登记本期的服务`);
      expect(await rejection(handle.executeUpdate(recordSessionUpdate, { args: [session(addDaysToDate(t, 1), 45)] })))
        .toBe(`服务日期 ${addDaysToDate(t, 1)} 晚于今天（${t}），不能登记未来的服务`);
      expect(await rejection(handle.executeUpdate(recordSessionUpdate, { args: [session(t, 0)] }))).toBe('服务时长必须大于0');
      expect((await handle.query(getPlanStateQuery)).progress?.label).toBe('3/4 次');

      // Month 3: nothing recorded — the second shortfall in a row goes to the leadership group's office.
      await skipPast(s);
      const k3 = nextMonthKey(k2);
      s = await waitFor(handle, (x) => x.period?.key === k3);
      runIds.push(s.runId);
      await skipPast(s);
      const k4 = nextMonthKey(k3);
      s = await waitFor(handle, (x) => x.period?.key === k4);
      runIds.push(s.runId);

      const byKey = Object.fromEntries(periods.map((p) => [p.period.key, p]));
      expect(byKey[k1].verdict).toMatchObject({ compliant: true, sessions: 4, required: 4, shortfall: null });
      expect(byKey[k1].escalatedTo).toBeNull();
      expect(byKey[k2].verdict).toMatchObject({ compliant: false, sessions: 3, required: 4 });
      expect(byKey[k2].verdict.shortfall).toBe(`${k2} 未达到“每月不少于4次”：应不少于4次，实际3次，差1次`);
      expect(byKey[k2].escalatedTo).toBe('DPF');
      expect(byKey[k3]).toMatchObject({ escalatedTo: 'LEADERSHIP_OFFICE', verdict: { compliant: false, sessions: 0 } });
      expect(ledger.map((l) => [l.period, l.compliant, l.sessions])).toEqual([[k0, byKey[k0].verdict.compliant, 0], [k1, true, 4], [k2, false, 3], [k3, false, 0]]);
      expect(ledger[2].shortfall).toContain('差1次');

      // Past periods carry over (a small summary), and every run's history stays small.
      expect(s.carry.run).toBe(5);
      expect(s.carry.recent.map((p) => [p.key, p.compliant])).toEqual([[k0, byKey[k0].verdict.compliant], [k1, true], [k2, false], [k3, false]]);
      expect(s.carry.totals).toMatchObject({ periods: 4, sessions: 7 });
      expect(s.escalationLevel).toBe(2);
      expect(new Set(runIds).size).toBe(5);
      const lengths: number[] = [];
      for (const runId of runIds.slice(0, 4)) {
        const history = await env.client.workflow.getHandle(planWorkflowId(input.planId), runId).fetchHistory();
        lengths.push(history.events!.length);
      }
      for (const n of lengths) expect(n).toBeLessThan(100);
      expect(s.historyLength).toBeLessThan(20);
    });
  });

  it('home schooling: a week with a single 1.5-hour session makes the period non-compliant', async () => {
    const { activities, periods } = recorder();
    const start = await today();
    const input = planInput('HOME_SCHOOLING', { startDate: start, provider: { type: 'school', name: '兴庆区特殊教育学校' } });
    await withPlan(input, activities, async (handle) => {
      let s = await waitFor(handle, (x) => x.status === 'active');
      await skipPast(s);
      const key = nextMonthKey(s.period!.key);
      s = await waitFor(handle, (x) => x.period?.key === key);
      const weeks = s.period!.weeks!;
      expect(weeks.every((w) => w.checked)).toBe(true);
      // Week 1 starts today (Monday); one session every week, 2 class hours — except week 2: 1.5.
      for (const w of weeks) {
        const units = w.index === 2 ? 1.5 : 2;
        expect(await today()).toBe(w.start);
        await handle.executeUpdate(recordSessionUpdate, { args: [session(w.start, units, '李老师')] });
        if (w.index === 2) expect((await handle.query(getPlanStateQuery)).progress?.label).toBe('本周 1.5/2 课时');
        await skipDays(7);
      }
      await waitFor(handle, (x) => x.period?.key === nextMonthKey(key));
      const v = periods.find((p) => p.period.key === key)!;
      expect(v.verdict.compliant).toBe(false);
      expect(v.verdict.weeks!.map((w) => w.compliant)).toEqual(weeks.map((w) => w.index !== 2));
      expect(v.verdict.shortfall).toContain(`第2周`);
      expect(v.verdict.shortfall).toContain('最长一次1.5课时，未达到每次不少于2课时');
      // The first shortfall goes to the county education bureau; after a non-compliant first (partial) period, to the office.
      expect(v.escalatedTo).toBe(periods[0].verdict.compliant ? 'EDUCATION' : 'LEADERSHIP_OFFICE');
    });
  });

  it('children’s rehabilitation stops on the seventh birthday and says so', async () => {
    const { activities, periods, ledger } = recorder();
    const start = await today();
    const birthday = addDaysToDate(start, 45);
    const input = planInput('CHILD_REHAB', { startDate: start, ageOutOn: birthday });
    await withPlan(input, activities, async (handle) => {
      const final = await handle.result(); // the time-skipping server runs the timers to the end
      expect(final.status).toBe('ended');
      expect(final.end).toMatchObject({ reason: 'aged_out', lastDay: addDaysToDate(birthday, -1) });
      expect(final.end!.detail).toBe(`儿童已于 ${birthday} 年满7周岁，超出0–6岁残疾儿童送康复上门服务范围，服务自动终止`);
      expect(shanghaiDate(new Date(final.end!.at))).toBe(birthday);
      // The last period ends the day before the birthday and is checked pro rata.
      const last = periods[periods.length - 1];
      const expected = planPeriod(input.cadence, periodKeyOf(input.cadence, addDaysToDate(birthday, -1)), { startDate: start, lastDay: addDaysToDate(birthday, -1) })!;
      expect(last.period).toMatchObject({ key: expected.key, end: addDaysToDate(birthday, -1), partial: expected.partial });
      expect(last.verdict.required).toBe(requiredSessions(input.cadence, expected));
      expect(ledger.length).toBe(periods.length);
      const closed = await handle.query(getPlanStateQuery);
      expect(closed.status).toBe('ended');
    });
  });

  it('withdrawal ends the plan with its reason; a plan that has not started takes no sessions', async () => {
    const { activities, periods } = recorder();
    const start = addDaysToDate(await today(), 10);
    const input = planInput('HOME_EMPLOYMENT', { startDate: start, provider: { type: 'volunteer_team', name: '阳光志愿服务队' } });
    await withPlan(input, activities, async (handle) => {
      let s = await waitFor(handle, () => true);
      expect(s.status).toBe('pending');
      expect(await rejection(handle.executeUpdate(recordSessionUpdate, { args: [session(await today(), 30)] })))
        .toBe(`服务计划尚未开始（开始日期 ${start}），不能登记服务`);
      await skipDays(10);
      s = await waitFor(handle, (x) => x.status === 'active');
      expect(s.today).toBe(start);
      await handle.executeUpdate(recordSessionUpdate, { args: [session(await today(), 90, '就业指导员')] });
      const ended = await handle.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1', reason: '本人已外出务工' }] });
      expect(ended.status).toBe('ended');
      expect(ended.end).toMatchObject({ reason: 'withdrawn', detail: '退出服务：本人已外出务工', by: 'c1', lastDay: await today() });
      expect(periods).toHaveLength(1);
      expect(periods[0].verdict).toMatchObject({ compliant: true, sessions: 1 });
      expect(await rejection(handle.executeUpdate(withdrawPlanUpdate, { args: [{ actor: 'c1', reason: '再次退出' }] }))).toContain('服务计划已结束');
    });
  });
});
