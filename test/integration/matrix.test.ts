/**
 * The authorization matrix: every role × every /v1 route × a resource inside and outside the caller's
 * scope. The matrix users are county-level (兴庆区 640104, all departments); "outside" is 灵武市 640181.
 *
 * Expectations, per route (the EXPECT table):
 * - a role the route does not admit: 403, inside and outside alike (nothing about the resource is told);
 * - an admitted role, inside: the route's success status;
 * - an admitted role, outside: `hidden` → 404 exactly like an unknown id; `filtered` → success, and the
 *   outside resource is nowhere in the body (while the inside one is); `rejected` → 400/404 on the
 *   body's reference; `unscoped` → the route touches nothing scoped (outside behaves like inside).
 *
 * The first test fails when a registered /v1 route has no entry here (or an entry names no route).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ROLES, type Role } from '../../api/auth';
import { ledgerEntries, notificationDeliveries, notifications, type NewSubject } from '../../db/schema';
import { hashPassword } from '../../api/passwords';
import { storePassword } from '../../api/sessions';
import { findUserById } from '../../db/queries/users';
import { shareLedger } from '../../db/queries/ledger';
import { findAction } from '../../domain/catalog';
import { shanghaiDate } from '../../domain/calendar';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { evidenceFile, multipartBody, upload } from './casesSupport';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { rosterRow, rosterXlsx } from '../support/roster';

const INSIDE = '640104';
const OUTSIDE = '640181';
type Where = 'inside' | 'outside';
const countyOf = (w: Where) => (w === 'inside' ? INSIDE : OUTSIDE);

interface Probe {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** Make the request as this user instead of the role's matrix user (e.g. for logging out). */
  as?: TestUser;
  /** The scoped resource's id (or code): must appear inside, must not appear outside (filtered lists). */
  marker?: string;
  /** Must not appear outside (for lists where the inside resource need not appear either, e.g. sums and overdue lists). */
  outsideMarker?: string;
}

type Outside = 'hidden' | 'filtered' | 'rejected' | 'unscoped';
interface Expectation {
  roles: readonly Role[];
  ok: readonly number[];
  outside: Outside;
  probe: (c: Ctx, where: Where, role: Role, admitted: boolean) => Promise<Probe>;
}

const ALL = ROLES;

// ---- the data the probes use ------------------------------------------------------------------

interface Ctx {
  stack: TestStack;
  users: Record<Role, TestUser>;
  cityCoordinator: TestUser;
  cityReviewer: TestUser;
  cityAdmin: TestUser;
  /** A worker of the outside county (the inside one is the matrix worker): assignees must be in the case's scope. */
  outsideWorker: TestUser;
  memo: Map<string, Promise<unknown>>;
}

/** Once per matrix run: a value shared by read-only probes. */
/** A fresh in-app notification for a user (as the outbox writes them). */
async function notificationFor(c: Ctx, userId: string): Promise<string> {
  const id = randomUUID();
  await c.stack.db.insert(notifications).values({ id, eventKey: `matrix:${id}`, recipientId: userId, kind: 'assigned', title: '测试', body: '测试', link: '/cases/x' });
  return id;
}

function once<T>(c: Ctx, key: string, make: () => Promise<T>): Promise<T> {
  if (!c.memo.has(key)) c.memo.set(key, make());
  return c.memo.get(key) as Promise<T>;
}

const NAME_CHARS = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜';
const uniqueName = () => Array.from({ length: 6 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join('');
const subject = (c: Ctx, where: Where, extra: Partial<NewSubject> = {}) => makeSubject(c.stack.db, { county: countyOf(where), name: uniqueName(), ...extra });
const sharedSubject = (c: Ctx, where: Where) => once(c, `subject-${where}`, () => subject(c, where));

const MATRIX_PASSWORD = 'matrix-password-1';

/** A user of `role` inside the scope with the console password MATRIX_PASSWORD. */
async function userWithPassword(c: Ctx, role: Role): Promise<TestUser & { username: string }> {
  const u = await makeUser(c.stack.db, role, { counties: [INSIDE] });
  const row = (await findUserById(c.stack.db, u.id))!;
  await storePassword(c.stack.db, row, await hashPassword(MATRIX_PASSWORD));
  return { ...u, username: row.username };
}

/** A one-row roster of that county as a multipart upload. */
async function rosterUpload(where: Where): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const bytes = await rosterXlsx([rosterRow({}, countyOf(where))]);
  return multipartBody({ bytes, name: 'roster.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
}

/** An import whose dry run is done, uploaded by the matrix coordinator (inside) or a coordinator of the outside county. */
async function validatedImport(c: Ctx, where: Where): Promise<string> {
  const who = where === 'inside' ? c.users.coordinator : await once(c, 'outside-coordinator', () => makeUser(c.stack.db, 'coordinator', { counties: [OUTSIDE] }));
  const upload = await rosterUpload(where);
  const res = await c.stack.app.inject({ method: 'POST', url: '/v1/subjects/imports', payload: upload.payload, headers: { ...upload.headers, ...who.auth } });
  if (res.statusCode !== 202) throw new Error(`uploading a roster: ${res.statusCode} ${res.body}`);
  const id = res.json().id as string;
  await eventually(async () => (await c.stack.app.inject({ method: 'GET', url: `/v1/subjects/imports/${id}`, headers: who.auth })).json().status.code === 'validated', 30_000, 100);
  return id;
}

/** Opens a case through the API (as a city-level coordinator) for a subject in that county. */
async function openCase(c: Ctx, where: Where): Promise<string> {
  const s = await subject(c, where);
  const res = await c.stack.app.inject({
    method: 'POST', url: '/v1/cases', headers: c.cityCoordinator.auth,
    payload: { subjectId: s.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' },
  });
  if (res.statusCode !== 201) throw new Error(`opening a case: ${res.statusCode} ${res.body}`);
  return res.json().id;
}
const sharedCase = (c: Ctx, where: Where) => once(c, `case-${where}`, () => openCase(c, where));

/** The case routes' stages: a certificate case (残疾人证换领) walked through the API to the stage a step needs. */
type Stage = 'assignment' | 'visit' | 'review' | 'delivery' | 'receipt' | 'supplement' | 'held';
const CERT = { itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' } as const;

async function call(c: Ctx, who: TestUser, url: string, payload: unknown = {}) {
  const res = await c.stack.app.inject({ method: 'POST', url, headers: who.auth, payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

async function caseAt(c: Ctx, where: Where, stage: Stage): Promise<{ id: string; subjectId: string }> {
  const s = await subject(c, where);
  const opened = await call(c, c.cityCoordinator, '/v1/cases', { subjectId: s.id, ...CERT });
  const id = opened.id as string;
  const done = { id, subjectId: s.id };
  if (stage === 'assignment') return done;
  if (stage === 'held') {
    await call(c, c.cityCoordinator, `/v1/cases/${id}/hold`, { reason: '等待家属' });
    return done;
  }
  await call(c, c.cityCoordinator, `/v1/cases/${id}/assign`, { assignee: where === 'inside' ? c.users.worker.id : c.outsideWorker.id });
  if (stage === 'visit') return done;
  const { action } = findAction(CERT.itemCode, CERT.actionCode)!;
  const evidence = [];
  for (const req of action.evidence) {
    const res = await upload(c.stack, c.cityCoordinator, id, evidenceFile(req.kinds[0]));
    evidence.push({ sha256: res.json().sha256 as string, kind: req.kinds[0] });
  }
  await call(c, c.cityCoordinator, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence });
  if (stage === 'review') return done;
  if (stage === 'supplement') {
    const due = shanghaiDate(new Date(Date.now() + 10 * 86_400_000));
    await call(c, c.cityReviewer, `/v1/cases/${id}/review`, { decision: 'approve_with_missing', missing: ['户口簿复印件'], supplementDueDate: due });
    return done;
  }
  await call(c, c.cityReviewer, `/v1/cases/${id}/review`, { decision: 'approve' });
  if (stage === 'delivery') return done;
  await call(c, c.cityCoordinator, `/v1/cases/${id}/deliver`, deliverBody());
  return done;
}

/** A delivery that leaves the case waiting for the receipt (not in person). */
function deliverBody() {
  const methods = findAction(CERT.itemCode, CERT.actionCode)!.action.deliveryMethods;
  if (methods.includes('post')) return { method: 'post' };
  if (methods.includes('express')) return { method: 'express', trackingNumber: 'SF1234567890' };
  return { method: methods.find((m) => m !== 'in_person') ?? methods[0] };
}

/** A case step probe: the case walked to `stage` for admitted roles; any case of that county for the others (403 comes first). */
function stepProbe(path: string, stage: Stage, payload: (c: Ctx) => unknown = () => ({})) {
  return async (c: Ctx, w: Where, role: Role, admitted: boolean): Promise<Probe> => {
    const id = admitted ? (await caseAt(c, w, stage)).id : await sharedCase(c, w);
    return { method: 'POST', url: `/v1/cases/${id}/${path}`, payload: payload(c) };
  };
}


/** Records a survey through the API (as a city-level coordinator); returns its id. */
async function survey(c: Ctx, where: Where): Promise<string> {
  const s = await subject(c, where);
  const res = await c.stack.app.inject({ method: 'POST', url: '/v1/surveys', headers: c.cityCoordinator.auth, payload: surveyBody(s.id) });
  if (res.statusCode !== 201) throw new Error(`recording a survey: ${res.statusCode} ${res.body}`);
  return res.json().id;
}
const surveyBody = (subjectId: string) => ({ subjectId, surveyedAt: '2025-03-01T09:30:00+08:00', answers: { limitedMobility: true }, needs: [] });

/**
 * A month long over, unlikely to be used by any other test, and a different one at each call (a random
 * pick drew a month this file had already shared now and then, and writing into it failed).
 */
let monthSeq = randomInt(0, 1080);
const oldMonth = () => {
  const n = monthSeq++ % 1080;
  return `19${10 + Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
};

/** A ledger row written directly (what the ledger activity writes at the end of a case). */
async function ledgerEntry(c: Ctx, where: Where, month = oldMonth()): Promise<{ id: string; month: string }> {
  const s = await sharedSubject(c, where);
  const id = randomUUID();
  await c.stack.db.insert(ledgerEntries).values({
    id, county: countyOf(where), department: 'JUSTICE', month, sourceType: 'case', sourceId: randomUUID(), subjectId: s.id,
    itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION',
    row: {
      subjectName: s.name, idNumberMasked: '640104********0000', disabilityCategory: '', disabilityGrade: '',
      item: { code: 'LEGAL_AID', label: '法律服务' }, action: { code: 'CONSULTATION', label: '法律咨询' },
      askedOn: `${month}-02`, visitedOn: null, handledBy: null, result: '已办结', deliveryMethod: null, deliveredOn: null, remarks: '',
    },
  });
  return { id, month };
}

/** Enrols a housekeeping plan through the API (as a city-level coordinator) for a fresh subject in that county. */
async function enrolPlan(c: Ctx, where: Where): Promise<{ id: string; subjectId: string }> {
  const s = await subject(c, where);
  const res = await c.stack.app.inject({ method: 'POST', url: '/v1/plans', headers: c.cityCoordinator.auth, payload: planBody(s.id) });
  if (res.statusCode !== 201) throw new Error(`enrolling a plan: ${res.statusCode} ${res.body}`);
  return { id: res.json().id, subjectId: s.id };
}
const sharedPlan = (c: Ctx, where: Where) => once(c, `plan-${where}`, () => enrolPlan(c, where));
const shanghaiToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const planBody = (subjectId: string) => ({
  subjectId, itemCode: 'HOUSEKEEPING', provider: { type: 'volunteer_team', name: '邻里守望志愿队' }, startDate: shanghaiToday(),
  assessment: { needsAssessment: { assessedBy: '社区', assessedOn: shanghaiToday(), services: ['cleaning'] }, funding: { source: 'sunshine_home_funds' }, delivery: { ways: ['volunteer_service'] } },
});
/** An ongoing need from an eligible survey (recorded as a city-level coordinator). */
async function ongoingNeed(c: Ctx, where: Where): Promise<{ id: string; subjectId: string }> {
  const s = await subject(c, where);
  const res = await c.stack.app.inject({
    method: 'POST', url: '/v1/surveys', headers: c.cityCoordinator.auth,
    payload: { subjectId: s.id, surveyedAt: '2025-03-01T09:30:00+08:00', answers: { disabilityCategory: 4, disabilityGrade: 1, limitedMobility: true, noCapableCarer: true }, needs: [{ itemCode: 'HOUSEKEEPING', actionCode: 'ENROL' }] },
  });
  if (res.statusCode !== 201) throw new Error(`recording a survey: ${res.statusCode} ${res.body}`);
  return { id: res.json().needs[0].id, subjectId: s.id };
}

let regionSends = 0;
const MATRIX_CALENDAR = { source: '国务院办公厅关于2032年部分节假日安排的通知（测试）', holidays: [{ name: '元旦', from: '2032-01-01', to: '2032-01-01' }], makeUpWorkdays: [] };
/** A city-level user of the role (memoized). */
const cityUser = (c: Ctx, role: Role) => once(c, `city-${role}`, () => makeUser(c.stack.db, role, { cityLevel: true }));
const quarterUnique = () => `19${String(randomInt(10, 99))}-Q${randomInt(1, 5)}`;

// ---- the expectation table: one entry per registered /v1 route ---------------------------------

const EXPECT: Record<string, Expectation> = {
  // cases
  'POST /v1/cases': {
    roles: ['coordinator', 'admin'], ok: [201], outside: 'rejected',
    probe: async (c, w) => ({ method: 'POST', url: '/v1/cases', payload: { subjectId: (await subject(c, w)).id, itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' } }),
  },
  'GET /v1/cases/:id': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/cases/${await sharedCase(c, w)}` }),
  },
  'GET /v1/cases/:id/assignees': {
    roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/cases/${await sharedCase(c, w)}/assignees` }),
  },
  'GET /v1/cases': {
    roles: ALL, ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const k = await once(c, `listed-case-${w}`, () => caseAt(c, w, 'assignment'));
      return { method: 'GET', url: `/v1/cases?subjectId=${k.subjectId}`, marker: k.id };
    },
  },
  'POST /v1/cases/:id/assign': {
    roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden',
    probe: async (c, w, _r, admitted) => ({
      method: 'POST', url: `/v1/cases/${admitted ? (await caseAt(c, w, 'assignment')).id : await sharedCase(c, w)}/assign`,
      payload: { assignee: w === 'inside' ? c.users.worker.id : c.outsideWorker.id },
    }),
  },
  'POST /v1/cases/:id/schedule-visit': { roles: ['worker', 'coordinator'], ok: [200], outside: 'hidden', probe: stepProbe('schedule-visit', 'visit', () => ({ scheduledAt: '2030-01-03T02:00:00Z' })) },
  'POST /v1/cases/:id/visit-report': { roles: ['worker', 'coordinator'], ok: [200], outside: 'hidden', probe: stepProbe('visit-report', 'visit', () => ({ outcome: 'nobody_home' })) },
  'POST /v1/cases/:id/review': { roles: ['reviewer'], ok: [200], outside: 'hidden', probe: stepProbe('review', 'review', () => ({ decision: 'approve' })) },
  'POST /v1/cases/:id/supplement': { roles: ['worker', 'coordinator'], ok: [200], outside: 'hidden', probe: stepProbe('supplement', 'supplement', () => ({ documents: ['户口簿复印件'] })) },
  'POST /v1/cases/:id/deliver': { roles: ['worker', 'coordinator'], ok: [200], outside: 'hidden', probe: stepProbe('deliver', 'delivery', () => deliverBody()) },
  'POST /v1/cases/:id/confirm-receipt': { roles: ['worker', 'coordinator'], ok: [200], outside: 'hidden', probe: stepProbe('confirm-receipt', 'receipt') },
  'POST /v1/cases/:id/cancel': { roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden', probe: stepProbe('cancel', 'assignment', () => ({ reason: 'declined' })) },
  'POST /v1/cases/:id/hold': { roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden', probe: stepProbe('hold', 'assignment', () => ({ reason: '服务对象住院' })) },
  'POST /v1/cases/:id/resume': { roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden', probe: stepProbe('resume', 'held') },
  'POST /v1/cases/:id/green-channel': { roles: ['coordinator', 'supervisor'], ok: [200], outside: 'hidden', probe: stepProbe('green-channel', 'assignment') },
  'POST /v1/cases/:id/evidence': {
    roles: ['worker', 'coordinator'], ok: [201], outside: 'hidden',
    probe: async (c, w, _r, admitted) => {
      const id = admitted ? (await caseAt(c, w, 'visit')).id : await sharedCase(c, w);
      const { payload, headers } = multipartBody(evidenceFile('photo'));
      return { method: 'POST', url: `/v1/cases/${id}/evidence`, payload, headers };
    },
  },
  'GET /v1/cases/:id/evidence/:sha256': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => {
      const { id, sha256 } = await once(c, `evidence-${w}`, async () => {
        const k = await caseAt(c, w, 'visit');
        const res = await upload(c.stack, c.cityCoordinator, k.id, evidenceFile('photo'));
        return { id: k.id, sha256: res.json().sha256 as string };
      });
      return { method: 'GET', url: `/v1/cases/${id}/evidence/${sha256}` };
    },
  },


  // plans
  'POST /v1/plans': {
    roles: ['coordinator', 'admin'], ok: [201], outside: 'rejected',
    probe: async (c, w) => ({ method: 'POST', url: '/v1/plans', payload: planBody((await subject(c, w)).id) }),
  },
  'GET /v1/plans': {
    roles: ALL, ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const p = await sharedPlan(c, w);
      return { method: 'GET', url: `/v1/plans?subjectId=${p.subjectId}`, marker: p.id };
    },
  },
  'GET /v1/plans/pending-needs': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const n = await once(c, `need-${w}`, () => ongoingNeed(c, w));
      return { method: 'GET', url: `/v1/plans/pending-needs?subjectId=${n.subjectId}`, marker: n.id };
    },
  },
  'GET /v1/plans/:id': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/plans/${(await sharedPlan(c, w)).id}` }),
  },
  'GET /v1/plans/:id/sessions': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/plans/${(await sharedPlan(c, w)).id}/sessions` }),
  },
  'POST /v1/plans/:id/sessions': {
    roles: ['worker', 'admin'], ok: [201], outside: 'hidden',
    probe: async (c, w) => ({
      method: 'POST', url: `/v1/plans/${(await enrolPlan(c, w)).id}/sessions`,
      payload: { date: shanghaiToday(), units: 60, providerStaff: '志愿者小王', content: '助洁' },
    }),
  },
  'POST /v1/plans/:id/withdraw': {
    roles: ['coordinator', 'admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'POST', url: `/v1/plans/${(await enrolPlan(c, w)).id}/withdraw`, payload: { reason: '已入住托养机构' } }),
  },

  // catalog
  'GET /v1/catalog': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/catalog' }) },

  // subjects
  'POST /v1/subjects': {
    roles: ['coordinator', 'admin'], ok: [201], outside: 'rejected',
    probe: async (_c, w) => ({ method: 'POST', url: '/v1/subjects', payload: { idNumber: uniqueIdNumber(countyOf(w)), name: uniqueName(), county: countyOf(w) } }),
  },
  'GET /v1/subjects': {
    roles: ALL, ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const s = await sharedSubject(c, w);
      return { method: 'GET', url: `/v1/subjects?name=${encodeURIComponent(s.name)}`, marker: s.id };
    },
  },
  'GET /v1/subjects/:id': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/subjects/${(await sharedSubject(c, w)).id}` }),
  },
  'PATCH /v1/subjects/:id': {
    roles: ['coordinator', 'admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'PATCH', url: `/v1/subjects/${(await subject(c, w)).id}`, payload: { notes: '需要轮椅' } }),
  },
  'POST /v1/subjects/:id/household': {
    roles: ['coordinator', 'admin'], ok: [200, 201], outside: 'hidden',
    probe: async (c, w) => ({ method: 'POST', url: `/v1/subjects/${(await subject(c, w)).id}/household`, payload: { withSubjectId: (await subject(c, 'inside')).id } }),
  },
  'DELETE /v1/subjects/:id/household': {
    roles: ['coordinator', 'admin'], ok: [200, 204], outside: 'hidden',
    probe: async (c, w) => {
      const a = await subject(c, w);
      const householdId = randomUUID();
      await c.stack.db.update((await import('../../db/schema')).subjects).set({ householdId })
        .where((await import('drizzle-orm')).eq((await import('../../db/schema')).subjects.id, a.id));
      await subject(c, w, { householdId });
      return { method: 'DELETE', url: `/v1/subjects/${a.id}/household` };
    },
  },

  // surveys
  'POST /v1/surveys': {
    roles: ['coordinator', 'worker'], ok: [201], outside: 'rejected',
    probe: async (c, w) => ({ method: 'POST', url: '/v1/surveys', payload: surveyBody((await subject(c, w)).id) }),
  },
  'GET /v1/surveys/:id': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/surveys/${await once(c, `survey-${w}`, () => survey(c, w))}` }),
  },
  'GET /v1/subjects/:id/needs': {
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/subjects/${(await sharedSubject(c, w)).id}/needs` }),
  },

  // ledger
  'GET /v1/ledger': {
    roles: ['coordinator', 'reviewer', 'supervisor', 'admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => {
      const e = await once(c, `ledger-${w}`, () => ledgerEntry(c, w));
      return { method: 'GET', url: `/v1/ledger?county=${countyOf(w)}&department=JUSTICE&month=${e.month}` };
    },
  },
  'PATCH /v1/ledger/entries/:id': {
    roles: ['coordinator', 'admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'PATCH', url: `/v1/ledger/entries/${(await ledgerEntry(c, w)).id}`, payload: { changes: { remarks: '电话回访' } } }),
  },
  'POST /v1/ledger/amendments': {
    roles: ['coordinator', 'admin'], ok: [201], outside: 'hidden',
    probe: async (c, w) => {
      const e = await ledgerEntry(c, w);
      await shareLedger(c.stack.db, { county: countyOf(w), department: 'JUSTICE', month: e.month }, new Date(), c.cityAdmin.id);
      return { method: 'POST', url: '/v1/ledger/amendments', payload: { ledgerEntryId: e.id, changes: { remarks: '更正经办人' }, reason: '经办人录入有误' } };
    },
  },
  'POST /v1/ledger/share': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200, 201], outside: 'hidden',
    probe: async (_c, w) => ({ method: 'POST', url: '/v1/ledger/share', payload: { county: countyOf(w), department: 'JUSTICE', month: oldMonth() } }),
  },
  'GET /v1/ledger/share-preview': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200], outside: 'hidden',
    probe: async (_c, w) => ({ method: 'GET', url: `/v1/ledger/share-preview?county=${countyOf(w)}&department=JUSTICE&month=${oldMonth()}` }),
  },
  'GET /v1/ledger/shares': {
    roles: ['coordinator', 'reviewer', 'supervisor', 'admin'], ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const month = await once(c, 'shares-month', async () => {
        const m = oldMonth();
        for (const county of [INSIDE, OUTSIDE]) await shareLedger(c.stack.db, { county, department: 'HEALTH', month: m }, new Date(), c.cityAdmin.id);
        return m;
      });
      return { method: 'GET', url: `/v1/ledger/shares?month=${month}&department=HEALTH`, marker: countyOf(w) };
    },
  },

  // reports
  'GET /v1/reports/quarterly': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200], outside: 'hidden',
    probe: async (_c, w) => ({ method: 'GET', url: `/v1/reports/quarterly?quarter=2025-Q1&county=${countyOf(w)}&department=DPF` }),
  },
  'POST /v1/reports/quarterly/submit': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [201], outside: 'hidden',
    probe: async (_c, w) => ({ method: 'POST', url: '/v1/reports/quarterly/submit', payload: { quarter: quarterUnique(), county: countyOf(w), department: 'EDUCATION' } }),
  },
  // 报送至自治区: city-level users only (a county-level user of an admitted role gets 403 from the route).
  'POST /v1/reports/quarterly/region': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [201], outside: 'unscoped',
    probe: async (c, _w, role) => ({ method: 'POST', url: '/v1/reports/quarterly/region', payload: { quarter: `${1950 + regionSends++}-Q1` }, as: await cityUser(c, role) }),
  },
  'GET /v1/reports/quarterly/region': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200], outside: 'unscoped',
    probe: async (c, _w, role) => {
      await once(c, 'region-sent', async () => {
        const res = await c.stack.app.inject({ method: 'POST', url: '/v1/reports/quarterly/region', headers: c.cityAdmin.auth, payload: { quarter: '1949-Q4' } });
        if (res.statusCode !== 201) throw new Error(`sending to the region: ${res.statusCode} ${res.body}`);
      });
      return { method: 'GET', url: '/v1/reports/quarterly/region?quarter=1949-Q4', as: await cityUser(c, role) };
    },
  },
  'GET /v1/reports/quarterly/submissions': {
    roles: ['coordinator', 'supervisor', 'admin'], ok: [200], outside: 'filtered',
    probe: async (_c, w) => ({ method: 'GET', url: '/v1/reports/quarterly/submissions?quarter=2025-Q1', marker: countyOf(w) }),
  },

  // supervision (lists and sums over cases: the outside county's case must not show)
  ...Object.fromEntries(['overdue', 'stuck', 'summary', 'workload', 'escalations', 'failing'].map((name) => [`GET /v1/supervision/${name}`, {
    roles: ['supervisor', 'admin', 'coordinator'], ok: [200], outside: 'filtered',
    probe: async (c: Ctx, w: Where) => {
      const caseId = await sharedCase(c, w);
      // The lists name cases, the sums name counties: neither the outside case nor its county may appear.
      return { method: 'GET', url: `/v1/supervision/${name}`, outsideMarker: name === 'summary' || name === 'workload' ? OUTSIDE : caseId };
    },
  } satisfies Expectation])),
  // the dashboard's weekly trend (sums: the outside county may not appear) and the cases behind a figure
  'GET /v1/supervision/trend': {
    roles: ['supervisor', 'admin', 'coordinator'], ok: [200], outside: 'filtered',
    probe: async (c, w) => { await sharedCase(c, w); return { method: 'GET', url: '/v1/supervision/trend?weeks=4', outsideMarker: OUTSIDE }; },
  },
  'GET /v1/supervision/cases': {
    roles: ['supervisor', 'admin', 'coordinator'], ok: [200], outside: 'filtered',
    probe: async (c, w) => ({ method: 'GET', url: '/v1/supervision/cases?figure=open', marker: await sharedCase(c, w) }),
  },

  // users
  // calendar: everyone reads it; admins enter years (a far year: it changes no deadline of the run)
  'GET /v1/calendar': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/calendar' }) },
  'PUT /v1/calendar/:year': {
    roles: ['admin'], ok: [200, 201], outside: 'unscoped',
    probe: async () => ({ method: 'PUT', url: '/v1/calendar/2032', payload: MATRIX_CALENDAR }),
  },
  'GET /v1/calendar/:year/history': {
    roles: ['admin'], ok: [200], outside: 'unscoped',
    probe: async (c) => {
      await once(c, 'calendar-2032', async () => {
        const res = await c.stack.app.inject({ method: 'PUT', url: '/v1/calendar/2032', headers: c.cityAdmin.auth, payload: MATRIX_CALENDAR });
        if (res.statusCode >= 300) throw new Error(`entering a calendar: ${res.statusCode} ${res.body}`);
      });
      return { method: 'GET', url: '/v1/calendar/2032/history' };
    },
  },
  // policy rules: everyone reads them; admins change local ones (the note explains; here an unchanged value)
  'GET /v1/policy': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/policy' }) },
  'PUT /v1/policy/:key': {
    roles: ['admin'], ok: [201], outside: 'unscoped',
    probe: async () => ({ method: 'PUT', url: '/v1/policy/cadence.HOME_EMPLOYMENT', payload: { note: '权限矩阵测试：不改变数值' } }),
  },
  'GET /v1/policy/:key/history': {
    roles: ['admin'], ok: [200], outside: 'unscoped',
    probe: async (c) => {
      await once(c, 'policy-changed', async () => {
        const res = await c.stack.app.inject({ method: 'PUT', url: '/v1/policy/cadence.HOME_EMPLOYMENT', headers: c.cityAdmin.auth, payload: { note: '权限矩阵测试：不改变数值' } });
        if (res.statusCode !== 201) throw new Error(`changing a rule: ${res.statusCode} ${res.body}`);
      });
      return { method: 'GET', url: '/v1/policy/cadence.HOME_EMPLOYMENT/history' };
    },
  },
  'GET /v1/me': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/me' }) },
  // The caller's own scope and assignments (workbench.test.ts checks what they count and list).
  'GET /v1/workbench': { roles: ALL, ok: [200], outside: 'filtered', probe: async () => ({ method: 'GET', url: '/v1/workbench' }) },
  'GET /v1/me/tasks': { roles: ALL, ok: [200], outside: 'filtered', probe: async () => ({ method: 'GET', url: '/v1/me/tasks' }) },
  // Login and logout take no credentials: every role (and no one) gets the same answer.
  'POST /v1/auth/login': {
    roles: ALL, ok: [200], outside: 'unscoped',
    probe: async (c, _w, role) => {
      const u = await userWithPassword(c, role);
      return { method: 'POST', url: '/v1/auth/login', payload: { username: u.username, password: MATRIX_PASSWORD } };
    },
  },
  'POST /v1/auth/logout': { roles: ALL, ok: [204], outside: 'unscoped', probe: async () => ({ method: 'POST', url: '/v1/auth/logout' }) },
  'POST /v1/me/password': {
    roles: ALL, ok: [204], outside: 'unscoped',
    probe: async (c, _w, role) => {
      const u = await userWithPassword(c, role);
      return { method: 'POST', url: '/v1/me/password', as: u, payload: { currentPassword: MATRIX_PASSWORD, newPassword: 'matrix-password-2' } };
    },
  },
  'PUT /v1/users/:id/password': {
    roles: ['admin'], ok: [204], outside: 'hidden',
    probe: async (c, w) => ({ method: 'PUT', url: `/v1/users/${(await makeUser(c.stack.db, 'worker', { counties: [countyOf(w)] })).id}/password`, payload: { password: 'matrix-password-3' } }),
  },
  'DELETE /v1/me/token': {
    roles: ALL, ok: [204], outside: 'unscoped',
    probe: async (c, _w, role) => ({ method: 'DELETE', url: '/v1/me/token', as: await makeUser(c.stack.db, role, { counties: [INSIDE] }) }),
  },
  'GET /v1/users': {
    roles: ['admin'], ok: [200], outside: 'filtered',
    probe: async (c, w) => ({ method: 'GET', url: '/v1/users?role=reviewer&limit=200', marker: (await once(c, `user-${w}`, () => makeUser(c.stack.db, 'reviewer', { counties: [countyOf(w)] }))).id }),
  },
  'POST /v1/users': {
    roles: ['admin'], ok: [201], outside: 'rejected',
    probe: async (_c, w) => ({ method: 'POST', url: '/v1/users', payload: { username: `m-${randomUUID().slice(0, 12)}`, displayName: '新用户', role: 'worker', counties: [countyOf(w)] } }),
  },
  'GET /v1/users/:id': {
    roles: ['admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/users/${(await once(c, `user-${w}`, () => makeUser(c.stack.db, 'reviewer', { counties: [countyOf(w)] }))).id}` }),
  },
  'PATCH /v1/users/:id': {
    roles: ['admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'PATCH', url: `/v1/users/${(await makeUser(c.stack.db, 'worker', { counties: [countyOf(w)] })).id}`, payload: { displayName: '改名' } }),
  },
  'GET /v1/users/:id/tokens': {
    roles: ['admin'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/users/${(await once(c, `user-${w}`, () => makeUser(c.stack.db, 'reviewer', { counties: [countyOf(w)] }))).id}/tokens` }),
  },
  'POST /v1/users/:id/tokens': {
    roles: ['admin'], ok: [201], outside: 'hidden',
    probe: async (c, w) => ({ method: 'POST', url: `/v1/users/${(await makeUser(c.stack.db, 'worker', { counties: [countyOf(w)] })).id}/tokens`, payload: {} }),
  },
  'DELETE /v1/users/:id/tokens/:tokenId': {
    roles: ['admin'], ok: [204], outside: 'hidden',
    probe: async (c, w) => {
      const u = await makeUser(c.stack.db, 'worker', { counties: [countyOf(w)] });
      const [t] = await c.stack.db.select().from((await import('../../db/schema')).apiTokens)
        .where((await import('drizzle-orm')).eq((await import('../../db/schema')).apiTokens.userId, u.id));
      return { method: 'DELETE', url: `/v1/users/${u.id}/tokens/${t.id}` };
    },
  },

  // subject imports and export
  'GET /v1/subjects/imports/template': { roles: ['coordinator'], ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/subjects/imports/template' }) },
  'POST /v1/subjects/imports': {
    // Rows are checked against the scope in the dry run (see subjectImports.test.ts), not at upload.
    roles: ['coordinator'], ok: [202], outside: 'unscoped',
    probe: async (_c, w) => ({ method: 'POST', url: '/v1/subjects/imports', ...(await rosterUpload(w)) }),
  },
  'GET /v1/subjects/imports/:id': {
    roles: ['coordinator'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/subjects/imports/${await once(c, `import-${w}`, () => validatedImport(c, w))}` }),
  },
  'GET /v1/subjects/imports/:id/report': {
    roles: ['coordinator'], ok: [200], outside: 'hidden',
    probe: async (c, w) => ({ method: 'GET', url: `/v1/subjects/imports/${await once(c, `import-${w}`, () => validatedImport(c, w))}/report` }),
  },
  'POST /v1/subjects/imports/:id/commit': {
    roles: ['coordinator'], ok: [202], outside: 'hidden',
    probe: async (c, w, _r, admitted) => ({
      method: 'POST', url: `/v1/subjects/imports/${admitted && w === 'inside' ? await validatedImport(c, w) : await once(c, `import-${w}`, () => validatedImport(c, w))}/commit`,
    }),
  },
  'GET /v1/subjects/export': { roles: ['coordinator'], ok: [200], outside: 'filtered', probe: async () => ({ method: 'GET', url: '/v1/subjects/export' }) },

  // notifications: one's own inbox and preferences; the admins' failed deliveries, by the recipient's scope
  'GET /v1/me/notifications': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/me/notifications' }) },
  'POST /v1/me/notifications/:id/read': {
    // "Outside": another user's notification, answered like an unknown one.
    roles: ALL, ok: [200], outside: 'hidden',
    probe: async (c, w, role) => ({ method: 'POST', url: `/v1/me/notifications/${await notificationFor(c, w === 'inside' ? c.users[role].id : c.outsideWorker.id)}/read` }),
  },
  'POST /v1/me/notifications/read-all': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'POST', url: '/v1/me/notifications/read-all' }) },
  'GET /v1/me/notification-preferences': { roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/me/notification-preferences' }) },
  'PUT /v1/me/notification-preferences': {
    roles: ALL, ok: [200], outside: 'unscoped', probe: async () => ({ method: 'PUT', url: '/v1/me/notification-preferences', payload: { channels: [] } }),
  },
  'GET /v1/admin/notifications/failed': {
    roles: ['admin'], ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const recipient = w === 'inside' ? c.users.worker.id : c.outsideWorker.id;
      const id = await once(c, `failed-notification-${w}`, async () => {
        const nid = await notificationFor(c, recipient);
        await c.stack.db.insert(notificationDeliveries).values({ notificationId: nid, channel: 'email', status: 'failed', attempts: 3, lastAnswer: '550 rejected', failedAt: new Date() });
        return nid;
      });
      return { method: 'GET', url: '/v1/admin/notifications/failed?limit=200', marker: id };
    },
  },

  'POST /v1/admin/notifications/failed/:notificationId/:channel/retry': {
    roles: ['admin'], ok: [202], outside: 'hidden',
    probe: async (c, w) => {
      const nid = await notificationFor(c, w === 'inside' ? c.users.worker.id : c.outsideWorker.id);
      await c.stack.db.insert(notificationDeliveries).values({ notificationId: nid, channel: 'email', status: 'failed', attempts: 3, lastAnswer: '550 rejected', failedAt: new Date() });
      return { method: 'POST', url: `/v1/admin/notifications/failed/${nid}/email/retry` };
    },
  },
  // bad states for admins: the reconciliation's findings (filtered by scope; this run has none, so both sides
  // read alike — scope filtering is tested in reconcile.test.ts) and the schedules (city-wide)
  'GET /v1/admin/reconciliation': { roles: ['admin'], ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/admin/reconciliation' }) },
  'GET /v1/admin/schedules': { roles: ['admin'], ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/admin/schedules' }) },

  // audit
  'GET /v1/audit/actions': { roles: ['admin'], ok: [200], outside: 'unscoped', probe: async () => ({ method: 'GET', url: '/v1/audit/actions' }) },
  'GET /v1/audit': {
    roles: ['admin'], ok: [200], outside: 'filtered',
    probe: async (c, w) => {
      const actor = await once(c, `auditee-${w}`, async () => {
        const u = await makeUser(c.stack.db, 'worker', { counties: [countyOf(w)] });
        await c.stack.app.inject({ method: 'DELETE', url: '/v1/me/token', headers: u.auth });
        return u;
      });
      return { method: 'GET', url: `/v1/audit?userId=${actor.id}`, marker: actor.id };
    },
  },
};

// ---- the run -----------------------------------------------------------------------------------

let ctx: Ctx;
beforeAll(async () => {
  const stack = await startStack();
  const users = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await makeUser(stack.db, r, { counties: [INSIDE] })]))) as Record<Role, TestUser>;
  ctx = {
    stack, users,
    cityCoordinator: await makeUser(stack.db, 'coordinator', { cityLevel: true }),
    cityReviewer: await makeUser(stack.db, 'reviewer', { cityLevel: true }),
    cityAdmin: await makeUser(stack.db, 'admin', { cityLevel: true }),
    outsideWorker: await makeUser(stack.db, 'worker', { counties: [OUTSIDE] }),
    memo: new Map(),
  };
});
afterAll(async () => { await ctx?.stack.close(); });

/** The /v1 routes the app registers, as "METHOD /v1/path". */
async function registeredRoutes(): Promise<string[]> {
  const found = new Set<string>();
  const app = await buildApp({
    db: ctx.stack.db, temporal: ctx.stack.client, config: ctx.stack.config,
    onRoute: ({ method, url }) => {
      for (const m of [method].flat()) if (url.startsWith('/v1/') && m !== 'HEAD' && m !== 'OPTIONS') found.add(`${m} ${url}`);
    },
  });
  await app.ready();
  await app.close();
  return [...found].sort();
}

describe('authorization matrix', () => {
  it('covers every registered /v1 route, and names no route that does not exist', async () => {
    const routes = await registeredRoutes();
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => !EXPECT[r]), 'routes without an entry in the matrix').toEqual([]);
    expect(Object.keys(EXPECT).filter((r) => !routes.includes(r)), 'matrix entries without a route').toEqual([]);
  });

  const cases = Object.entries(EXPECT).flatMap(([route, e]) =>
    ROLES.flatMap((role) => (['inside', 'outside'] as const).map((where) => ({ route, e, role, where }))));

  it.each(cases)('$route as $role, $where the scope', async ({ e, role, where }) => {
    const probe = await e.probe(ctx, where, role, e.roles.includes(role));
    const who = probe.as ?? ctx.users[role];
    const res = await ctx.stack.app.inject({
      method: probe.method, url: probe.url, headers: { ...probe.headers, ...who.auth },
      ...(probe.payload !== undefined ? { payload: probe.payload as object } : {}),
    });
    const why = `${probe.method} ${probe.url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    expect(res.statusCode, why).not.toBe(500);
    if (!e.roles.includes(role)) {
      expect(res.statusCode, why).toBe(403);
      return;
    }
    const effective = where === 'inside' || e.outside === 'unscoped' ? 'ok' : e.outside;
    switch (effective) {
      case 'ok':
        expect(e.ok, why).toContain(res.statusCode);
        if (probe.marker && where === 'inside') expect(res.body, why).toContain(probe.marker);
        break;
      case 'hidden':
        expect(res.statusCode, why).toBe(404);
        expect(res.body).toContain('不存在或不在您的权限范围内');
        break;
      case 'filtered':
        expect(e.ok, why).toContain(res.statusCode);
        if (probe.marker) expect(res.body, why).not.toContain(probe.marker);
        if (probe.outsideMarker) expect(res.body, why).not.toContain(probe.outsideMarker);
        break;
      case 'rejected':
        expect([400, 404], why).toContain(res.statusCode);
        break;
    }
  });
});
