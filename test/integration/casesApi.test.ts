/**
 * The case API's edges against the dev server and PostgreSQL: 409 with the Chinese reason, 400 with
 * field paths, retries under an Idempotency-Key, roles and scope, evidence limits, hold and green
 * channel, and the list's filters and cursor.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, caseEvents } from '../../db/schema';
import { startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { evidenceFile, expectReadModelMatches, post, upload } from './casesSupport';

const COUNTY = '640122';
const UPLOAD_LIMIT = 4096;
let stack: TestStack;
let filesDir: string;
let coordinator: TestUser;
let supervisor: TestUser;
let reviewer: TestUser;
let worker: TestUser;
let outsider: TestUser;
beforeAll(async () => {
  filesDir = mkdtempSync(join(tmpdir(), 'doorstep-files-'));
  stack = await startStack({ FILES_DIR: filesDir, UPLOAD_LIMIT_BYTES: UPLOAD_LIMIT });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  supervisor = await makeUser(stack.db, 'supervisor', { counties: [COUNTY] });
  reviewer = await makeUser(stack.db, 'reviewer', { counties: [COUNTY] });
  worker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
  outsider = await makeUser(stack.db, 'coordinator', { counties: ['640105'] });
});
afterAll(async () => {
  await stack?.close();
  rmSync(filesDir, { recursive: true, force: true });
});

/** Opens a legal-consultation case (JUSTICE) for a fresh subject; returns its id. */
async function openCase(body: Record<string, unknown> = {}, subjectId?: string): Promise<string> {
  const subject = subjectId ?? (await makeSubject(stack.db, { county: COUNTY })).id;
  const res = await post(stack, coordinator, '/v1/cases', { subjectId: subject, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', ...body });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

/** Uploads the photo and signature a consultation needs; returns the evidence refs. */
async function consultationEvidence(id: string) {
  const photo = await upload(stack, worker, id, evidenceFile('photo'));
  const signature = await upload(stack, worker, id, evidenceFile('signature'));
  return [{ sha256: photo.json().sha256, kind: 'photo' }, { sha256: signature.json().sha256, kind: 'signature' }];
}

describe('steps not allowed now, and bad bodies', () => {
  it('a step not allowed now is 409 problem+json with the Chinese reason', async () => {
    const id = await openCase();
    const res = await post(stack, coordinator, `/v1/cases/${id}/visit-report`, { outcome: 'nobody_home' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 409, detail: '案件当前处于分派步骤，不能登记上门结果' });
    await expectReadModelMatches(stack, coordinator, id);
  });

  it('bad bodies are 400 with field paths', async () => {
    const id = await openCase();
    const cases: Array<[string, unknown, string]> = [
      ['assign', {}, 'body.assignee'],
      ['assign', { assignee: outsider.id }, 'body.assignee'],
      ['schedule-visit', { scheduledAt: 'tomorrow' }, 'body.scheduledAt'],
      ['visit-report', { outcome: 'maybe' }, 'body.outcome'],
      ['visit-report', { outcome: 'done', evidence: [{ sha256: 'f'.repeat(64), kind: 'photo' }] }, 'body.evidence.0.sha256'],
      ['deliver', { method: 'express' }, 'body.trackingNumber'],
      ['cancel', { reason: 'other' }, 'body.detail'],
      ['cancel', { reason: 'bored' }, 'body.reason'],
      ['review', { decision: 'approve_with_missing', missing: [], supplementDueDate: '2026-02-30' }, 'body.missing'],
      ['hold', { reason: '' }, 'body.reason'],
    ];
    for (const [stepName, body, path] of cases) {
      const user = stepName === 'review' ? reviewer : coordinator;
      const res = await post(stack, user, `/v1/cases/${id}/${stepName}`, body);
      expect(res.statusCode, `${stepName} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path), `${stepName} ${JSON.stringify(body)}`).toContain(path);
    }
  });

  it('a visit reported done without the evidence the catalog requires is 409 naming what is missing (the workflow\'s rule)', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    const photo = await upload(stack, worker, id, evidenceFile('photo'));
    const res = await post(stack, worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence: [{ sha256: photo.json().sha256, kind: 'photo' }] });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toBe('缺少佐证材料：服务对象或监护人签字确认');
  });
});

describe('conflicting steps sent at the same moment', () => {
  it('approve × approve, and cancel × cancel: exactly one is 200, the other 409 with the reason; the read model matches', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    await post(stack, worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence: await consultationEvidence(id) });
    const approvals = await Promise.all([1, 2].map(() => post(stack, reviewer, `/v1/cases/${id}/review`, { decision: 'approve' })));
    expect(approvals.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(approvals.find((r) => r.statusCode === 409)!.json().detail).toMatch(/不能审核$/);
    const [{ count }] = await stack.db.$count(caseEvents, and(eq(caseEvents.caseId, id), eq(caseEvents.type, 'reviewed'))).then((n) => [{ count: n }]);
    expect(count).toBe(1);
    await expectReadModelMatches(stack, coordinator, id);

    const other = await openCase();
    const cancels = await Promise.all([1, 2].map(() => post(stack, coordinator, `/v1/cases/${other}/cancel`, { reason: 'declined' })));
    expect(cancels.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(cancels.find((r) => r.statusCode === 409)!.json().detail).toBe('案件已撤销，不能撤销案件');
    await expectReadModelMatches(stack, coordinator, other);
  });

  it('visit report × cancel, and assign × assign to two workers: the read model matches whichever applied', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    const evidence = await consultationEvidence(id);
    const [report, cancel] = await Promise.all([
      post(stack, worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence }),
      post(stack, coordinator, `/v1/cases/${id}/cancel`, { reason: 'declined' }),
    ]);
    // At least one applies; a refusal is a 409 with its reason (a report after the cancel, or a cancel once
    // the report has moved the case into writing its ledger row).
    expect([report.statusCode, cancel.statusCode].sort()).not.toEqual([409, 409]);
    for (const r of [report, cancel]) {
      expect([200, 409]).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().detail).toMatch(/[\u4e00-\u9fff]/);
    }
    const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, id));
    expect(events.filter((e) => e.type === 'visit_done')).toHaveLength(report.statusCode === 200 ? 1 : 0);
    expect(events.filter((e) => e.type === 'cancelled')).toHaveLength(cancel.statusCode === 200 ? 1 : 0);
    await expectReadModelMatches(stack, coordinator, id);

    const second = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
    const fresh = await openCase();
    const assigns = await Promise.all([worker, second].map((w) => post(stack, coordinator, `/v1/cases/${fresh}/assign`, { assignee: w.id })));
    // Both may apply in turn (an assignment, then a reassignment); the case ends with the later one's worker, each recorded once.
    expect(assigns.every((r) => r.statusCode === 200 || r.statusCode === 409)).toBe(true);
    const after = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, fresh));
    expect(after.filter((e) => e.type === 'assigned')).toHaveLength(1);
    expect(after.filter((e) => e.type === 'reassigned')).toHaveLength(assigns.filter((r) => r.statusCode === 200).length - 1);
    await expectReadModelMatches(stack, coordinator, fresh);
  });
});

describe('retries under an Idempotency-Key', () => {
  it('a retried step is answered as the first was and applied once', async () => {
    const id = await openCase();
    const first = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, `assign-${id}`);
    const again = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, `assign-${id}`);
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json().timeline).toEqual(first.json().timeline);
    const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, id));
    expect(events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    // Without the key, the same request is a new step: reassigning to the same worker is refused.
    const fresh = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    expect(fresh.statusCode).toBe(409);
    expect(fresh.json().detail).toBe('该工作人员已是本案经办人');
  });

  it('the request that ended the case, retried, gets its answer again; any other step is 409', async () => {
    const id = await openCase();
    const key = `cancel-${id}`;
    const first = await post(stack, supervisor, `/v1/cases/${id}/cancel`, { reason: 'moved_away', detail: '迁往外省' }, key);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: { code: 'cancelled', label: '已撤销' }, cancellation: { reason: { code: 'moved_away', label: '迁出辖区' } } });
    const again = await post(stack, supervisor, `/v1/cases/${id}/cancel`, { reason: 'moved_away', detail: '迁往外省' }, key);
    expect(again.statusCode).toBe(200);
    expect(again.json().timeline).toEqual(first.json().timeline);
    const other = await post(stack, supervisor, `/v1/cases/${id}/cancel`, { reason: 'moved_away' });
    expect(other.statusCode).toBe(409);
    expect(other.json().detail).toBe('案件已撤销，不能撤销案件');
    await expectReadModelMatches(stack, coordinator, id);
  });
});

describe('roles and scope', () => {
  it('a role that may not do a step is 403; a worker acts only on cases assigned to them; out of scope is 404', async () => {
    const id = await openCase();
    expect((await post(stack, reviewer, `/v1/cases/${id}/assign`, { assignee: worker.id })).statusCode).toBe(403);
    expect((await post(stack, worker, `/v1/cases/${id}/hold`, { reason: '住院' })).statusCode).toBe(403);
    const otherWorker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    const notMine = await post(stack, otherWorker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: '2026-12-03T02:00:00Z' });
    expect(notMine.statusCode).toBe(403);
    expect((await post(stack, worker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: '2026-12-03T02:00:00Z' })).statusCode).toBe(200);
    expect((await post(stack, outsider, `/v1/cases/${id}/hold`, { reason: '住院' })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/cases/${id}`, headers: outsider.auth })).statusCode).toBe(404);
    expect((await post(stack, coordinator, '/v1/cases/no-such-case/hold', { reason: '住院' })).statusCode).toBe(404);
  });
});

describe('evidence', () => {
  it('stores an upload content-addressed with its size and type, and serves it back to people in scope', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    const file = evidenceFile('photo');
    const res = await upload(stack, worker, id, file);
    expect(res.statusCode).toBe(201);
    const sha = createHash('sha256').update(file.bytes).digest('hex');
    expect(res.json()).toEqual({ sha256: sha, size: file.bytes.length, contentType: 'image/png' });
    const again = await upload(stack, worker, id, file);
    expect(again.json().sha256).toBe(sha);
    const got = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: reviewer.auth });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(got.rawPayload, file.bytes)).toBe(0);
    // Shown inline (the console's viewer), or as a download when asked; never sniffed as something else.
    expect(got.headers['content-disposition']).toBe(`inline; filename="${sha}"`);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    const download = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}?download=true`, headers: reviewer.auth });
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${sha}"`);
    const audited = await stack.db.select().from(auditLog).where(and(eq(auditLog.action, 'evidence.download'), eq(auditLog.resourceId, id)));
    expect(audited).toEqual([expect.objectContaining({ userId: reviewer.id, detail: { sha256: sha } }), expect.objectContaining({ userId: reviewer.id, detail: { sha256: sha } })]);
    expect((await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: outsider.auth })).statusCode).toBe(404);
    // Another case does not see this case's file.
    const other = await openCase();
    expect((await stack.app.inject({ url: `/v1/cases/${other}/evidence/${sha}`, headers: coordinator.auth })).statusCode).toBe(404);
  });

  it('refuses files over the size limit (413), of other types or whose bytes do not match the type (415)', async () => {
    const id = await openCase();
    const big = evidenceFile('photo');
    const tooLarge = await upload(stack, coordinator, id, { ...big, bytes: Buffer.concat([big.bytes, Buffer.alloc(UPLOAD_LIMIT)]) });
    expect(tooLarge.statusCode).toBe(413);
    const exe = await upload(stack, coordinator, id, { bytes: Buffer.from('MZ\x90\x00 not a photo'), contentType: 'application/x-msdownload', name: 'a.exe' });
    expect(exe.statusCode).toBe(415);
    const disguised = await upload(stack, coordinator, id, { bytes: Buffer.from('MZ\x90\x00 not a photo'), contentType: 'image/png', name: 'a.png' });
    expect(disguised.statusCode).toBe(415);
    expect(disguised.json().detail).toContain('文件内容与声明的类型');
  });
});

describe('hold and green channel over HTTP', () => {
  it('on hold, steps are 409 until resumed; the green channel shortens the deadline', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    const held = await post(stack, coordinator, `/v1/cases/${id}/hold`, { reason: '服务对象住院' });
    expect(held.json()).toMatchObject({ onHold: true });
    const blocked = await post(stack, worker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: '2026-12-03T02:00:00Z' });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().detail).toBe('案件已暂停，请先恢复后再预约上门');
    await expectReadModelMatches(stack, coordinator, id);
    const resumed = await post(stack, supervisor, `/v1/cases/${id}/resume`);
    expect(resumed.json()).toMatchObject({ onHold: false, holds: [{ reason: '服务对象住院' }] });
    const before = resumed.json().dueAt as string;
    const green = await post(stack, supervisor, `/v1/cases/${id}/green-channel`);
    expect(green.statusCode).toBe(200);
    expect(green.json()).toMatchObject({ greenChannel: true, stepWorkingDays: 2 });
    expect(Date.parse(green.json().dueAt)).toBeLessThan(Date.parse(before));
    await expectReadModelMatches(stack, coordinator, id);
  });

  it('supplement (容缺后补) over HTTP: accepted with documents missing, closed when they are in', async () => {
    const id = await openCase();
    await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
    await post(stack, worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence: await consultationEvidence(id) });
    const past = await post(stack, reviewer, `/v1/cases/${id}/review`, { decision: 'approve_with_missing', missing: ['身份证复印件'], supplementDueDate: '2020-01-01' });
    expect(past.statusCode).toBe(409);
    expect(past.json().detail).toBe('后补期限不能早于今天');
    const reviewed = await post(stack, reviewer, `/v1/cases/${id}/review`, { decision: 'approve_with_missing', missing: ['身份证复印件'], supplementDueDate: '2099-12-31' });
    expect(reviewed.json()).toMatchObject({ status: { code: 'open' }, step: { code: 'ledger' }, supplementDueAt: '2099-12-31T16:00:00.000Z' });
    await expectReadModelMatches(stack, coordinator, id);
    const wrong = await post(stack, worker, `/v1/cases/${id}/supplement`, { documents: ['户口簿'] });
    expect(wrong.statusCode).toBe(409);
    const done = await post(stack, worker, `/v1/cases/${id}/supplement`, { documents: ['身份证复印件'] });
    expect(done.json()).toMatchObject({ status: { code: 'closed' }, outcome: { code: 'approved_with_missing' } });
    await expectReadModelMatches(stack, coordinator, id);
  });
});

describe('GET /v1/cases', () => {
  it('filters, lists green channel first then by due time, pages with an opaque cursor, and stays in scope', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const a = await openCase({}, subject.id);
    const b = await openCase({ greenChannel: true }, subject.id);
    const c = await openCase({}, subject.id);
    await post(stack, coordinator, `/v1/cases/${c}/assign`, { assignee: worker.id });

    const page1 = await stack.app.inject({ url: `/v1/cases?subjectId=${subject.id}&limit=2`, headers: coordinator.auth });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((i: { id: string }) => i.id)[0]).toBe(b);
    expect(page1.json().nextCursor).toEqual(expect.any(String));
    const page2 = await stack.app.inject({ url: `/v1/cases?subjectId=${subject.id}&limit=2&cursor=${page1.json().nextCursor}`, headers: coordinator.auth });
    const all = [...page1.json().items, ...page2.json().items].map((i: { id: string }) => i.id);
    expect(all.sort()).toEqual([a, b, c].sort());
    expect(page2.json().nextCursor).toBeNull();
    // Due times ascending after the green channel (a's and c's are at their own step deadlines).
    const dues = page1.json().items.concat(page2.json().items).slice(1).map((i: { dueAt: string }) => Date.parse(i.dueAt));
    expect(dues).toEqual([...dues].sort((x, y) => x - y));

    const visiting = await stack.app.inject({ url: `/v1/cases?subjectId=${subject.id}&step=visit&assignee=${worker.id}`, headers: coordinator.auth });
    expect(visiting.json().items.map((i: { id: string }) => i.id)).toEqual([c]);
    expect(visiting.json().items[0]).toMatchObject({ step: { code: 'visit', label: '上门办理' }, department: { code: 'JUSTICE', label: '司法局' } });
    const green = await stack.app.inject({ url: `/v1/cases?subjectId=${subject.id}&greenChannel=true`, headers: coordinator.auth });
    expect(green.json().items.map((i: { id: string }) => i.id)).toEqual([b]);
    const hidden = await stack.app.inject({ url: `/v1/cases?subjectId=${subject.id}`, headers: outsider.auth });
    expect(hidden.json().items).toEqual([]);
    const bad = await stack.app.inject({ url: '/v1/cases?cursor=nonsense', headers: coordinator.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('querystring.cursor');
    const badFilter = await stack.app.inject({ url: '/v1/cases?county=999999', headers: coordinator.auth });
    expect(badFilter.statusCode).toBe(400);
  });
});
