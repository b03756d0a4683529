/**
 * Issue #20: each finding of the outside probe, as a user (or an attacker) would check it, against
 * the real stack (API, worker, PostgreSQL, Temporal dev server).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ID_SEARCH_ACTION, QUOTA_ALERT_ACTION } from '../../api/audit';
import { csvField } from '../../api/export/xlsx';
import { apiTokens, auditLog, cases, subjects } from '../../db/schema';
import { issueToken } from '../../db/queries/users';
import { shanghaiDate } from '../../domain/calendar';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { evidenceFile, upload } from './casesSupport';

const ELIGIBLE = { limitedMobility: true, noCapableCarer: true };

let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
let supervisor: TestUser;
let admin: TestUser;
const today = () => shanghaiDate(new Date());

beforeAll(async () => {
  stack = await startStack({ UNMASK_QUOTA_PER_DAY: 3, ID_SEARCH_PER_HOUR: 4, AUTH_FAILURES_PER_MINUTE: 10 });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  worker = await makeUser(stack.db, 'worker', { counties: ['640104'], departments: ['DPF'] });
  supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640104'] });
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); });

const get = (user: TestUser, url: string) => stack.app.inject({ url, headers: user.auth });
const post = (user: TestUser, url: string, payload: object) => stack.app.inject({ method: 'POST', url, headers: user.auth, payload });

describe('birth dates stay hidden from roles that may not unmask', () => {
  it('a child-rehabilitation plan shows its 7th birthday to a coordinator only; the subject\'s age likewise', async () => {
    const born = Number(today().slice(0, 4)) - 4;
    const child = await makeSubject(stack.db, { idNumber: uniqueIdNumber('640104', born) });
    const res = await post(coordinator, '/v1/plans', {
      subjectId: child.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
      provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today(),
    });
    expect(res.statusCode).toBe(201);
    const ageOutOn = `${born + 7}${child.birthDate.slice(4)}`;
    expect(res.json().ageOutOn).toBe(ageOutOn);
    for (const user of [supervisor, admin]) {
      const view = await get(user, `/v1/plans/${res.json().id}`);
      expect(view.statusCode).toBe(200);
      expect(view.json().ageOutOn).toBeNull();
      expect(view.body).not.toContain(ageOutOn);
      const subject = await get(user, `/v1/subjects/${child.id}`);
      expect(subject.json()).toMatchObject({ birthDate: null, age: null });
    }
    expect((await get(coordinator, `/v1/subjects/${child.id}`)).json().age).toBeGreaterThanOrEqual(3);
  });

  it('refusing a child who has turned 7 names no date', async () => {
    const child = await makeSubject(stack.db, { idNumber: uniqueIdNumber('640104', Number(today().slice(0, 4)) - 9) });
    const res = await post(coordinator, '/v1/plans', {
      subjectId: child.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
      provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today(),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toContain('年满7周岁');
    expect(res.json().detail).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });
});

describe('exact ID-number search', () => {
  it('is refused to supervisors and admins, audited with the masked number, and throttled per user', async () => {
    const s = await makeSubject(stack.db);
    for (const user of [supervisor, admin]) expect((await get(user, `/v1/subjects?idNumber=${s.idNumber}`)).statusCode).toBe(403);
    const searcher = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    const found = await get(searcher, `/v1/subjects?idNumber=${s.idNumber}`);
    expect(found.json().items.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const [entry] = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, searcher.id), eq(auditLog.action, ID_SEARCH_ACTION)));
    expect(entry.detail).toMatchObject({ found: 1, ids: [s.id] });
    expect(JSON.stringify(entry.detail)).not.toContain(s.idNumber);
    for (let i = 0; i < 3; i++) expect((await get(searcher, `/v1/subjects?idNumber=${uniqueIdNumber()}`)).statusCode).toBe(200);
    const over = await get(searcher, `/v1/subjects?idNumber=${s.idNumber}`);
    expect(over.statusCode).toBe(429);
    expect(over.json().detail).toContain('每小时最多按身份证号码查询 4 次');
    expect(await stack.app.metrics.metrics()).toMatch(/doorstep_personal_data_limit_refusals_total\{limit="id_search_per_hour",role="coordinator"\} 1\b/);
  });
});

describe('failed authentication', () => {
  it('is limited per client address, before any token lookup; other addresses are not affected', async () => {
    const from = (ip: string, auth?: string) => stack.app.inject({ url: '/v1/me', remoteAddress: ip, headers: auth ? { authorization: auth } : {} });
    for (let i = 0; i < 10; i++) expect((await from('10.0.0.7', `Bearer forged-${i}`)).statusCode).toBe(401);
    const blocked = await from('10.0.0.7', coordinator.auth.authorization);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('10.0.0.8', coordinator.auth.authorization)).statusCode).toBe(200);
  });
});

describe('every path that opens a case applies the same rule', () => {
  it('a DPF worker cannot open an HRSS green-channel case through a survey', async () => {
    const s = await makeSubject(stack.db);
    const res = await post(worker, '/v1/surveys', {
      subjectId: s.id, surveyedAt: '2025-06-09T09:30:00+08:00', answers: ELIGIBLE,
      needs: [{ itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', greenChannel: true }],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain('不能开案');
    expect(await stack.db.select().from(cases).where(eq(cases.subjectId, s.id))).toHaveLength(0);
    const direct = await post(worker, '/v1/cases', { subjectId: s.id, itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY' });
    expect(direct.statusCode).toBe(403);
  });

  it('a DPF coordinator opens DPF cases but not another department\'s', async () => {
    const dpf = await makeUser(stack.db, 'coordinator', { counties: ['640104'], departments: ['DPF'] });
    const s = await makeSubject(stack.db);
    const other = await post(dpf, '/v1/cases', { subjectId: s.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    expect(other.statusCode).toBe(403);
    expect(other.json().detail).toContain('不在您的部门权限范围内');
    const viaSurvey = await post(dpf, '/v1/surveys', {
      subjectId: s.id, surveyedAt: '2025-06-09T09:30:00+08:00', answers: ELIGIBLE, needs: [{ itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' }],
    });
    expect(viaSurvey.statusCode).toBe(403);
  });
});

describe('authentication on the routed path', () => {
  it('an encoded path reaches no route without a token', async () => {
    for (const url of ['/%761/catalog', '/v%31/catalog', '/%76%31/subjects']) expect((await stack.app.inject({ url })).statusCode, url).toBe(401);
    expect((await stack.app.inject({ url: '/%761/catalog', headers: coordinator.auth })).statusCode).toBe(200);
  });
});

describe('malformed input is a 400', () => {
  it('a quarter outside any plausible year', async () => {
    for (const quarter of ['0000-Q1', '9999-Q4']) {
      const res = await get(supervisor, `/v1/reports/quarterly?quarter=${quarter}&level=county&county=640104`);
      expect(res.statusCode, quarter).toBe(400);
    }
  });
});

describe('caching', () => {
  it('personal data is sent no-store, evidence included; the catalog stays cacheable', async () => {
    const s = await makeSubject(stack.db);
    expect((await get(coordinator, `/v1/subjects/${s.id}`)).headers['cache-control']).toBe('no-store');
    expect((await get(coordinator, '/v1/subjects')).headers['cache-control']).toBe('no-store');
    expect((await get(coordinator, '/v1/catalog')).headers['cache-control']).toContain('max-age');
    const opened = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    const caseId = opened.json().id as string;
    const uploaded = await upload(stack, coordinator, caseId, evidenceFile('photo'));
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const download = await get(coordinator, `/v1/cases/${caseId}/evidence/${uploaded.json().sha256}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['cache-control']).toBe('no-store');
  });
});

describe('households', () => {
  it('a coordinator cannot move a household that has members in another county, and counts only members they can see', async () => {
    const mine = await makeSubject(stack.db);
    const mine2 = await makeSubject(stack.db);
    const theirs = await makeSubject(stack.db, { county: '640105' });
    const household = randomUUID();
    await stack.db.update(subjects).set({ householdId: household }).where(eq(subjects.id, mine2.id));
    await stack.db.update(subjects).set({ householdId: household }).where(eq(subjects.id, theirs.id));
    const view = (await get(coordinator, `/v1/subjects/${mine2.id}`)).json();
    expect(view.household).toMatchObject({ size: 1, multiDisabled: false });
    const link = await post(coordinator, `/v1/subjects/${mine.id}/household`, { withSubjectId: mine2.id });
    expect(link.statusCode).toBe(409);
    const [after] = await stack.db.select().from(subjects).where(eq(subjects.id, theirs.id));
    expect(after.householdId).toBe(household);
  });
});

describe('the unmask quota', () => {
  it('stops a worker following records one by one, and raises one alert', async () => {
    const w = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => makeSubject(stack.db)));
    const statuses: number[] = [];
    for (const p of people) statuses.push((await get(w, `/v1/subjects/${p.id}?unmask=true`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await get(w, `/v1/subjects/${people[4].id}`)).statusCode).toBe(200);
    const alerts = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, w.id), eq(auditLog.action, QUOTA_ALERT_ACTION)));
    expect(alerts).toHaveLength(1);
    expect(alerts[0].detail).toMatchObject({ quota: 3, used: 3 });
    // The Prometheus alert: a counter by limit and role (never the user), and a rule that fires on it.
    const scrape = await stack.app.metrics.metrics();
    expect(scrape).toMatch(/doorstep_personal_data_limit_refusals_total\{limit="unmask_per_day",role="worker"\} 2\b/);
    expect(scrape).not.toContain(w.id);
    const rules = (parse(readFileSync(resolve(import.meta.dirname, '../../deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> })
      .groups.flatMap((g) => g.rules);
    expect(rules.find((r) => r.alert === 'DoorstepUnmaskQuotaExceeded')?.expr).toContain('doorstep_personal_data_limit_refusals_total{limit="unmask_per_day"}');
  });
});

describe('disabling a user', () => {
  it('revokes its tokens, so enabling it again revives none', async () => {
    const u = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    const second = await issueToken(stack.db, u.id);
    const patch = (disabled: boolean) => stack.app.inject({ method: 'PATCH', url: `/v1/users/${u.id}`, headers: admin.auth, payload: { disabled } });
    expect((await patch(true)).statusCode).toBe(200);
    expect((await patch(false)).statusCode).toBe(200);
    expect((await get(u, '/v1/me')).statusCode).toBe(401);
    expect((await stack.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${second.token}` } })).statusCode).toBe(401);
    const tokens = await stack.db.select().from(apiTokens).where(eq(apiTokens.userId, u.id));
    expect(tokens.every((t) => t.revokedAt !== null)).toBe(true);
  });
});

describe('names and addresses', () => {
  it('refuse invisible, blank-looking and reordering characters', async () => {
    const create = (fields: object) => post(coordinator, '/v1/subjects', { idNumber: uniqueIdNumber(), name: '张三', county: '640104', ...fields });
    for (const name of ['\u3164', '张\u3164三', `张${'\u0301'.repeat(5)}`, '张\u200b三', '\u115f\u1160']) {
      const res = await create({ name });
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.json().errors[0].path).toBe('body.name');
    }
    for (const address of ['兴庆区\u202e路1号', '兴庆区\u200b解放街', '\u2800']) {
      const res = await create({ address });
      expect(res.statusCode, JSON.stringify(address)).toBe(400);
      expect(res.json().errors[0].path).toBe('body.address');
    }
    expect((await create({ name: '买买提·艾力', address: '兴庆区解放西街1号' })).statusCode).toBe(201);
  });
});

describe('CSV export', () => {
  it('neutralises cells that a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(['+1', '-2+3', '@SUM(A1)', '\tx'].map(csvField)).toEqual(["'+1", "'-2+3", "'@SUM(A1)", "'\tx"]);
    expect(csvField(-5)).toBe('-5');
    expect(csvField('0951-1234567')).toBe('0951-1234567');
  });
});
