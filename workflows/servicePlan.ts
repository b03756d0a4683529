/**
 * servicePlan: one ongoing service plan (adult or children's home rehabilitation, home schooling,
 * housekeeping, home employment) for one person, one period per workflow run.
 *
 * A run waits for its start date if it is still ahead, then takes sessions for its period until the
 * period's last day of service ends; then it checks the cadence, writes the period's verdict and ledger
 * row, escalates a shortfall, and either ends the plan (end date, withdrawal, a child's 7th birthday)
 * or continues as new with a small carried state — so a plan's history stays small however long it runs.
 *
 * Decisions:
 * - Sessions are taken only for days of the current period up to today (workflow time); a session
 *   done on the last day must be recorded before the period's midnight check. Duplicates: the same
 *   date and the same staff member (names compared trimmed and case-insensitively). At most
 *   MAX_SESSIONS_PER_PERIOD per period, which bounds a run's history.
 * - The period's ledger row goes into the ledger month in which the period is checked (usually the
 *   1st of the next month): the period's own month may already be shared with the DPF and frozen by
 *   then, and the row's result names the period ('2026-12 达标（4 次）').
 * - Escalation: the first non-compliant period in a row goes to the plan's county department, the
 *   second and later to the leadership group's office; a compliant period resets it. The target is on
 *   the plan_periods row and plans.escalation_level (GET /v1/plans?escalated=true).
 * - Withdrawal ends the plan at once; the current period is checked pro rata up to the withdrawal day
 *   (a withdrawal before the start date checks nothing). A child's plan ends after the day before
 *   the 7th birthday, whose partial period is checked pro rata like any other.
 */
import {
  allHandlersFinished, ApplicationFailure, condition, continueAsNew, log, proxyActivities, setHandler, upsertSearchAttributes, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { addDaysToDate, isDateString, shanghaiDate, startOfShanghaiDay } from '../domain/calendar';
import { LEADERSHIP_OFFICE } from '../domain/counties';
import {
  checkCadence, nextMonthKey, periodEndsAt, periodKeyOf, periodProgress, planPeriod, type PlanPeriod,
} from '../domain/planPeriods';
import { SA } from './contract';
import {
  getPlanStateQuery, MAX_SESSIONS_PER_PERIOD, PLAN_STEP_NOT_ALLOWED, RECENT_PERIODS, recordSessionUpdate, withdrawPlanUpdate,
  type PastPeriod, type PlanCarry, type PlanEnd, type PlanInput, type PlanSession, type PlanState, type RecordSessionRequest, type WithdrawRequest,
} from './planContract';

const { projectPlan, recordPlanPeriod, writePlanPeriodLedgerEntry } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
});

/** A step that is not allowed now: the API answers 409 with this reason. */
function notAllowed(reason: string): ApplicationFailure {
  return ApplicationFailure.create({ message: reason, type: PLAN_STEP_NOT_ALLOWED, nonRetryable: true });
}

const minDate = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : a < b ? a : b);
const staffKey = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** The carried state of a plan's first run. */
export function firstCarry(input: PlanInput): PlanCarry {
  return {
    seq: 0, periodKey: periodKeyOf(input.cadence, input.startDate), run: 1, recent: [],
    totals: { periods: 0, compliant: 0, sessions: 0 }, consecutiveShortfalls: 0,
  };
}

export async function servicePlan(input: PlanInput, carried?: PlanCarry): Promise<PlanState> {
  const carry: PlanCarry = carried ? { ...carried, recent: [...carried.recent], totals: { ...carried.totals } } : firstCarry(input);
  const today = () => shanghaiDate(new Date());
  /** The last day of service the plan itself sets: its end date, or the day before a child's 7th birthday. */
  const plannedLastDay = minDate(input.endDate, input.ageOutOn ? addDaysToDate(input.ageOutOn, -1) : undefined);
  let withdrawal: { lastDay: string; at: string; by: string; reason: string } | undefined;
  let closing = false;
  /** Session updates still projecting (a withdrawal's handler waits for the end, so not allHandlersFinished here). */
  let sessionsInFlight = 0;
  const lastDay = () => (withdrawal ? withdrawal.lastDay : plannedLastDay);
  const currentPeriod = (): PlanPeriod | undefined => planPeriod(input.cadence, carry.periodKey, { startDate: input.startDate, lastDay: lastDay() });

  const state: PlanState = {
    input,
    status: today() < input.startDate ? 'pending' : 'active',
    carry,
    period: currentPeriod() ?? null,
    sessions: [],
    progress: null,
    escalationLevel: carry.consecutiveShortfalls > 0 ? Math.min(carry.consecutiveShortfalls, 2) : 0,
    today: today(),
    runId: workflowInfo().runId,
    historyLength: workflowInfo().historyLength,
  };

  /** The state as the query and the projection see it: progress and clocks brought up to date. */
  function snapshot(): PlanState {
    const t = today();
    const progress = state.period && state.status === 'active' ? periodProgress(input.cadence, state.period, state.sessions, t) : null;
    return { ...state, today: t, historyLength: workflowInfo().historyLength, progress };
  }

  /** Projects the plan (and a new session) into the read model; the sequence orders snapshots across runs. */
  async function project(session?: PlanSession): Promise<void> {
    carry.seq += 1;
    await projectPlan({ seq: carry.seq, state: snapshot(), ...(session ? { session } : {}) });
  }

  setHandler(getPlanStateQuery, () => snapshot());

  /** Why a session cannot be recorded now (undefined: it can). Checked by the validator and again by the handler. */
  function sessionRefusal(req: RecordSessionRequest): string | undefined {
    if (state.status === 'pending') return `服务计划尚未开始（开始日期 ${input.startDate}），不能登记服务`;
    if (state.status === 'ended' || withdrawal) return `服务计划已结束${state.end ? `（${state.end.detail}）` : withdrawal ? '（已申请退出服务）' : ''}，不能再登记服务`;
    const period = state.period;
    if (!period || closing) return `本期${period ? `（${period.key}）` : ''}已截止，正在核查，不能再登记本期服务`;
    if (!isDateString(req.date)) return `服务日期无效：${req.date}`;
    const t = today();
    if (req.date > t) return `服务日期 ${req.date} 晚于今天（${t}），不能登记未来的服务`;
    if (req.date < period.start || req.date > period.end) {
      return `服务日期 ${req.date} 不在本期（${period.key}：${period.start} 至 ${period.end}）内，只能登记本期的服务`;
    }
    if (!(Number.isFinite(req.units) && req.units > 0)) return '服务时长必须大于0';
    if (typeof req.providerStaff !== 'string' || !req.providerStaff.trim()) return '请填写服务人员';
    const key = staffKey(req.providerStaff);
    if (state.sessions.some((s) => s.date === req.date && staffKey(s.providerStaff) === key)) {
      return `${req.providerStaff.trim()} 在 ${req.date} 的服务已登记，不能重复登记`;
    }
    if (state.sessions.length >= MAX_SESSIONS_PER_PERIOD) return `本期已登记 ${MAX_SESSIONS_PER_PERIOD} 次服务，已达上限`;
    return undefined;
  }

  /** Why the plan cannot be withdrawn now (undefined: it can). */
  function withdrawRefusal(req: WithdrawRequest): string | undefined {
    if (state.status === 'ended' || withdrawal) return `服务计划已结束${state.end ? `（${state.end.detail}）` : withdrawal ? '（已申请退出服务）' : ''}`;
    if (typeof req.reason !== 'string' || !req.reason.trim()) return '请填写退出原因';
    return undefined;
  }

  /**
   * Runs a transition synchronously after checking its guard once more (another update may have applied
   * since the validator ran). A refusal is a rejected update (409); anything else it throws (a bug) is
   * turned into a rejection too, so no input can fail the workflow task.
   */
  function transact<T>(refusal: string | undefined, apply: () => T): T {
    if (refusal) throw notAllowed(refusal);
    try {
      return apply();
    } catch (e) {
      if (e instanceof ApplicationFailure) throw e;
      log.error('plan transition failed', { planId: input.planId, error: (e as Error).message });
      throw ApplicationFailure.create({ message: '服务计划处理失败，操作未生效，请联系管理员', type: 'TransitionFailed', nonRetryable: true });
    }
  }

  setHandler(recordSessionUpdate, async (req) => {
    // Guard, session and counters with no await in between: the next update's guard already sees it.
    const session = transact(sessionRefusal(req), (): PlanSession => {
      const period = state.period as PlanPeriod;
      const s: PlanSession = {
        id: uuid4(),
        period: period.key,
        date: req.date,
        units: req.units,
        unit: input.cadence.unit === 'class_hours' ? 'class_hours' : 'minutes',
        providerStaff: req.providerStaff.trim(),
        content: req.content,
        evidence: req.evidence ?? [],
        recordedBy: req.actor,
        recordedAt: new Date().toISOString(),
      };
      state.sessions.push(s);
      carry.totals.sessions += 1;
      sessionsInFlight += 1;
      return s;
    });
    try {
      await project(session);
    } finally {
      sessionsInFlight -= 1;
    }
    return session;
  }, {
    validator: (req) => {
      const why = sessionRefusal(req);
      if (why) throw notAllowed(why);
    },
  });

  setHandler(withdrawPlanUpdate, async (req) => {
    transact(withdrawRefusal(req), () => {
      const t = today();
      // Withdrawing before the start date means no day of service; otherwise today is the last one.
      withdrawal = { lastDay: t < input.startDate ? addDaysToDate(input.startDate, -1) : t, at: new Date().toISOString(), by: req.actor, reason: req.reason };
    });
    await condition(() => state.status === 'ended');
    return snapshot();
  }, {
    validator: (req) => {
      const why = withdrawRefusal(req);
      if (why) throw notAllowed(why);
    },
  });

  // 1. Before the start date: wait (a withdrawal may come first).
  if (state.status === 'pending') {
    await project();
    await condition(() => withdrawal !== undefined, startOfShanghaiDay(input.startDate).getTime() - new Date().getTime());
    if (!withdrawal) state.status = 'active';
  }

  // 2. The period: take sessions until its last day of service is over, or the plan is withdrawn.
  if (state.status === 'active' && state.period) {
    upsertSearchAttributes([{ key: SA.step, value: 'plan_active' }]);
    await project();
    const wait = periodEndsAt(state.period).getTime() - new Date().getTime();
    if (wait > 0) await condition(() => withdrawal !== undefined, wait);
  }

  // 3. Check the period (clipped to a withdrawal), write its verdict and ledger row, escalate a shortfall.
  closing = true;
  await condition(() => sessionsInFlight === 0);
  const period = currentPeriod();
  state.period = period ?? null;
  if (period && state.status === 'active') await checkPeriod(period);

  // 4. End, or continue with the next period as a new run.
  const last = lastDay();
  const end = withdrawal
    ? endWith('withdrawn', withdrawal.lastDay, `退出服务：${withdrawal.reason}`, withdrawal.by)
    : last !== undefined && (!period || period.end >= last)
      ? input.ageOutOn && last === addDaysToDate(input.ageOutOn, -1)
        ? endWith('aged_out', last, `儿童已于 ${input.ageOutOn} 年满7周岁，超出0–6岁残疾儿童送康复上门服务范围，服务自动终止`)
        : endWith('end_date', last, `服务计划于 ${last} 到期结束`)
      : undefined;
  if (end) {
    state.status = 'ended';
    state.end = end;
    upsertSearchAttributes([{ key: SA.step, value: 'plan_ended' }]);
    await project();
    await condition(allHandlersFinished);
    return snapshot();
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof servicePlan>(input, { ...carry, periodKey: nextMonthKey(carry.periodKey), run: carry.run + 1 });

  function endWith(reason: PlanEnd['reason'], lastServiceDay: string, detail: string, by?: string): PlanEnd {
    return { reason, lastDay: lastServiceDay, at: new Date().toISOString(), detail, ...(by ? { by } : {}) };
  }

  /** The period-end check: verdict, ledger row, escalation. */
  async function checkPeriod(p: PlanPeriod): Promise<void> {
    const verdict = checkCadence(input.cadence, p, state.sessions);
    carry.consecutiveShortfalls = verdict.compliant ? 0 : carry.consecutiveShortfalls + 1;
    // A shortfall goes to the county department first; a second one in a row to the leadership group's office.
    const escalatedTo = verdict.compliant ? null : carry.consecutiveShortfalls >= 2 ? LEADERSHIP_OFFICE.code : input.department;
    state.escalationLevel = Math.min(carry.consecutiveShortfalls, 2);
    const checkedAt = new Date().toISOString();
    const lastSessionOn = state.sessions.reduce<string | null>((m, s) => (m === null || s.date > m ? s.date : m), null);
    const ledgerEntryId = await writePlanPeriodLedgerEntry({
      planId: input.planId, period: p.key, at: checkedAt, sessions: verdict.sessions, compliant: verdict.compliant,
      shortfall: verdict.shortfall ?? (p.partial ? `本期服务${p.coveredDays}天，按比例核查` : ''), lastSessionOn, providerName: input.provider.name,
    });
    await recordPlanPeriod({ planId: input.planId, period: p, verdict, escalatedTo, checkedAt, lastSessionOn, providerName: input.provider.name, ledgerEntryId });
    const past: PastPeriod = {
      key: p.key, start: p.start, end: p.end, sessions: verdict.sessions, qualifying: verdict.qualifying, required: verdict.required,
      compliant: verdict.compliant, partial: p.partial, summary: verdict.summary, shortfall: verdict.shortfall, checkedAt,
      ...(escalatedTo ? { escalatedTo } : {}),
    };
    carry.recent = [...carry.recent, past].slice(-RECENT_PERIODS);
    carry.totals.periods += 1;
    if (verdict.compliant) carry.totals.compliant += 1;
  }
}
