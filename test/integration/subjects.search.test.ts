/** Subjects: search with cursor pagination and scope, household links (一户多残), partial updates. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjects } from '../../db/schema';
import { makeCertificateNumber } from '../../domain/certificateNumber';
import { makeIdNumber } from '../../domain/idNumber';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let coordinator: TestUser;
beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104', '640106'] });
});
afterAll(async () => { await stack?.close(); });

const get = (user: TestUser, url: string) => stack.app.inject({ url, headers: user.auth });
const ids = (res: { json: () => { items: Array<{ id: string }> } }) => res.json().items.map((s) => s.id);

describe('GET /v1/subjects', () => {
  it('finds by name (contains), exact ID number, county, township and community, within the scope', async () => {
    const community = `社区-${randomUUID()}`;
    const a = await makeSubject(stack.db, { county: '640104', name: '马建国', township: '富宁街', community });
    const b = await makeSubject(stack.db, { county: '640104', name: '马建华', township: '前进街', community });
    const c = await makeSubject(stack.db, { county: '640106', name: '马建国', township: '富宁街', community });
    const hidden = await makeSubject(stack.db, { county: '640181', name: '马建国', township: '富宁街', community });
    const q = `community=${encodeURIComponent(community)}`;

    expect(new Set(ids(await get(coordinator, `/v1/subjects?${q}`)))).toEqual(new Set([a.id, b.id, c.id]));
    expect(new Set(ids(await get(coordinator, `/v1/subjects?${q}&name=${encodeURIComponent('建国')}`)))).toEqual(new Set([a.id, c.id]));
    expect(ids(await get(coordinator, `/v1/subjects?${q}&county=640106`))).toEqual([c.id]);
    expect(ids(await get(coordinator, `/v1/subjects?${q}&county=640104&township=${encodeURIComponent('前进街')}`))).toEqual([b.id]);
    expect(ids(await get(coordinator, `/v1/subjects?${q}&county=640181`))).toEqual([]);
    expect(ids(await get(coordinator, `/v1/subjects?idNumber=${hidden.idNumber}`))).toEqual([]);
    expect(ids(await get(coordinator, `/v1/subjects?idNumber=${a.idNumber.toLowerCase()}`))).toEqual([a.id]);

    const city = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    expect(new Set(ids(await get(city, `/v1/subjects?${q}`)))).toEqual(new Set([a.id, b.id, c.id, hidden.id]));
    const none = await makeUser(stack.db, 'coordinator', { counties: [] });
    expect(ids(await get(none, `/v1/subjects?${q}`))).toEqual([]);

    const page = (await get(coordinator, `/v1/subjects?${q}&name=${encodeURIComponent('马建华')}`)).json();
    expect(page.items[0]).toMatchObject({ name: '马建华', masked: true, county: { code: '640104', label: '兴庆区' } });
    expect(page.items[0].idNumber).not.toBe(b.idNumber);
    expect(page.nextCursor).toBeNull();
  });

  it('matches only an exact ID number, and explains an invalid one', async () => {
    const s = await makeSubject(stack.db, { county: '640104' });
    expect(ids(await get(coordinator, `/v1/subjects?idNumber=${s.idNumber}`))).toEqual([s.id]);
    const res = await get(coordinator, `/v1/subjects?idNumber=${s.idNumber.slice(0, 17)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'querystring.idNumber', message: '身份证号码应为 18 位，实际为 17 位', code: 'length' }]);
    expect((await get(coordinator, `/v1/subjects?idNumber=${encodeURIComponent("' OR 1=1 --")}`)).statusCode).toBe(400);
  });

  it('treats LIKE wildcards and SQL in the name as plain text', async () => {
    const community = `社区-${randomUUID()}`;
    await makeSubject(stack.db, { county: '640104', name: '王芳', community });
    for (const name of ['%', '_', '%%', "' OR '1'='1", '\\']) {
      const res = await get(coordinator, `/v1/subjects?community=${encodeURIComponent(community)}&name=${encodeURIComponent(name)}`);
      expect(res.statusCode, name).toBe(200);
      expect(ids(res), name).toEqual([]);
    }
    expect(ids(await get(coordinator, `/v1/subjects?community=${encodeURIComponent(community)}&name=${encodeURIComponent('芳')}`))).toHaveLength(1);
  });

  it('pages through results with a cursor, each subject once', async () => {
    const community = `社区-${randomUUID()}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await makeSubject(stack.db, { county: '640104', community })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/subjects?community=${encodeURIComponent(community)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await get(coordinator, url);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((s: { id: string }) => s.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(made));
    // Newest first.
    expect(seen).toEqual([...made].reverse());
  });

  it('rejects malformed cursors, limits and unknown parameters with 400', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const cursors = [
      'garbage', '%%%', b64({}), b64([]), b64('x'), b64(['2025-13-45 00:00:00+00', 'x']), b64(["2025-01-01'; drop table subjects;--", 'x']),
      b64(['2025-02-30 00:00:00+00', 'x']), b64(['2025-01-01 24:00:00+00', 'x']), b64(['2025-01-01 00:00:00+00', '']),
      b64(['2025-01-01 00:00:00+00', 'x', 1]), 'a'.repeat(301),
    ];
    for (const cursor of cursors) {
      const res = await get(coordinator, `/v1/subjects?cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().errors[0].path, cursor).toBe('querystring.cursor');
    }
    const ok = await get(coordinator, `/v1/subjects?cursor=${b64(['2025-01-01 00:00:00.123456+00', 'x'])}`);
    expect(ok.statusCode).toBe(200);
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'county=999999', 'foo=bar', `name=${'名'.repeat(51)}`, 'name=']) {
      expect((await get(coordinator, `/v1/subjects?${q}`)).statusCode, q).toBe(400);
    }
  });

  it('unmasks a list for a role that may, and refuses it for a supervisor', async () => {
    const community = `社区-${randomUUID()}`;
    const s = await makeSubject(stack.db, { county: '640104', community });
    const full = await get(coordinator, `/v1/subjects?community=${encodeURIComponent(community)}&unmask=true`);
    expect(full.json().items[0]).toMatchObject({ idNumber: s.idNumber, masked: false });
    const supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640104'] });
    expect((await get(supervisor, `/v1/subjects?community=${encodeURIComponent(community)}&unmask=true`)).statusCode).toBe(403);
  });
});

describe('household links (一户多残)', () => {
  const link = (user: TestUser, id: string, withSubjectId: unknown) =>
    stack.app.inject({ method: 'POST', url: `/v1/subjects/${id}/household`, headers: user.auth, payload: { withSubjectId } as Record<string, unknown> });

  it('links two subjects, derives the household size, adds a third and merges households', async () => {
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => makeSubject(stack.db, { county: '640104' })));
    const ab = await link(coordinator, a.id, b.id);
    expect(ab.statusCode).toBe(200);
    expect(ab.json().household).toMatchObject({ size: 2, multiDisabled: true });
    const hh = ab.json().household.id as string;
    expect((await get(coordinator, `/v1/subjects/${b.id}`)).json().household).toEqual({ id: hh, size: 2, multiDisabled: true });
    expect((await get(coordinator, `/v1/subjects/${c.id}`)).json().household).toEqual({ id: null, size: 1, multiDisabled: false });

    expect((await link(coordinator, c.id, b.id)).json().household).toEqual({ id: hh, size: 3, multiDisabled: true });
    // d and e form their own household, then merge into a/b/c's.
    const de = (await link(coordinator, d.id, e.id)).json().household.id;
    expect(de).not.toBe(hh);
    const merged = (await link(coordinator, e.id, a.id)).json().household;
    expect(merged.size).toBe(5);
    const rows = await stack.db.select({ h: subjects.householdId }).from(subjects).where(eq(subjects.householdId, merged.id));
    expect(rows).toHaveLength(5);
    expect(new Set(ids(await get(coordinator, `/v1/subjects?householdId=${merged.id}`)))).toEqual(new Set([a.id, b.id, c.id, d.id, e.id]));
    // Linking again changes nothing.
    expect((await link(coordinator, a.id, b.id)).json().household).toEqual(merged);

    const left = await stack.app.inject({ method: 'DELETE', url: `/v1/subjects/${c.id}/household`, headers: coordinator.auth });
    expect(left.json().household).toEqual({ id: null, size: 1, multiDisabled: false });
    expect((await get(coordinator, `/v1/subjects/${a.id}`)).json().household.size).toBe(4);
  });

  it('puts a new subject into an existing subject\'s household on create', async () => {
    const a = await makeSubject(stack.db, { county: '640104' });
    const res = await stack.app.inject({
      method: 'POST', url: '/v1/subjects', headers: coordinator.auth,
      payload: { idNumber: uniqueIdNumber('640104'), name: '赵六', county: '640104', householdWithSubjectId: a.id },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().household).toMatchObject({ size: 2, multiDisabled: true });
    expect((await get(coordinator, `/v1/subjects/${a.id}`)).json().household.id).toBe(res.json().household.id);
    const bad = await stack.app.inject({
      method: 'POST', url: '/v1/subjects', headers: coordinator.auth,
      payload: { idNumber: uniqueIdNumber('640104'), name: '赵七', county: '640104', householdWithSubjectId: randomUUID() },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body.householdWithSubjectId');
  });

  it('rejects self-links, unknown and out-of-scope subjects, wrong types and other roles', async () => {
    const a = await makeSubject(stack.db, { county: '640104' });
    const far = await makeSubject(stack.db, { county: '640181' });
    expect((await link(coordinator, a.id, a.id)).statusCode).toBe(400);
    expect((await link(coordinator, a.id, randomUUID())).json().errors[0].path).toBe('body.withSubjectId');
    expect((await link(coordinator, a.id, far.id)).json().errors[0].path).toBe('body.withSubjectId');
    expect((await link(coordinator, far.id, a.id)).statusCode).toBe(404);
    expect((await link(coordinator, a.id, 42)).statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'POST', url: `/v1/subjects/${a.id}/household`, headers: coordinator.auth, payload: {} })).statusCode).toBe(400);
    const worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    expect((await link(worker, a.id, far.id)).statusCode).toBe(403);
  });
});

describe('PATCH /v1/subjects/:id', () => {
  const patch = (user: TestUser, id: string, payload: unknown) =>
    stack.app.inject({ method: 'PATCH', url: `/v1/subjects/${id}`, headers: user.auth, payload: payload as Record<string, unknown> });

  it('updates contact, guardian and consent; clears fields with null', async () => {
    const s = await makeSubject(stack.db, { county: '640104', consentToShare: false });
    const res = await patch(coordinator, s.id, { phone: '0951-6012345', guardian: { name: '李四', relation: '儿子' }, consentToShare: true, township: '新华街' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ phone: '095*****2345', guardian: { name: '李四', phone: null, relation: '儿子' }, consentToShare: true, township: '新华街' });
    expect(res.json().consentAt).not.toBeNull();
    const cleared = await patch(coordinator, s.id, { guardian: null, phone: null, consentToShare: false });
    expect(cleared.json()).toMatchObject({ guardian: null, phone: null, consentToShare: false, consentAt: null });
    const cert = makeCertificateNumber(s.idNumber, 1, 2);
    expect((await patch(coordinator, s.id, { certificateNumber: cert })).json().certificate).toMatchObject({ category: { code: 1, label: '视力残疾' }, grade: { code: 2, label: '二级' } });
    expect((await patch(coordinator, s.id, { certificateNumber: null })).json().certificate).toBeNull();
  });

  it('lets only an admin correct the ID number; sex and birth date follow; duplicates are 409', async () => {
    const s = await makeSubject(stack.db, { county: '640104' });
    expect((await patch(coordinator, s.id, { idNumber: uniqueIdNumber('640104') })).statusCode).toBe(403);
    const admin = await makeUser(stack.db, 'admin', { cityLevel: true });
    const corrected = makeIdNumber({ regionCode: '640104', birthDate: '1961-12-24', sequence: 242 });
    const res = await patch(admin, s.id, { idNumber: corrected });
    expect(res.statusCode).toBe(200);
    // Sex follows the new number; the birth date is stored but, as an admin may not unmask, not shown:
    // the masked ID hides exactly its eight birth-date digits, so the response must not carry them elsewhere.
    expect(res.json()).toMatchObject({ birthDate: null, masked: true, sex: { code: 'female' } });
    expect(JSON.stringify(res.json())).not.toMatch(/1961-?12-?24/);
    const [row] = await stack.db.select().from(subjects).where(eq(subjects.id, s.id));
    expect(row.birthDate).toBe('1961-12-24');
    const other = await makeSubject(stack.db, { county: '640104' });
    const dup = await patch(admin, s.id, { idNumber: other.idNumber });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().existingId).toBe(other.id);
    expect((await patch(admin, s.id, { idNumber: corrected.slice(0, 17) + 'Z' })).json().errors[0].path).toBe('body.idNumber');
    const withCert = await makeSubject(stack.db, { county: '640104' });
    await patch(coordinator, withCert.id, { certificateNumber: makeCertificateNumber(withCert.idNumber, 4, 1) });
    const mismatch = await patch(admin, withCert.id, { idNumber: uniqueIdNumber('640104') });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().errors[0].path).toBe('body.certificateNumber');
  });

  it('rejects empty and unknown fields, bad values, derived fields, other counties and other roles', async () => {
    const s = await makeSubject(stack.db, { county: '640104' });
    expect((await patch(coordinator, s.id, {})).statusCode).toBe(400);
    expect((await patch(coordinator, s.id, { sex: 'female' })).statusCode).toBe(400);
    expect((await patch(coordinator, s.id, { birthDate: '1990-01-01' })).statusCode).toBe(400);
    expect((await patch(coordinator, s.id, { householdId: randomUUID() })).statusCode).toBe(400);
    expect((await patch(coordinator, s.id, { name: null })).statusCode).toBe(400);
    expect((await patch(coordinator, s.id, { phone: '110' })).json().errors[0].path).toBe('body.phone');
    expect((await patch(coordinator, s.id, { certificateNumber: `${uniqueIdNumber()}41` })).json().errors[0].path).toBe('body.certificateNumber');
    expect((await patch(coordinator, s.id, { county: '640181' })).json().errors[0]).toMatchObject({ path: 'body.county', message: '该县(市)区不在您的权限范围内' });
    const moved = await patch(coordinator, s.id, { county: '640106' });
    expect(moved.json().county).toEqual({ code: '640106', label: '金凤区' });
    const far = await makeSubject(stack.db, { county: '640181' });
    expect((await patch(coordinator, far.id, { name: '改名' })).statusCode).toBe(404);
    const reviewer = await makeUser(stack.db, 'reviewer', { counties: ['640104', '640106'] });
    expect((await patch(reviewer, s.id, { name: '改名' })).statusCode).toBe(403);
    const [row] = await stack.db.select().from(subjects).where(eq(subjects.id, s.id));
    expect(row.name).toBe('测试对象');
  });
});
