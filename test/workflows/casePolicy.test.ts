/**
 * Issue 15 in the case workflow (caseEngine, behind patched()):
 * - 绿色通道+容缺后补 at 申请受理 (plan 四（三）“必要时第一时间启动‘绿色通道+容缺后补’机制，并指定专人负责申请受理”):
 *   a green-channel case opened with documents missing starts with its supplement running;
 * - step deadlines are a local rule (the plan sets none): a passed one is recorded and shown as
 *   advisory, and escalates only while an admin enforces the rule (the setPolicy signal brings it).
 * The recorded histories of these paths (RECORD_HISTORIES=1) are replayed by replay.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addDaysToDate, addWorkingDays, shanghaiDate } from '../../domain/calendar';
import { level2At } from '../../domain/caseFlow';
import {
  assignUpdate, deliverUpdate, reviewUpdate, setPolicySignal, supplementUpdate, visitReportUpdate, type CaseState, type EvidenceRef,
} from '../../workflows/contract';
import { caseInput, eventTypes, eventually, maybeRecordHistory, ownTimeSkippingEnv, stateOf, withCase } from './caseSupport';

let env: TestWorkflowEnvironment;
let stop: () => Promise<void>;
beforeAll(async () => { ({ env, stop } = await ownTimeSkippingEnv()); });
afterAll(async () => { await stop?.(); });

const MIN = 60_000;
const sha = (c: string) => c.repeat(64);
const FULL_EVIDENCE: EvidenceRef[] = [{ sha256: sha('a'), kind: 'photo' }, { sha256: sha('b'), kind: 'document' }, { sha256: sha('c'), kind: 'signature' }];
const assign = (h: WorkflowHandle) => h.executeUpdate(assignUpdate, { args: [{ actor: 'lead-1', assignee: 'worker-1' }] });
const visitDone = (h: WorkflowHandle) => h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome: 'done', evidence: FULL_EVIDENCE }] });

async function skipTo(at: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (at > now) await env.sleep(at - now);
}
/** Skips to a minute before `at`, then two minutes across it. */
async function crossDeadline(at: number): Promise<void> {
  await skipTo(at - MIN);
  await env.sleep(2 * MIN);
}

describe('caseEngine: 绿色通道+容缺后补 at 申请受理 (plan 四（三）)', () => {
  it('a green-channel case opened with documents missing runs its supplement from the start; it closes only once they are in', async () => {
    const today = shanghaiDate(new Date(await env.currentTimeMs()));
    const dueDate = addDaysToDate(today, 10);
    const input = caseInput('DISABILITY_CERT', 'REISSUE', { greenChannel: true, acceptWithMissing: { missing: ['户口簿复印件', '近期免冠照片'], supplementDueDate: dueDate } });
    const rec = await withCase(env, input, async (h) => {
      let s: CaseState = await stateOf(h);
      // Accepted (opened) with the documents missing: the supplement runs beside the main path from the first step.
      expect(s).toMatchObject({
        status: 'open', step: 'assignment', greenChannel: true, supplementDueAt: `${dueDate}T16:00:00.000Z`,
        supplement: { stage: 'acceptance', missing: ['户口簿复印件', '近期免冠照片'], supplied: [], status: 'pending', dueDate },
      });
      expect(s.events[0]).toMatchObject({ type: 'opened', data: { acceptedWithMissing: ['户口簿复印件', '近期免冠照片'], supplementDueAt: `${dueDate}T16:00:00.000Z` } });
      // One document comes in before anyone is assigned.
      s = await h.executeUpdate(supplementUpdate, { args: [{ actor: 'lead-1', documents: ['近期免冠照片'] }] });
      expect(s.supplement).toMatchObject({ status: 'pending', supplied: ['近期免冠照片'] });
      await assign(h);
      await visitDone(h);
      // The reviewer accepts with one more document missing: one list, the later date covers it.
      const later = addDaysToDate(today, 15);
      s = await h.executeUpdate(reviewUpdate, { args: [{ actor: 'reviewer-1', decision: 'approve_with_missing', missing: ['村委会证明'], supplementDueDate: later }] });
      expect(s.supplement).toMatchObject({ stage: 'acceptance', missing: ['户口簿复印件', '近期免冠照片', '村委会证明'], dueDate: later, status: 'pending' });
      s = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'in_person' }] });
      expect(s).toMatchObject({ status: 'open', step: 'ledger' });
      expect(s.dueAt).toBeUndefined();
      s = await h.executeUpdate(supplementUpdate, { args: [{ actor: 'worker-1', documents: ['户口簿复印件', '村委会证明'] }] });
      expect(s).toMatchObject({ status: 'closed', completedOnTime: true, supplement: { status: 'supplied', late: false } });
      await maybeRecordHistory(h, 'accept-with-missing');
    });
    expect(rec.ledger).toHaveLength(1);
  });

  it('documents accepted missing at 申请受理 and not supplied by their date escalate as a missed supplement', async () => {
    const today = shanghaiDate(new Date(await env.currentTimeMs()));
    const input = caseInput('LEGAL_AID', 'LEGAL_AID', { department: 'JUSTICE', greenChannel: true, acceptWithMissing: { missing: ['身份证复印件'], supplementDueDate: addDaysToDate(today, 2) } });
    await withCase(env, input, async (h) => {
      let s = await assign(h);
      await crossDeadline(Date.parse(s.supplementDueAt!));
      s = await eventually(async () => { const x = await stateOf(h); return x.supplement?.status === 'overdue' && x; });
      expect(s.escalations.filter((e) => e.reason === 'supplement_overdue')).toEqual([expect.objectContaining({ level: 1 })]);
      expect(s.events.find((e) => e.type === 'supplement_overdue')?.data).toMatchObject({ outstanding: ['身份证复印件'] });
    });
  });

  it('a case that is not on the green channel is never opened with a supplement (the plan pairs 容缺后补 with the green channel)', async () => {
    const input = caseInput('LEGAL_AID', 'LEGAL_AID', { department: 'JUSTICE', acceptWithMissing: { missing: ['身份证复印件'], supplementDueDate: '2099-01-01' } });
    await withCase(env, input, async (h) => {
      const s = await stateOf(h);
      expect(s.supplement).toBeUndefined();
      expect(s.status).toBe('open');
      await expect(h.executeUpdate(supplementUpdate, { args: [{ actor: 'lead-1', documents: ['身份证复印件'] }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    });
  });
});

describe('caseEngine: step deadlines are a local rule (deadlines.steps), advisory until enforced', () => {
  it('a passed deadline is recorded as advisory and not escalated; enforcing the rule escalates it, advisory again stops escalating', async () => {
    const input = caseInput('LEGAL_AID', 'CONSULTATION', { department: 'JUSTICE' });
    await withCase(env, input, async (h) => {
      let s = await stateOf(h);
      expect(s.stepDeadlines).toBeUndefined(); // no rule sent: the rule's default, advisory
      const due = Date.parse(s.dueAt!);
      expect(due).toBe(addWorkingDays(new Date(s.stepStartedAt), 2).getTime());
      await crossDeadline(due);
      s = await eventually(async () => { const x = await stateOf(h); return x.overdue && x; });
      // Recorded (shown as advisory), never escalated to the county department or the leadership group office.
      expect(s.events.find((e) => e.type === 'overdue')?.data).toMatchObject({ advisory: true, rule: { key: 'deadlines.steps', version: 0, enforced: false } });
      expect(s).toMatchObject({ escalationLevel: 0, escalations: [] });
      await crossDeadline(level2At(new Date(due)).getTime());
      s = await stateOf(h);
      expect(s).toMatchObject({ escalationLevel: 0, escalations: [] });
      expect(eventTypes(s)).not.toContain('escalated');

      // An admin enforces the rule (version 1): the step, past its deadline, escalates to the county department at once.
      await h.signal(setPolicySignal, { stepDeadlines: { version: 1, enforced: true } });
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 1 && x; });
      const enforcedAt = Date.parse(s.escalations[0].at);
      expect(s.escalations[0]).toMatchObject({ level: 1, reason: 'step_overdue', target: { code: 'JUSTICE', county: '640104' } });
      expect(s.events.find((e) => e.type === 'policy_updated')?.data).toMatchObject({ key: 'deadlines.steps', version: 1, enforced: true });
      expect(s.events.find((e) => e.type === 'escalated')?.data).toMatchObject({ rule: { version: 1, enforced: true } });
      expect(s).toMatchObject({ stepDeadlines: { version: 1, enforced: true }, escalationLevel: 1 });
      // A repeated broadcast of the same version changes nothing.
      await h.signal(setPolicySignal, { stepDeadlines: { version: 1, enforced: true } });
      // Three working days after the escalation (not after the old deadline): the leadership group office.
      const l2 = level2At(new Date(enforcedAt)).getTime();
      await skipTo(l2 - MIN);
      expect((await stateOf(h)).escalationLevel).toBe(1);
      await env.sleep(2 * MIN);
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 2 && x; });
      expect(s.escalations[1]).toMatchObject({ level: 2, reason: 'step_overdue', target: { code: 'LEADERSHIP_OFFICE' } });
      expect(eventTypes(s).filter((t) => t === 'policy_updated')).toHaveLength(1);

      // Advisory again (version 2): the next step's passed deadline is recorded, not escalated; the escalations raised stand.
      await h.signal(setPolicySignal, { stepDeadlines: { version: 2, enforced: false } });
      s = await eventually(async () => { const x = await stateOf(h); return x.stepDeadlines?.version === 2 && x; });
      s = await assign(h);
      expect(s).toMatchObject({ step: 'visit', escalationLevel: 0, lateSteps: ['assignment'] });
      await crossDeadline(Date.parse(s.dueAt!));
      s = await eventually(async () => { const x = await stateOf(h); return x.overdue && x; });
      expect(s.escalations).toHaveLength(2);
      expect(s.events.filter((e) => e.type === 'overdue').at(-1)?.data).toMatchObject({ advisory: true, rule: { version: 2, enforced: false } });
      // A stale version (an older broadcast arriving late) is ignored.
      await h.signal(setPolicySignal, { stepDeadlines: { version: 1, enforced: true } });
      s = await visitDone(h);
      expect(s.stepDeadlines).toEqual({ version: 2, enforced: false });
      expect(s.escalations).toHaveLength(2);
      await maybeRecordHistory(h, 'step-deadline-policy');
    });
  });

  it('enforcing the rule after failed visits escalated the step: the passed deadline escalates at level 1 first, not straight to the leadership group office', async () => {
    const input = caseInput('LEGAL_AID', 'CONSULTATION', { department: 'JUSTICE' });
    await withCase(env, input, async (h) => {
      let s = await assign(h);
      for (let i = 0; i < 3; i++) s = await h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome: 'nobody_home', evidence: [] }] });
      expect(s.escalations).toEqual([expect.objectContaining({ level: 1, reason: 'failed_visits' })]);
      const due = Date.parse(s.dueAt!);
      await crossDeadline(level2At(new Date(due)).getTime()); // well past the deadline and past when level 2 would have come
      s = await eventually(async () => { const x = await stateOf(h); return x.overdue && x; });
      expect(s.escalations).toHaveLength(1);
      await h.signal(setPolicySignal, { stepDeadlines: { version: 1, enforced: true } });
      s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 2 && x; });
      expect(s.escalations[1]).toMatchObject({ level: 1, reason: 'step_overdue' });
      await env.sleep(MIN);
      expect((await stateOf(h)).escalations).toHaveLength(2);
    });
  });

  it('a case opened under the enforced rule escalates at its deadline', async () => {
    const input = caseInput('LEGAL_AID', 'CONSULTATION', { department: 'JUSTICE', stepDeadlines: { version: 3, enforced: true } });
    await withCase(env, input, async (h) => {
      const s0 = await stateOf(h);
      await crossDeadline(Date.parse(s0.dueAt!));
      const s = await eventually(async () => { const x = await stateOf(h); return x.escalations.length === 1 && x; });
      expect(s.escalations[0]).toMatchObject({ level: 1, reason: 'step_overdue' });
      expect(s.events.find((e) => e.type === 'overdue')?.data).toMatchObject({ advisory: false, rule: { version: 3, enforced: true } });
    });
  });
});
