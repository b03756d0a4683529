/**
 * The case view's `allowedActions` (issue 13): for each stage of a certificate case and each kind of
 * caller, what the view says allowed is accepted when tried (on a fresh case at the same stage), and
 * what it says not allowed is refused with the very status (403 / 409) and reason it gave.
 * Users and subjects of 永宁县 (640121), DPF.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../domain/catalog';
import { shanghaiDate } from '../../domain/calendar';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { evidenceFile, upload } from './casesSupport';

const COUNTY = '640121';
const CERT = { itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' } as const;
type Stage = 'assignment' | 'visit' | 'review' | 'delivery' | 'receipt' | 'supplement' | 'held' | 'cancelled';
const STAGES: Stage[] = ['assignment', 'visit', 'review', 'delivery', 'receipt', 'supplement', 'held', 'cancelled'];

let stack: TestStack;
let who: Record<'coordinator' | 'worker' | 'otherWorker' | 'reviewer' | 'supervisor' | 'admin', TestUser>;

beforeAll(async () => {
  stack = await startStack();
  const scope = { counties: [COUNTY], departments: ['DPF'] };
  who = {
    coordinator: await makeUser(stack.db, 'coordinator', scope),
    worker: await makeUser(stack.db, 'worker', scope),
    otherWorker: await makeUser(stack.db, 'worker', scope),
    reviewer: await makeUser(stack.db, 'reviewer', scope),
    supervisor: await makeUser(stack.db, 'supervisor', scope),
    admin: await makeUser(stack.db, 'admin', scope),
  };
});
afterAll(async () => { await stack?.close(); });

async function call(user: TestUser, url: string, payload: unknown = {}) {
  const res = await stack.app.inject({ method: 'POST', url, headers: { ...user.auth, 'idempotency-key': randomUUID() }, payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

const delivery = () => {
  const methods = findAction(CERT.itemCode, CERT.actionCode)!.action.deliveryMethods;
  return methods.includes('post') ? { method: 'post' } : { method: 'express', trackingNumber: 'SF1234567890' };
};

/** A certificate case of our county walked through the API to a stage (assigned to `who.worker`). */
async function caseAt(stage: Stage): Promise<string> {
  const s = await makeSubject(stack.db, { county: COUNTY });
  const id = (await call(who.coordinator, '/v1/cases', { subjectId: s.id, ...CERT })).id as string;
  if (stage === 'assignment') return id;
  await call(who.coordinator, `/v1/cases/${id}/assign`, { assignee: who.worker.id });
  if (stage === 'visit') return id;
  if (stage === 'held') {
    await call(who.coordinator, `/v1/cases/${id}/hold`, { reason: '服务对象住院' });
    return id;
  }
  if (stage === 'cancelled') {
    await call(who.coordinator, `/v1/cases/${id}/cancel`, { reason: 'declined' });
    return id;
  }
  const evidence = [];
  for (const req of findAction(CERT.itemCode, CERT.actionCode)!.action.evidence) {
    const res = await upload(stack, who.worker, id, evidenceFile(req.kinds[0]));
    evidence.push({ sha256: res.json().sha256 as string, kind: req.kinds[0] });
  }
  await call(who.worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence });
  if (stage === 'review') return id;
  if (stage === 'supplement') {
    await call(who.reviewer, `/v1/cases/${id}/review`, {
      decision: 'approve_with_missing', missing: ['户口簿复印件'], supplementDueDate: shanghaiDate(new Date(Date.now() + 10 * 86_400_000)),
    });
    return id;
  }
  await call(who.reviewer, `/v1/cases/${id}/review`, { decision: 'approve' });
  if (stage === 'delivery') return id;
  await call(who.worker, `/v1/cases/${id}/deliver`, delivery());
  return id;
}

/** Tries one action as a user with a valid body. */
function attempt(user: TestUser, caseId: string, action: string) {
  if (action === 'upload_evidence') return upload(stack, user, caseId, evidenceFile('photo'));
  const bodies: Record<string, [string, unknown]> = {
    assign: ['assign', { assignee: who.otherWorker.id }],
    schedule_visit: ['schedule-visit', { scheduledAt: new Date(Date.now() + 2 * 86_400_000).toISOString() }],
    visit_report: ['visit-report', { outcome: 'nobody_home' }],
    review: ['review', { decision: 'approve' }],
    supplement: ['supplement', { documents: ['户口簿复印件'] }],
    deliver: ['deliver', delivery()],
    confirm_receipt: ['confirm-receipt', {}],
    green_channel: ['green-channel', {}],
    hold: ['hold', { reason: '等待家属到场' }],
    resume: ['resume', {}],
    cancel: ['cancel', { reason: 'declined' }],
  };
  const [path, payload] = bodies[action];
  return stack.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${path}`, headers: { ...user.auth, 'idempotency-key': randomUUID() }, payload: payload as object });
}

interface Entry { action: string; label: string; allowed: boolean; reason?: string; status?: number }

async function allowedFor(user: TestUser, caseId: string): Promise<Entry[]> {
  const res = await stack.app.inject({ url: `/v1/cases/${caseId}`, headers: user.auth });
  expect(res.statusCode).toBe(200);
  return res.json().allowedActions;
}

describe('allowedActions', () => {
  it('names every action with a Chinese label, and a reason and status for each one not allowed', async () => {
    const id = await caseAt('visit');
    const entries = await allowedFor(who.coordinator, id);
    expect(entries.map((e) => e.action)).toEqual([
      'assign', 'schedule_visit', 'upload_evidence', 'visit_report', 'review', 'supplement', 'deliver', 'confirm_receipt', 'green_channel', 'hold', 'resume', 'cancel',
    ]);
    for (const e of entries) {
      expect(e.label).toMatch(/[\u4e00-\u9fa5]/);
      if (e.allowed) expect(e.reason).toBeUndefined();
      else expect(e).toMatchObject({ reason: expect.stringMatching(/[\u4e00-\u9fa5]/), status: expect.any(Number) });
    }
    const byAction = Object.fromEntries(entries.map((e) => [e.action, e]));
    expect(byAction.schedule_visit.allowed).toBe(true);
    expect(byAction.review).toMatchObject({ allowed: false, status: 403, reason: '此操作需要以下角色之一：审核员' });
    expect(byAction.resume).toMatchObject({ allowed: false, status: 409, reason: '案件未暂停，不能恢复案件' });
    // The worker of the case sees its own steps; another worker is told the case is not theirs.
    const mine = Object.fromEntries((await allowedFor(who.worker, id)).map((e) => [e.action, e]));
    expect(mine.visit_report.allowed).toBe(true);
    const theirs = Object.fromEntries((await allowedFor(who.otherWorker, id)).map((e) => [e.action, e]));
    expect(theirs.visit_report).toMatchObject({ allowed: false, status: 403, reason: '只有本案经办人可以办理此步骤' });
  });

  it.each(STAGES)('at %s: what is allowed is accepted, what is not is refused with the same status and reason', async (stage) => {
    const id = await caseAt(stage);
    const allowed: Array<{ role: string; user: TestUser; action: string }> = [];
    for (const [role, user] of Object.entries(who)) {
      for (const e of await allowedFor(user, id)) {
        if (e.allowed) {
          allowed.push({ role, user, action: e.action });
          continue;
        }
        // A refused attempt changes nothing, so every one can be tried on this same case.
        const res = await attempt(user, id, e.action);
        expect({ role, action: e.action, status: res.statusCode, detail: res.json().detail }).toEqual({ role, action: e.action, status: e.status, detail: e.reason });
      }
    }
    // Each allowed action is tried on a case of its own at the same stage (trying it changes the case).
    const results = await Promise.all(allowed.map(async ({ role, user, action }) => {
      const fresh = await caseAt(stage);
      const res = await attempt(user, fresh, action);
      return { role, action, status: res.statusCode, body: res.statusCode >= 300 ? res.body.slice(0, 200) : '' };
    }));
    for (const r of results) expect(r, `${r.role} ${r.action}`).toMatchObject({ status: r.action === 'upload_evidence' ? 201 : 200 });
    // Sanity: each stage offers somebody something, except a case that has ended.
    if (stage === 'cancelled') expect(allowed).toEqual([]);
    else expect(allowed.length).toBeGreaterThan(0);
  }, 180_000);

  it('the answer to a step carries the allowed actions after it', async () => {
    const id = await caseAt('visit');
    const res = await call(who.coordinator, `/v1/cases/${id}/hold`, { reason: '服务对象住院' });
    const byAction = Object.fromEntries((res.allowedActions as Entry[]).map((e) => [e.action, e]));
    expect(byAction.resume.allowed).toBe(true);
    expect(byAction.hold).toMatchObject({ allowed: false, status: 409, reason: '案件已暂停，不能暂停案件' });
    expect(byAction.schedule_visit).toMatchObject({ allowed: false, reason: '案件已暂停，请先恢复后再预约上门' });
  });
});
