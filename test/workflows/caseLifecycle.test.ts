import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addDaysToDate, addWorkingDays, HOLIDAY_CALENDAR, isWorkingDay, shanghaiDate, type HolidayYear } from '../../domain/calendar';
import { level2At, workingMsBetween } from '../../domain/caseFlow';
import {
  CASE_WORKFLOW_TYPE, caseWorkflowId, openedUpdate, assignUpdate, cancelCaseUpdate, confirmReceiptUpdate, deliverUpdate, greenChannelUpdate, holdUpdate, resumeUpdate, reviewUpdate,
  scheduleVisitUpdate, setCalendarSignal, supplementUpdate, visitReportUpdate, type CaseState, type EvidenceRef,
} from '../../workflows/contract';
import { testWorker } from '../support/env';
import {
  caseInput, eventTypes, eventually, fakeActivities, maybeRecordHistory, ownTimeSkippingEnv, projectedEvents, stateOf, withCase, type Recorded,
} from './caseSupport';

let env: TestWorkflowEnvironment;
let stop: () => Promise<void>;
beforeAll(async () => { ({ env, stop } = await ownTimeSkippingEnv()); });
afterAll(async () => { await stop?.(); });

const MIN = 60_000;
/** The step-deadline rule as an admin enforced it (a local rule: advisory by default). */
const ENFORCED = { version: 1, enforced: true };
const sha = (c: string) => c.repeat(64);
const FULL_EVIDENCE: EvidenceRef[] = [{ sha256: sha('a'), kind: 'photo' }, { sha256: sha('b'), kind: 'document' }, { sha256: sha('c'), kind: 'signature' }];

const assign = (h: WorkflowHandle, assignee = 'worker-1') => h.executeUpdate(assignUpdate, { args: [{ actor: 'lead-1', assignee }] });
const visitDone = (h: WorkflowHandle, evidence = FULL_EVIDENCE) =>
  h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome: 'done', evidence, notes: '已上门受理' }] });
const approve = (h: WorkflowHandle) => h.executeUpdate(reviewUpdate, { args: [{ actor: 'reviewer-1', decision: 'approve' }] });

/** The reason a rejected update carries (the API answers it as 409). */
async function rejection(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((e as WorkflowUpdateFailedError).cause as Error).message;
}

/**
 * Skips server time to a minute before a deadline, then two minutes across it (a long skip that
 * crosses a firing timer sometimes never returns from the time-skipping server under load).
 */
async function crossDeadline(at: number): Promise<void> {
  await skipTo(at - MIN, await env.currentTimeMs());
  await env.sleep(2 * MIN);
}

/** Skips server time until `at`. */
async function skipTo(at: number, state: CaseState | number): Promise<void> {
  const now = typeof state === 'number' ? state : await env.currentTimeMs();
  if (at > now) await env.sleep(at - now);
}

describe('caseEngine: the happy path', () => {
  it('walks assignment → visit → review → delivery → ledger → closed, projecting every event once, in order', async () => {
    const input = caseInput('DISABILITY_CERT', 'RENEW');
    const rec = await withCase(env, input, async (h) => {
      let s = await stateOf(h);
      expect(s).toMatchObject({ status: 'open', step: 'assignment', steps: ['assignment', 'visit', 'review', 'delivery', 'ledger'] });
      expect(s.dueAt).toBe(addWorkingDays(new Date(s.stepStartedAt), 2, input.calendar ?? HOLIDAY_CALENDAR).toISOString());

      s = await assign(h);
      expect(s).toMatchObject({ step: 'visit', assignee: 'worker-1' });
      expect(s.dueAt).toBe(addWorkingDays(new Date(s.stepStartedAt), 5).toISOString());
      s = await h.executeUpdate(scheduleVisitUpdate, { args: [{ actor: 'worker-1', scheduledAt: '2026-12-01T02:00:00Z' }] });
      s = await h.executeUpdate(scheduleVisitUpdate, { args: [{ actor: 'worker-1', scheduledAt: '2026-12-02T02:00:00Z', note: '家属要求改期' }] });
      expect(s.visits).toEqual([expect.objectContaining({ n: 1, scheduledAt: '2026-12-02T02:00:00.000Z' })]);
      s = await visitDone(h);
      expect(s.step).toBe('review');
      expect(s.evidence).toEqual(FULL_EVIDENCE);
      s = await approve(h);
      expect(s.step).toBe('delivery');
      s = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'post' }] });
      expect(s).toMatchObject({ step: 'delivery', delivery: { method: 'post' } });
      s = await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: 'worker-1' }] });
      expect(s).toMatchObject({ status: 'closed', step: 'done', outcome: 'approved', completedOnTime: true, overdue: false });
      expect(eventTypes(s)).toEqual([
        'opened', 'assigned', 'step_started', 'visit_scheduled', 'visit_rescheduled', 'visit_done', 'step_started',
        'reviewed', 'step_started', 'dispatched', 'received', 'step_started', 'ledger_shared', 'closed',
      ]);
      const final = await h.result();
      expect(final.status).toBe('closed');
      const desc = await h.describe();
      expect(desc.status.name).toBe('COMPLETED');
      expect(desc.searchAttributes.DoorstepStep).toEqual(['done']);
      expect(desc.searchAttributes.DoorstepCounty).toEqual(['640104']);
      await maybeRecordHistory(h, 'happy-path-renew');
    });
    expect(rec.ledger).toEqual([{ caseId: input.caseId, at: expect.any(String) }]);
    // Every event projected, in seq order with no gap (projectedEvents checks), in fewer writes than events.
    const written = projectedEvents(rec);
    expect(written.map((e) => e.seq)).toEqual(written.map((_, i) => i + 1));
    expect(written.at(-1)?.type).toBe('closed');
    expect(rec.projected.length).toBeLessThan(written.length);
    // The last batch carries the final state.
    expect(rec.projected.at(-1)!.state.status).toBe('closed');
  });

  it('an item without a certificate skips delivery, as the catalog says', async () => {
    const input = caseInput('DISABILITY_CERT', 'CANCEL');
    const rec = await withCase(env, input, async (h) => {
      await assign(h);
      await visitDone(h);
      const s = await approve(h);
      expect(s).toMatchObject({ status: 'closed', step: 'done' });
      expect(eventTypes(s)).not.toContain('dispatched');
      expect(s.steps).toEqual(['assignment', 'visit', 'review', 'ledger']);
      await maybeRecordHistory(h, 'no-certificate-cancel');
    });
    expect(rec.ledger).toHaveLength(1);
  });

  it('express delivery needs a tracking number, and a method the catalog allows', async () => {
    await withCase(env, caseInput('REAL_ESTATE', 'REGISTRATION', { department: 'NATURAL_RESOURCES' }), async (h) => {
      await assign(h);
      await visitDone(h);
      await approve(h);
      expect(await rejection(h.executeUpdate(deliverUpdate, { args: [{ actor: 'w', method: 'express' }] }))).toBe('快递送达须填写快递单号');
      expect(await rejection(h.executeUpdate(deliverUpdate, { args: [{ actor: 'w', method: 'post' }] }))).toContain('本事项不支持该送达方式');
      const s = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'w', method: 'express', trackingNumber: 'SF1234567890' }] });
      expect(s.delivery).toMatchObject({ method: 'express', trackingNumber: 'SF1234567890' });
      expect((await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: 'w' }] })).status).toBe('closed');
    });
  });
});

describe('caseEngine: starting, and delivering again', () => {
  it('update-with-start opens the case and answers with its state once the opening is projected, in one call', async () => {
    const input = caseInput('DISABILITY_CERT', 'RENEW');
    const rec: Recorded = { projected: [], ledger: [] };
    const { worker, taskQueue } = await testWorker(env.nativeConnection, fakeActivities(rec) as never);
    await worker.runUntil(async () => {
      const start = new WithStartWorkflowOperation(CASE_WORKFLOW_TYPE, {
        taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input], workflowIdConflictPolicy: 'FAIL',
      });
      const s = await env.client.workflow.executeUpdateWithStart(openedUpdate, { startWorkflowOperation: start });
      expect(s).toMatchObject({ status: 'open', step: 'assignment', events: [{ seq: 1, type: 'opened' }] });
      expect(projectedEvents(rec).map((e) => e.type)).toEqual(['opened']);
      const h = await start.workflowHandle();
      await maybeRecordHistory(h, 'update-with-start');
      await h.terminate('test over');
    });
  });

  it('a certificate sent again (mail returned) is redispatched; its receipt closes the case', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      await visitDone(h);
      await approve(h);
      await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'post' }] });
      let s = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'post' }] });
      expect(eventTypes(s).slice(-2)).toEqual(['dispatched', 'redispatched']);
      s = await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: 'worker-1' }] });
      expect(s).toMatchObject({ status: 'closed', step: 'done' });
      await maybeRecordHistory(h, 'redispatch');
    });
  });
});

describe('caseEngine: what is not allowed now', () => {
  it('a validator rejects a step not allowed now with the Chinese reason, and the case does not move', async () => {
    await withCase(env, caseInput('LEGAL_AID', 'CONSULTATION', { department: 'JUSTICE' }), async (h) => {
      expect(await rejection(visitDone(h))).toBe('案件当前处于分派步骤，不能登记上门结果');
      await assign(h);
      expect(await rejection(approve(h))).toBe('案件当前处于上门办理步骤，不能审核');
      // Evidence the catalog requires: a photo and a signature for a consultation.
      expect(await rejection(visitDone(h, [{ sha256: sha('a'), kind: 'photo' }]))).toBe('缺少佐证材料：服务对象或监护人签字确认');
      await visitDone(h);
      expect(await rejection(visitDone(h))).toBe('案件当前处于审核步骤，不能登记上门结果');
      const s = await stateOf(h);
      expect(s.step).toBe('review');
      expect(eventTypes(s).filter((t) => t === 'visit_done')).toHaveLength(1);
    });
  });

  it('the same update id applies once: the retry answers as the first call did', async () => {
    await withCase(env, caseInput('LEGAL_AID', 'MEDIATION', { department: 'JUSTICE' }), async (h) => {
      const first = await h.executeUpdate(assignUpdate, { args: [{ actor: 'lead-1', assignee: 'worker-1' }], updateId: 'lead-1:key-0001' });
      const again = await h.executeUpdate(assignUpdate, { args: [{ actor: 'lead-1', assignee: 'worker-1' }], updateId: 'lead-1:key-0001' });
      expect(again).toEqual(first);
      const s = await stateOf(h);
      expect(eventTypes(s).filter((t) => t === 'assigned')).toHaveLength(1);
      expect(s.events.find((e) => e.type === 'assigned')?.data?.updateId).toBe('lead-1:key-0001');
    });
  });
});

describe('caseEngine: visits that fail, and reviews that do not approve', () => {
  it('three failed visits (nobody home / refused) escalate to the county department; the case stays at the visit', async () => {
    await withCase(env, caseInput('SOCIAL_ASSISTANCE', 'MIN_LIVING', { department: 'CIVIL_AFFAIRS' }), async (h) => {
      await assign(h);
      const fail = (outcome: 'nobody_home' | 'refused') => h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome, evidence: [] }] });
      await fail('nobody_home');
      let s = await fail('refused');
      expect(s).toMatchObject({ failedVisits: 2, escalationLevel: 0 });
      s = await fail('nobody_home');
      expect(s).toMatchObject({ step: 'visit', failedVisits: 3, escalationLevel: 1 });
      expect(s.escalations).toEqual([expect.objectContaining({ level: 1, reason: 'failed_visits', target: { code: 'CIVIL_AFFAIRS', label: '民政局', county: '640104' } })]);
      expect(s.visits.map((v) => v.outcome)).toEqual(['nobody_home', 'refused', 'nobody_home']);
      // The fourth visit can still succeed.
      s = await visitDone(h);
      expect(s.step).toBe('review');
      await maybeRecordHistory(h, 'three-failed-visits');
    });
  });

  it('return for more material goes back to the visit step with a fresh deadline', async () => {
    await withCase(env, caseInput('SOCIAL_INSURANCE', 'PENSION_INSURANCE', { department: 'HRSS' }), async (h) => {
      await assign(h);
      await visitDone(h);
      let s = await h.executeUpdate(reviewUpdate, { args: [{ actor: 'reviewer-1', decision: 'return', reason: '缺少户口簿复印件' }] });
      expect(s).toMatchObject({ step: 'visit', status: 'open' });
      expect(s.reviews).toEqual([expect.objectContaining({ decision: 'return', reason: '缺少户口簿复印件' })]);
      expect(s.dueAt).toBe(addWorkingDays(new Date(s.stepStartedAt), 5).toISOString());
      s = await visitDone(h);
      expect(s.visits).toHaveLength(2);
      s = await approve(h);
      expect(s.status).toBe('closed');
      expect(eventTypes(s).filter((t) => t === 'visit_done')).toHaveLength(2);
      await maybeRecordHistory(h, 'return-for-material');
    });
  });

  it('rejection ends the case as rejected, with the reason, and still writes its ledger row', async () => {
    const input = caseInput('SOCIAL_ASSISTANCE', 'TEMP_ASSISTANCE', { department: 'CIVIL_AFFAIRS' });
    const rec = await withCase(env, input, async (h) => {
      await assign(h);
      await visitDone(h);
      const s = await h.executeUpdate(reviewUpdate, { args: [{ actor: 'reviewer-1', decision: 'reject', reason: '家庭收入超过救助标准' }] });
      expect(s).toMatchObject({ status: 'rejected', step: 'done', outcome: 'rejected' });
      expect(eventTypes(s).slice(-4)).toEqual(['rejected', 'step_started', 'ledger_shared', 'closed']);
      await expect(approve(h)).rejects.toThrow();
      await maybeRecordHistory(h, 'rejection');
    });
    expect(rec.ledger).toHaveLength(1);
  });
});

describe('caseEngine: cancel, hold, green channel', () => {
  it('cancel mid-visit ends the case with the reason; nothing goes to the ledger; later steps are refused', async () => {
    const rec = await withCase(env, caseInput('DISABILITY_CERT', 'NEW'), async (h) => {
      await assign(h);
      await h.executeUpdate(scheduleVisitUpdate, { args: [{ actor: 'worker-1', scheduledAt: '2026-12-01T02:00:00Z' }] });
      const s = await h.executeUpdate(cancelCaseUpdate, { args: [{ actor: 'lead-1', reason: 'died', detail: '家属告知' }] });
      expect(s).toMatchObject({ status: 'cancelled', step: 'done', outcome: 'cancelled', cancellation: { reason: 'died', detail: '家属告知' } });
      expect(s.events.at(-1)).toMatchObject({ type: 'cancelled', data: expect.objectContaining({ reason: 'died', atStep: 'visit' }) });
      expect((await h.result()).status).toBe('cancelled');
      await expect(visitDone(h)).rejects.toThrow();
      await maybeRecordHistory(h, 'cancel-mid-visit');
    });
    expect(rec.ledger).toHaveLength(0);
  });

  it('hold stops the clock: nothing falls due on hold, and on resume the deadline moves by the working time held', async () => {
    await withCase(env, caseInput('LEGAL_AID', 'LEGAL_AID', { department: 'JUSTICE', stepDeadlines: ENFORCED }), async (h) => {
      let s = await assign(h);
      const due0 = Date.parse(s.dueAt!);
      s = await h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-1', reason: '服务对象住院' }] });
      expect(s.onHold).toBe(true);
      expect(await rejection(visitDone(h))).toBe('案件已暂停，请先恢复后再登记上门结果');
      // Skip well past the original deadline: on hold, it does not fall due.
      await skipTo(due0 + 5 * 86_400_000, s);
      s = await stateOf(h);
      expect(s).toMatchObject({ overdue: false, escalationLevel: 0 });
      expect(eventTypes(s)).not.toContain('overdue');
      s = await h.executeUpdate(resumeUpdate, { args: [{ actor: 'lead-1' }] });
      const hold = s.holds[0];
      const held = workingMsBetween(new Date(hold.from), new Date(hold.to!));
      expect(hold.workingMs).toBe(held);
      expect(held).toBeGreaterThan(0);
      expect(s.stepHeldWorkingMs).toBe(held);
      const due1 = Date.parse(s.dueAt!);
      expect(due1).toBeGreaterThan(Date.parse(hold.to!));
      // Just before the moved deadline: still not overdue. Just after: overdue and escalated.
      await skipTo(due1 - MIN, await env.currentTimeMs());
      expect((await stateOf(h)).overdue).toBe(false);
      await env.sleep(2 * MIN);
      s = await eventually(async () => { const x = await stateOf(h); return x.escalationLevel === 1 && x; });
      expect(s.overdue).toBe(true);
      await maybeRecordHistory(h, 'hold-and-resume');
    });
  });

  it('the green channel shortens the current deadline and is listed in the search attributes', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'TRANSFER'), async (h) => {
      let s = await assign(h);
      expect(s.stepWorkingDays).toBe(5);
      s = await h.executeUpdate(greenChannelUpdate, { args: [{ actor: 'lead-1' }] });
      expect(s).toMatchObject({ greenChannel: true, stepWorkingDays: 2 });
      expect(s.dueAt).toBe(addWorkingDays(new Date(s.stepStartedAt), 2).toISOString());
      expect(await rejection(h.executeUpdate(greenChannelUpdate, { args: [{ actor: 'lead-1' }] }))).toBe('案件已开启绿色通道');
      await visitDone(h);
      s = await stateOf(h);
      expect(s.stepWorkingDays).toBe(2); // review under the green channel: 2 working days instead of 5
      const desc = await h.describe();
      expect(desc.searchAttributes.DoorstepGreenChannel).toEqual([true]);
      expect(desc.searchAttributes.DoorstepStep).toEqual(['review']);
      expect((desc.searchAttributes.DoorstepDueAt as Date[])[0].toISOString()).toBe(s.dueAt);
      await maybeRecordHistory(h, 'green-channel');
    });
  });
});

describe('caseEngine: deadlines and escalation', () => {
  it('escalates at exactly the working-day deadline across a holiday, then to the leadership group office', async () => {
    // The server's clock is the real "now": put a two-day holiday on the next two working days after it.
    const now = new Date(await env.currentTimeMs());
    const days: string[] = [];
    for (let d = addDaysToDate(shanghaiDate(now), 1); days.length < 2; d = addDaysToDate(d, 1)) if (isWorkingDay(d)) days.push(d);
    const calendar: HolidayYear[] = [
      ...HOLIDAY_CALENDAR.map((y) => ({ ...y, holidays: [...y.holidays], makeUpWorkdays: [...y.makeUpWorkdays] })),
      { year: Number(days[0].slice(0, 4)), source: 'test', holidays: [{ name: '测试假日', from: days[0], to: days[1] }], makeUpWorkdays: [] },
    ];
    // Step deadlines are a local rule: they escalate only once an admin enforces them (see casePolicy.test.ts for the advisory default).
    const input = caseInput('PENSION_QUALIFICATION', 'CERTIFY', { department: 'HRSS', calendar, stepDeadlines: ENFORCED });
    await withCase(env, input, async (h) => {
      let s = await stateOf(h);
      const start = new Date(s.stepStartedAt);
      const due = addWorkingDays(start, 2, calendar);
      expect(s.dueAt).toBe(due.toISOString());
      expect(due.getTime()).toBeGreaterThan(addWorkingDays(start, 2).getTime()); // the holiday pushed it back
      await skipTo(due.getTime() - MIN, start.getTime());
      s = await stateOf(h);
      expect(s.overdue).toBe(false);
      await env.sleep(2 * MIN);
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 1 && x; });
      expect(s).toMatchObject({ overdue: true, escalationLevel: 1, step: 'assignment' });
      const overdue = s.events.find((e) => e.type === 'overdue')!;
      expect(Date.parse(overdue.at)).toBeGreaterThanOrEqual(due.getTime());
      expect(Date.parse(overdue.at)).toBeLessThan(due.getTime() + 2 * MIN);
      expect(s.escalations[0]).toMatchObject({ level: 1, reason: 'step_overdue', target: { code: 'HRSS', label: '人社局', county: '640104' } });
      const desc = await h.describe();
      expect(desc.searchAttributes.DoorstepOverdue).toEqual([true]);

      const l2 = level2At(due, calendar).getTime();
      await skipTo(l2 - MIN, await env.currentTimeMs());
      expect((await stateOf(h)).escalationLevel).toBe(1);
      await env.sleep(2 * MIN);
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 2 && x; });
      expect(s.escalations[1]).toMatchObject({ level: 2, reason: 'step_overdue', target: { code: 'LEADERSHIP_OFFICE', label: '领导小组办公室' } });
      expect(s.escalationLevel).toBe(2);

      // Assigning late moves on; the late step is remembered and the case is no longer overdue.
      s = await assign(h);
      expect(s).toMatchObject({ step: 'visit', overdue: false, escalationLevel: 0, lateSteps: ['assignment'] });
      await maybeRecordHistory(h, 'escalation-across-holiday');
    });
  });

  it('the setCalendar signal swaps the holiday table of a running case and moves its current deadline', async () => {
    await withCase(env, caseInput('LEGAL_AID', 'MEDIATION', { department: 'JUSTICE' }), async (h, seen) => {
      let s = await assign(h);
      const start = new Date(s.stepStartedAt);
      expect(s.dueAt).toBe(addWorkingDays(start, 5).toISOString());
      const next = addDaysToDate(shanghaiDate(start), 1);
      const calendar: HolidayYear[] = [{ year: Number(next.slice(0, 4)), source: 'test', holidays: [{ name: '测试假日', from: next, to: addDaysToDate(next, 6) }], makeUpWorkdays: [] }];
      await h.signal(setCalendarSignal, { calendar });
      s = await eventually(async () => { const x = await stateOf(h); return x.dueAt !== s.dueAt && x; });
      expect(s.dueAt).toBe(addWorkingDays(start, 5, calendar).toISOString());
      expect(s.events.at(-1)).toMatchObject({ type: 'calendar_updated', data: { sources: ['test'], dueAt: s.dueAt } });
      await eventually(async () => projectedEvents(seen).length === s.events.length);
      // A step after the signal answers with the state that shows it (the replay test reads states from answers).
      const held = await h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-1', reason: '服务对象住院' }] });
      expect(held.events.map((e) => e.type)).toEqual(expect.arrayContaining(['calendar_updated', 'held']));
      await maybeRecordHistory(h, 'set-calendar');
    });
  });

  it('a missed supplement deadline (容缺后补) escalates; the case goes on but closes only when the documents are in', async () => {
    const input = caseInput('DISABILITY_CERT', 'REISSUE');
    const rec = await withCase(env, input, async (h, seen) => {
      await assign(h);
      await visitDone(h);
      const today = shanghaiDate(new Date(await env.currentTimeMs()));
      const dueDate = addDaysToDate(today, 3);
      let s = await h.executeUpdate(reviewUpdate, {
        args: [{ actor: 'reviewer-1', decision: 'approve_with_missing', missing: ['户口簿复印件', '近期免冠照片'], supplementDueDate: dueDate }],
      });
      expect(s).toMatchObject({ step: 'delivery', supplementDueAt: `${dueDate}T16:00:00.000Z`, supplement: { status: 'pending' } });
      s = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'in_person' }] });
      // Delivered; the ledger step waits for the documents (no step deadline meanwhile).
      expect(s).toMatchObject({ status: 'open', step: 'ledger' });
      expect(s.dueAt).toBeUndefined();
      expect(seen.ledger).toHaveLength(0);
      s = await h.executeUpdate(supplementUpdate, { args: [{ actor: 'worker-1', documents: ['近期免冠照片'] }] });
      expect(s.supplement).toMatchObject({ status: 'pending', supplied: ['近期免冠照片'] });

      const dueAt = Date.parse(s.supplementDueAt!);
      await crossDeadline(dueAt);
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 1 && x; });
      expect(s).toMatchObject({ overdue: true, escalationLevel: 1, supplement: { status: 'overdue' } });
      expect(s.escalations[0]).toMatchObject({ level: 1, reason: 'supplement_overdue' });
      expect(s.events.find((e) => e.type === 'supplement_overdue')?.data).toMatchObject({ outstanding: ['户口簿复印件'] });
      await crossDeadline(level2At(new Date(dueAt)).getTime());
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 2 && x; });
      expect(s.escalations[1]).toMatchObject({ level: 2, reason: 'supplement_overdue', target: { code: 'LEADERSHIP_OFFICE' } });
      expect(s.status).toBe('open');

      s = await h.executeUpdate(supplementUpdate, { args: [{ actor: 'worker-1', documents: ['户口簿复印件'] }] });
      expect(s).toMatchObject({ status: 'closed', completedOnTime: false, supplement: { status: 'supplied', late: true }, overdue: false });
      await maybeRecordHistory(h, 'missed-supplement');
    });
    expect(rec.ledger).toHaveLength(1);
  });

  it('a supplement due date in the past is refused', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      await visitDone(h);
      const reason = await rejection(h.executeUpdate(reviewUpdate, {
        args: [{ actor: 'r', decision: 'approve_with_missing', missing: ['照片'], supplementDueDate: '2020-01-01' }],
      }));
      expect(reason).toBe('后补期限不能早于今天');
    });
  });
});
