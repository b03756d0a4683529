/**
 * Conflicting updates fired at the same moment on the caseEngine workflow, with a slow projection
 * (400 ms per batch) so that the second request arrives while the first one's projection is in flight:
 * the window in which the old design interleaved handlers. Each test asserts the final state and which
 * of the pair applied; a refusal is a rejected update with a Chinese reason, never a wedged case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  assignUpdate, cancelCaseUpdate, deliverUpdate, holdUpdate, resumeUpdate, reviewUpdate, supplementUpdate, visitReportUpdate,
  type CaseState, type EvidenceRef,
} from '../../workflows/contract';
import { caseInput, eventTypes, maybeRecordHistory, ownTimeSkippingEnv, projectedEvents, stateOf, withCase, type Recorded } from './caseSupport';

let env: TestWorkflowEnvironment;
let stop: () => Promise<void>;
beforeAll(async () => { ({ env, stop } = await ownTimeSkippingEnv()); });
afterAll(async () => { await stop?.(); });

const SLOW = { projectionMs: 400 };
const sha = (c: string) => c.repeat(64);
const EVIDENCE: EvidenceRef[] = [{ sha256: sha('a'), kind: 'photo' }, { sha256: sha('b'), kind: 'document' }, { sha256: sha('c'), kind: 'signature' }];

const assign = (h: WorkflowHandle, assignee = 'worker-1') => h.executeUpdate(assignUpdate, { args: [{ actor: 'lead-1', assignee }] });
const visitDone = (h: WorkflowHandle) => h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome: 'done', evidence: EVIDENCE }] });
const approve = (h: WorkflowHandle, actor = 'reviewer-1') => h.executeUpdate(reviewUpdate, { args: [{ actor, decision: 'approve' }] });
const cancel = (h: WorkflowHandle) => h.executeUpdate(cancelCaseUpdate, { args: [{ actor: 'lead-1', reason: 'declined' }] });

type Outcome = { applied: true; state: CaseState } | { applied: false; reason: string };

/** Fires both requests at the same moment and reports which applied (a rejection must be a Chinese reason). */
async function race(a: () => Promise<CaseState>, b: () => Promise<CaseState>): Promise<[Outcome, Outcome]> {
  const settle = async (p: Promise<CaseState>): Promise<Outcome> => {
    try {
      return { applied: true, state: await p };
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
      const reason = ((e as WorkflowUpdateFailedError).cause as Error).message;
      expect(reason).toMatch(/[\u4e00-\u9fff]/);
      return { applied: false, reason };
    }
  };
  return Promise.all([settle(a()), settle(b())]);
}

const appliedCount = (o: Outcome[]) => o.filter((x) => x.applied).length;

/** The read model the fake projection saw equals the workflow's state: every event once, in order, and the last batch's state is the final one. */
function expectProjectedExactly(rec: Recorded, final: CaseState): void {
  expect(projectedEvents(rec).map((e) => e.seq)).toEqual(final.events.map((e) => e.seq));
  expect(rec.projected.at(-1)!.state).toEqual(final);
}

describe('caseEngine: conflicting updates at the same moment', () => {
  it('approve × approve: exactly one applies; the case goes to delivery once (the certificate is still to be sent)', async () => {
    const rec = await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      await visitDone(h);
      const outcomes = await race(() => approve(h, 'reviewer-1'), () => approve(h, 'reviewer-2'));
      expect(appliedCount(outcomes)).toBe(1);
      expect(outcomes.find((o) => !o.applied)).toMatchObject({ reason: '案件当前处于证照送达步骤，不能审核' });
      const s = await stateOf(h);
      expect(s).toMatchObject({ status: 'open', step: 'delivery' });
      expect(eventTypes(s).filter((t) => t === 'reviewed')).toHaveLength(1);
      await maybeRecordHistory(h, 'approve-approve');
    }, SLOW);
    expect(rec.ledger).toHaveLength(0);
  });

  it('approve × return: exactly one decision is recorded, and the step matches it', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      await visitDone(h);
      const outcomes = await race(
        () => approve(h),
        () => h.executeUpdate(reviewUpdate, { args: [{ actor: 'reviewer-2', decision: 'return', reason: '照片不清晰' }] }),
      );
      expect(appliedCount(outcomes)).toBe(1);
      const s = await stateOf(h);
      expect(s.reviews).toHaveLength(1);
      expect(s.step).toBe(s.reviews[0].decision === 'approve' ? 'delivery' : 'visit');
    }, SLOW);
  });

  it('visit report × cancel: never a failed task; the case ends cancelled and the report either applied before it or was refused', async () => {
    const rec = await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h, seen) => {
      await assign(h);
      const [report, cancelled] = await race(() => visitDone(h), () => cancel(h));
      expect(cancelled.applied).toBe(true);
      const s = await stateOf(h);
      expect(s).toMatchObject({ status: 'cancelled', step: 'done', outcome: 'cancelled' });
      const types = eventTypes(s);
      if (report.applied) expect(types.indexOf('visit_done')).toBeLessThan(types.indexOf('cancelled'));
      else expect(report.reason).toBe('案件已撤销，不能登记上门结果');
      expect(types.filter((t) => t === 'cancelled')).toHaveLength(1);
      expect((await h.describe()).status.name).toBe('COMPLETED');
      expectProjectedExactly(seen, await h.result());
      await maybeRecordHistory(h, 'visit-report-cancel');
    }, SLOW);
    expect(rec.ledger).toHaveLength(0);
  });

  it('deliver in person × cancel: exactly one applies — closed with its ledger row, or cancelled without one', async () => {
    const rec = await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h, seen) => {
      await assign(h);
      await visitDone(h);
      await approve(h);
      const [delivered, cancelled] = await race(
        () => h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'in_person' }] }),
        () => cancel(h),
      );
      expect(appliedCount([delivered, cancelled])).toBe(1);
      const final = await h.result();
      if (delivered.applied) {
        expect(delivered.state).toMatchObject({ status: 'closed', step: 'done' });
        expect(cancelled).toMatchObject({ applied: false, reason: expect.stringMatching(/不能撤销案件/) });
        expect(final.status).toBe('closed');
      } else {
        expect(delivered.reason).toBe('案件已撤销，不能登记送达');
        expect(final.status).toBe('cancelled');
      }
      expectProjectedExactly(seen, final);
      await maybeRecordHistory(h, 'deliver-cancel');
    }, SLOW);
    expect(rec.ledger).toHaveLength(rec.projected.at(-1)!.state.status === 'closed' ? 1 : 0);
  });

  it('hold × hold: exactly one hold applies', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      const outcomes = await race(
        () => h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-1', reason: '家属住院' }] }),
        () => h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-2', reason: '本人外出' }] }),
      );
      expect(appliedCount(outcomes)).toBe(1);
      expect(outcomes.find((o) => !o.applied)).toMatchObject({ reason: '案件已暂停，不能暂停案件' });
      const s = await stateOf(h);
      expect(s.onHold).toBe(true);
      expect(s.holds).toHaveLength(1);
    }, SLOW);
  });

  it('hold × resume on a held case: applied in one order, and the state agrees with that order', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      await h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-1', reason: '家属住院' }] });
      const [hold, resume] = await race(
        () => h.executeUpdate(holdUpdate, { args: [{ actor: 'lead-2', reason: '本人外出' }] }),
        () => h.executeUpdate(resumeUpdate, { args: [{ actor: 'lead-1' }] }),
      );
      expect(resume.applied).toBe(true);
      const s = await stateOf(h);
      const types = eventTypes(s).filter((t) => t === 'held' || t === 'resumed');
      // Either the second hold was refused (the case was still on hold), or it came after the resume.
      expect(types).toEqual(hold.applied ? ['held', 'resumed', 'held'] : ['held', 'resumed']);
      expect(s.onHold).toBe(hold.applied);
      expect(s.holds.filter((x) => x.to === undefined)).toHaveLength(hold.applied ? 1 : 0);
      await maybeRecordHistory(h, 'hold-resume');
    }, SLOW);
  });

  it('assign × assign of the same worker: exactly one applies; another worker at once is a reassignment after it', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      const same = await race(() => assign(h, 'worker-1'), () => assign(h, 'worker-1'));
      expect(appliedCount(same)).toBe(1);
      expect(same.find((o) => !o.applied)).toMatchObject({ reason: '该工作人员已是本案经办人' });
      const both = await race(() => assign(h, 'worker-2'), () => assign(h, 'worker-3'));
      expect(appliedCount(both)).toBe(2);
      const s = await stateOf(h);
      expect(eventTypes(s).filter((t) => t === 'assigned' || t === 'reassigned')).toEqual(['assigned', 'reassigned', 'reassigned']);
      expect(eventTypes(s).filter((t) => t === 'step_started')).toHaveLength(1);
      expect(s.assignee).toBe(s.events.filter((e) => e.type === 'reassigned').at(-1)!.data!.assignee);
      expect(s.step).toBe('visit');
      await maybeRecordHistory(h, 'assign-assign');
    }, SLOW);
  });

  it('last supplement × cancel: exactly one applies — closed with its ledger row, or cancelled without one', async () => {
    const rec = await withCase(env, caseInput('DISABILITY_CERT', 'REISSUE'), async (h, seen) => {
      await assign(h);
      await visitDone(h);
      const today = new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
      await h.executeUpdate(reviewUpdate, {
        args: [{ actor: 'reviewer-1', decision: 'approve_with_missing', missing: ['近期免冠照片'], supplementDueDate: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}` }],
      });
      const waiting = await h.executeUpdate(deliverUpdate, { args: [{ actor: 'worker-1', method: 'in_person' }] });
      expect(waiting).toMatchObject({ status: 'open', step: 'ledger' });
      const [supplied, cancelled] = await race(
        () => h.executeUpdate(supplementUpdate, { args: [{ actor: 'worker-1', documents: ['近期免冠照片'] }] }),
        () => cancel(h),
      );
      expect(appliedCount([supplied, cancelled])).toBe(1);
      const final = await h.result();
      expect(final.status).toBe(supplied.applied ? 'closed' : 'cancelled');
      expectProjectedExactly(seen, final);
      await maybeRecordHistory(h, 'supplement-cancel');
    }, SLOW);
    expect(rec.ledger).toHaveLength(rec.projected.at(-1)!.state.status === 'closed' ? 1 : 0);
  });

  it('a transition that throws a bug is rolled back and rejected; the case keeps working', async () => {
    await withCase(env, caseInput('DISABILITY_CERT', 'RENEW'), async (h) => {
      await assign(h);
      // A hand-made request the API would never send (no evidence array): the transition throws a TypeError.
      const bad = h.executeUpdate(visitReportUpdate, { args: [{ actor: 'worker-1', outcome: 'nobody_home' } as never] });
      await expect(bad).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const s = await stateOf(h);
      expect(s.visits).toEqual([]);
      expect(s.failedVisits).toBe(0);
      expect((await visitDone(h)).step).toBe('review');
    });
  });
});
