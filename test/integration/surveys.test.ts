/** The needs survey (需求摸底): eligibility, one case per one-off need, ongoing needs kept for plans, retries. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, needs, subjects, surveys } from '../../db/schema';
import { buildApp } from '../../api/app';
import { createSurveyBody, needCaseKey, surveyRequestHash } from '../../api/services/surveys';
import { caseIdFor } from '../../api/services/openCase';
import { makeCertificateNumber } from '../../domain/certificateNumber';
import { caseWorkflowId } from '../../workflows/contract';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';

let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
const NOW = new Date('2025-06-10T02:00:00Z');

beforeAll(async () => {
  stack = await startStack();
  await stack.app.close();
  stack.app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
});
afterAll(async () => { await stack?.close(); });


/** A subject who is eligible by certificate (肢体一级) once mobility and care are answered. */
async function severeSubject(county = '640104') {
  const idNumber = uniqueIdNumber(county, 1950);
  return makeSubject(stack.db, { county, idNumber, certificateNumber: makeCertificateNumber(idNumber, 4, 1), disabilityCategory: 4, disabilityGrade: 1 });
}

const ELIGIBLE = { limitedMobility: true, noCapableCarer: true };

const post = (user: TestUser, payload: unknown, key?: string) => stack.app.inject({
  method: 'POST', url: '/v1/surveys', payload: payload as Record<string, unknown>,
  headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
});

function body(subjectId: string, overrides: Record<string, unknown> = {}) {
  return {
    subjectId,
    surveyedAt: '2025-06-09T09:30:00+08:00',
    answers: ELIGIBLE,
    needs: [
      { itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' },
      { itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', greenChannel: true, notes: '邻里纠纷' },
      { itemCode: 'ADULT_REHAB', actionCode: 'ENROL' },
    ],
    ...overrides,
  };
}

const fieldPaths = (res: { statusCode: number; json: () => { errors?: Array<{ path: string }> } }) => {
  expect(res.statusCode).toBe(400);
  return (res.json().errors ?? []).map((e) => e.path);
};

describe('POST /v1/surveys', () => {
  it('records the survey, starts one case per one-off need and keeps ongoing needs for plans', async () => {
    const s = await severeSubject();
    const res = await post(coordinator, body(s.id));
    expect(res.statusCode).toBe(201);
    const sv = res.json();
    expect(res.headers.location).toBe(`/v1/surveys/${sv.id}`);
    expect(sv).toMatchObject({
      subjectId: s.id, surveyedBy: coordinator.id, surveyedAt: '2025-06-09T01:30:00.000Z', started: true,
      answers: { limitedMobility: true, noCapableCarer: true, disabilityCategory: 4, disabilityGrade: 1, householdDisabledCount: 1 },
      eligibility: { eligible: true, groups: [{ code: 'severe_physical_or_blind', label: '重度肢体残疾人(盲人)' }], missing: [] },
    });
    expect(sv.notice).toContain('已启动 2 个案件');
    expect(sv.needs.map((n: { status: { code: string } }) => n.status.code)).toEqual(['case_started', 'case_started', 'awaiting_plan']);
    expect(sv.needs[1]).toMatchObject({ item: { code: 'LEGAL_AID', label: '法律咨询、法律援助、人民调解' }, action: { code: 'CONSULTATION', label: '法律咨询' }, greenChannel: true, notes: '邻里纠纷' });
    expect(sv.needs[2]).toMatchObject({ ongoing: true, caseId: null, planId: null, status: { label: '待制定服务计划' } });
    const [c0, c1] = sv.needs.map((n: { caseId: string }) => n.caseId);
    expect(c0).toBe(caseIdFor(coordinator.id, needCaseKey(sv.id, 0)));
    expect(c1).toBe(caseIdFor(coordinator.id, needCaseKey(sv.id, 1)));

    // The cases run: their workflows exist and project into the read model, linked to the survey.
    const rows = await eventually(async () => {
      const r = await stack.db.select().from(cases).where(eq(cases.subjectId, s.id));
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.surveyId)).toEqual([sv.id, sv.id]);
    expect(rows.find((r) => r.id === c1)).toMatchObject({ itemCode: 'LEGAL_AID', department: 'JUSTICE', greenChannel: true });
    await stack.client.workflow.getHandle(caseWorkflowId(c0)).describe();

    const needRows = await stack.db.select().from(needs).where(eq(needs.surveyId, sv.id));
    expect(needRows).toHaveLength(3);
    expect(needRows.find((n) => n.ongoing)).toMatchObject({ itemCode: 'ADULT_REHAB', planId: null, caseId: null });

    const subject = (await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: coordinator.auth })).json();
    expect(subject.eligibility).toMatchObject({ surveyId: sv.id, eligible: true });

    const open = (await stack.app.inject({ url: `/v1/subjects/${s.id}/needs`, headers: coordinator.auth })).json();
    expect(open.items.map((n: { item: { code: string }; caseId: string | null }) => [n.item.code, n.caseId])).toEqual([
      ['DISABILITY_CERT', c0], ['LEGAL_AID', c1], ['ADULT_REHAB', null],
    ]);
    expect(open.items[2]).toMatchObject({ ongoing: true, planId: null, open: true, status: { code: 'awaiting_plan' } });
    expect(open.items[0].caseStatus).toBe('open');

    const got = await stack.app.inject({ url: `/v1/surveys/${sv.id}`, headers: coordinator.auth });
    expect(got.json()).toEqual(sv);
  });

  it('answers a retried request with the same survey and starts nothing twice; another body under the key is 422', async () => {
    const s = await severeSubject();
    const key = `survey-${randomUUID()}`;
    const first = await post(coordinator, body(s.id), key);
    expect(first.statusCode).toBe(201);
    const again = await post(coordinator, body(s.id), key);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const concurrent = await Promise.all([1, 2, 3].map(() => post(coordinator, body(s.id), key)));
    expect(concurrent.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(concurrent.map((r) => r.json().id))).toEqual(new Set([first.json().id]));
    expect(await stack.db.select().from(surveys).where(eq(surveys.subjectId, s.id))).toHaveLength(1);
    expect(await stack.db.select().from(needs).where(eq(needs.subjectId, s.id))).toHaveLength(3);
    await eventually(async () => (await stack.db.select().from(cases).where(eq(cases.subjectId, s.id))).length === 2);

    const other = await post(coordinator, body(s.id, { needs: [] }), key);
    expect(other.statusCode).toBe(422);
    expect(other.json().errors).toEqual([expect.objectContaining({ path: 'headers.idempotency-key' })]);
    // The same key from another user is that user's own request.
    const colleague = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    const theirs = await post(colleague, body(s.id, { needs: [] }), key);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(first.json().id);
  });

  it('completes the case starts a crash left owed when the request is retried', async () => {
    const s = await severeSubject();
    const key = `survey-${randomUUID()}`;
    const payload = body(s.id, { needs: [{ itemCode: 'DISABILITY_CERT', actionCode: 'REISSUE' }, { itemCode: 'HOUSEKEEPING', actionCode: 'ENROL' }] });
    // What a process that died right after the commit leaves behind: rows written, no workflow started.
    const surveyId = randomUUID();
    const caseId = caseIdFor(coordinator.id, needCaseKey(surveyId, 0));
    await stack.db.insert(surveys).values({
      id: surveyId, subjectId: s.id, surveyedBy: coordinator.id, surveyedAt: new Date(payload.surveyedAt),
      answers: { ...ELIGIBLE, disabilityCategory: 4, disabilityGrade: 1, householdDisabledCount: 1 },
      eligibility: { eligible: true, groups: ['severe_physical_or_blind'], reasons: [], missing: [] },
      needs: [{ itemCode: 'DISABILITY_CERT', actionCode: 'REISSUE', ongoing: false, greenChannel: false }, { itemCode: 'HOUSEKEEPING', actionCode: 'ENROL', ongoing: true, greenChannel: false }],
      idempotencyKey: key, requestHash: surveyRequestHash(createSurveyBody.parse(payload)),
    });
    await stack.db.insert(needs).values([
      { id: randomUUID(), surveyId, subjectId: s.id, itemCode: 'DISABILITY_CERT', actionCode: 'REISSUE', needIndex: 0, ongoing: false, caseId },
      { id: randomUUID(), surveyId, subjectId: s.id, itemCode: 'HOUSEKEEPING', actionCode: 'ENROL', needIndex: 1, ongoing: true },
    ]);
    const pending = (await stack.app.inject({ url: `/v1/surveys/${surveyId}`, headers: coordinator.auth })).json();
    expect(pending.needs.map((n: { status: { code: string } }) => n.status.code)).toEqual(['case_pending', 'awaiting_plan']);
    expect(pending.needs[0].caseId).toBeNull();

    const retry = await post(coordinator, payload, key);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(surveyId);
    expect(retry.json().needs[0]).toMatchObject({ caseId, status: { code: 'case_started' } });
    const row = await eventually(async () => (await stack.db.select().from(cases).where(eq(cases.id, caseId)))[0]);
    expect(row).toMatchObject({ subjectId: s.id, surveyId, itemCode: 'DISABILITY_CERT', actionCode: 'REISSUE' });

    // A need marked owed whose workflow did start (crash after start, before the mark) is also completed, once.
    await stack.db.update(needs).set({ caseStartedAt: null }).where(eq(needs.caseId, caseId));
    expect((await post(coordinator, payload, key)).json().needs[0].status.code).toBe('case_started');
    expect(await stack.db.select().from(cases).where(eq(cases.subjectId, s.id))).toHaveLength(1);
  });

  it('records an ineligible subject\'s survey and starts nothing, saying why', async () => {
    const s = await severeSubject();
    // 二: mobility qualifies the severely physically disabled; the other groups are answered "no".
    // Each need is judged by its item's rule: items 2, 4 and 5 follow 二 here (item 8 would not: it serves 有需求的残疾人).
    const notQualified = { limitedMobility: false, noCapableCarer: true, elderlyParentCarer: false, schizophrenia: false };
    const programmeNeeds = [{ itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' }, { itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION' }, { itemCode: 'ADULT_REHAB', actionCode: 'ENROL' }];
    const res = await post(coordinator, body(s.id, { answers: notQualified, needs: programmeNeeds }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ started: false, eligibility: { eligible: false, missing: [] } });
    expect(res.json().eligibility.reasons).toContain('行动方便，不属于服务对象');
    expect(res.json().notice).toContain('未启动任何服务');
    expect(res.json().needs.map((n: { status: { code: string }; caseId: null }) => [n.status.code, n.caseId])).toEqual([
      ['not_started', null], ['not_started', null], ['not_started', null],
    ]);
    expect(await stack.db.select().from(needs).where(eq(needs.subjectId, s.id))).toEqual([]);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}/needs`, headers: coordinator.auth })).json().items).toEqual([]);
    expect((await stack.db.select().from(subjects).where(eq(subjects.id, s.id)))[0].eligibility).toMatchObject({ eligible: false, surveyId: res.json().id });

    const incomplete = await post(coordinator, body(s.id, { answers: { limitedMobility: true, elderlyParentCarer: false, schizophrenia: false }, needs: programmeNeeds }));
    expect(incomplete.json()).toMatchObject({ started: false, eligibility: { eligible: false, missing: [{ code: 'noCapableCarer', label: '家庭是否无照护能力' }] } });
    expect(incomplete.json().notice).toContain('信息不全');
  });

  it('derives 一户多残 from household links when the answer is not given', async () => {
    const a = await makeSubject(stack.db, { county: '640104' });
    const b = await makeSubject(stack.db, { county: '640104' });
    await stack.app.inject({ method: 'POST', url: `/v1/subjects/${a.id}/household`, headers: coordinator.auth, payload: { withSubjectId: b.id } });
    const res = await post(coordinator, body(a.id, { needs: [] }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      answers: { householdDisabledCount: 2 },
      eligibility: { eligible: true, groups: [{ code: 'multi_disabled_household', label: '一户多残' }] },
      needs: [],
    });
    expect(res.json().notice).toContain('未发现服务需求');
    const told = await post(coordinator, body(a.id, { needs: [], answers: { ...ELIGIBLE, householdDisabledCount: 1 } }));
    expect(told.json().eligibility.eligible).toBe(false);
  });

  it('rejects bad input with 400 naming the field', async () => {
    const s = await severeSubject();
    const far = await severeSubject('640181');
    const bad: Array<[unknown, string]> = [
      [{}, 'body.subjectId'],
      [{ ...body(s.id), extra: 1 }, 'body'],
      [{ ...body(s.id), surveyedBy: worker.id }, 'body'],
      [body(s.id, { subjectId: 42 }), 'body.subjectId'],
      [body(randomUUID()), 'body.subjectId'],
      [body(far.id), 'body.subjectId'],
      [body("' OR 1=1 --"), 'body.subjectId'],
      [body(s.id, { surveyedAt: '2025-06-10T02:06:00Z' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: '2030-01-01T00:00:00+08:00' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: '2023-04-20T23:59:00+08:00' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: '2025-06-09' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: '2025-06-09T09:30:00' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: 'yesterday' }), 'body.surveyedAt'],
      [body(s.id, { surveyedAt: 1749520000000 }), 'body.surveyedAt'],
      [body(s.id, { answers: undefined }), 'body.answers'],
      [body(s.id, { answers: { limitedMobility: 'yes' } }), 'body.answers.limitedMobility'],
      [body(s.id, { answers: { disabilityCategory: 8 } }), 'body.answers.disabilityCategory'],
      [body(s.id, { answers: { disabilityGrade: 0 } }), 'body.answers.disabilityGrade'],
      [body(s.id, { answers: { householdDisabledCount: 0 } }), 'body.answers.householdDisabledCount'],
      [body(s.id, { answers: { householdDisabledCount: 1.5 } }), 'body.answers.householdDisabledCount'],
      [body(s.id, { answers: { eligible: true } }), 'body.answers'],
      [body(s.id, { needs: undefined }), 'body.needs'],
      [body(s.id, { needs: 'DISABILITY_CERT' }), 'body.needs'],
      [body(s.id, { needs: [{ itemCode: 'NOPE', actionCode: 'RENEW' }] }), 'body.needs.0.itemCode'],
      [body(s.id, { needs: [{ itemCode: 'DISABILITY_CERT', actionCode: 'NOPE' }] }), 'body.needs.0.actionCode'],
      [body(s.id, { needs: [{ itemCode: 'DISABILITY_CERT', actionCode: 'CONSULTATION' }] }), 'body.needs.0.actionCode'],
      [body(s.id, { needs: [{ itemCode: 'DISABILITY_CERT' }] }), 'body.needs.0.actionCode'],
      [body(s.id, { needs: [{ itemCode: 'CHILD_REHAB', actionCode: 'ENROL', greenChannel: true }] }), 'body.needs.0.greenChannel'],
      [body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' }, { itemCode: 'LEGAL_AID', actionCode: 'MEDIATION', notes: '再次' }] }), 'body.needs.1'],
      [body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION', caseId: 'x' }] }), 'body.needs.0'],
      [body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION', greenChannel: 'true' }] }), 'body.needs.0.greenChannel'],
      [body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION', notes: 'x'.repeat(2001) }] }), 'body.needs.0.notes'],
      [body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION', notes: 'a\u0000b' }] }), 'body.needs.0.notes'],
      [body(s.id, { needs: Array.from({ length: 31 }, () => ({ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' })) }), 'body.needs'],
    ];
    for (const [payload, path] of bad) {
      const res = await post(coordinator, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(400);
      expect(fieldPaths(res), JSON.stringify(payload).slice(0, 200)).toContain(path);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const dup = await post(coordinator, body(s.id, { needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' }, { itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' }] }));
    expect(dup.json().errors[0].message).toContain('与第 1 项需求重复');
    expect((await post(coordinator, body(s.id), 'short')).statusCode).toBe(400);
    expect((await post(coordinator, body(s.id), 'has space in it')).statusCode).toBe(400);
    // Nothing of the above was recorded.
    expect(await stack.db.select().from(surveys).where(eq(surveys.subjectId, s.id))).toEqual([]);
    expect(await stack.db.select().from(cases).where(eq(cases.subjectId, s.id))).toEqual([]);
  });

  it('allows coordinators and workers only; unknown and out-of-scope surveys are 404', async () => {
    const s = await severeSubject();
    for (const role of ['supervisor', 'reviewer', 'admin']) {
      const u = await makeUser(stack.db, role, { counties: ['640104'] });
      expect((await post(u, body(s.id, { needs: [] }))).statusCode, role).toBe(403);
    }
    expect((await stack.app.inject({ method: 'POST', url: '/v1/surveys', payload: body(s.id) })).statusCode).toBe(401);
    // A worker surveys and records needs kept for plans; opening cases is a coordinator's (api/services/casePermissions.ts).
    expect((await post(worker, body(s.id, { needs: [{ itemCode: 'ADULT_REHAB', actionCode: 'ENROL' }] }))).statusCode).toBe(201);
    expect((await post(worker, body(s.id))).statusCode).toBe(403);
    const res = await post(coordinator, body(s.id, { needs: [] }));
    const elsewhere = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    expect((await stack.app.inject({ url: `/v1/surveys/${res.json().id}`, headers: elsewhere.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/surveys/${randomUUID()}`, headers: coordinator.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}/needs`, headers: elsewhere.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}/needs?status=closed`, headers: coordinator.auth })).statusCode).toBe(400);
  });
});
