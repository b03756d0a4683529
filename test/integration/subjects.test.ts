/** Subjects (服务对象): registration, validation of every field, duplicates, masking and scope. */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, subjects } from '../../db/schema';
import { makeCertificateNumber } from '../../domain/certificateNumber';
import { idCheckCharacter, makeIdNumber } from '../../domain/idNumber';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let coordinator: TestUser;
const NOW = new Date('2025-06-10T02:00:00Z');

beforeAll(async () => {
  stack = await startStack();
  // A fixed clock: ages and "future birth date" do not depend on today's date.
  const { buildApp } = await import('../../api/app');
  await stack.app.close();
  stack.app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104', '640105'] });
});
afterAll(async () => { await stack?.close(); });

const post = (user: TestUser, payload: unknown, query = '') =>
  stack.app.inject({ method: 'POST', url: `/v1/subjects${query}`, headers: user.auth, payload: payload as Record<string, unknown> });

function valid(overrides: Record<string, unknown> = {}) {
  return { idNumber: uniqueIdNumber('640104'), name: '张三', county: '640104', township: '富宁街', community: '丽景社区', phone: '13912345678', ...overrides };
}

/** The field errors of a 400, as "path: message". */
function fieldErrors(res: { statusCode: number; json: () => { errors?: Array<{ path: string; message: string }> } }) {
  expect(res.statusCode).toBe(400);
  return (res.json().errors ?? []).map((e) => `${e.path}: ${e.message}`);
}

describe('POST /v1/subjects', () => {
  it('registers a subject: sex and birth date from the ID number, numbers masked, consent time from the server', async () => {
    const idNumber = makeIdNumber({ regionCode: '640104', birthDate: '1958-03-07', sequence: 131 });
    const cert = makeCertificateNumber(idNumber, 4, 1);
    const res = await post(coordinator, {
      idNumber, name: '买买提·艾力', certificateNumber: cert, county: '640104', township: '富宁街', community: '丽景社区',
      address: '丽景街 1 号', phone: '13912345678', guardian: { name: '阿依古丽', phone: '0951-6012345', relation: '女儿' },
      consentToShare: true, notes: '第一行\n第二行',
    });
    expect(res.statusCode).toBe(201);
    const s = res.json();
    expect(res.headers.location).toBe(`/v1/subjects/${s.id}`);
    expect(s).toMatchObject({
      idNumber: `640104********${idNumber.slice(-4)}`,
      masked: true,
      name: '买买提·艾力',
      sex: { code: 'male', label: '男' },
      birthDate: null,
      age: 67,
      certificate: { number: `640104**********${cert.slice(-4)}`, category: { code: 4, label: '肢体残疾' }, grade: { code: 1, label: '一级' } },
      county: { code: '640104', label: '兴庆区' },
      phone: '139****5678',
      guardian: { name: '阿依古丽', phone: '095*****2345', relation: '女儿' },
      household: { id: null, size: 1, multiDisabled: false },
      consentToShare: true,
      consentAt: NOW.toISOString(),
      notes: '第一行\n第二行',
    });
    expect(JSON.stringify(s)).not.toContain(idNumber);
    // The masked ID hides exactly the birth-date digits: no other field may give them back.
    expect(JSON.stringify(s)).not.toMatch(/1958-?03-?07/);
    expect(JSON.stringify(s)).not.toContain('13912345678');
    const [row] = await stack.db.select().from(subjects).where(eq(subjects.id, s.id));
    expect(row).toMatchObject({ idNumber, sex: 'male', birthDate: '1958-03-07', disabilityCategory: 4, disabilityGrade: 1, createdBy: coordinator.id });
  });

  it('normalises a lower-case x check character and derives female from an even sequence', async () => {
    let idNumber = '';
    for (let seq = 2; seq < 999; seq += 2) {
      idNumber = makeIdNumber({ regionCode: '640105', birthDate: '1990-01-31', sequence: seq });
      if (idNumber.endsWith('X')) break;
    }
    const res = await post(coordinator, valid({ idNumber: ` ${idNumber.toLowerCase()} `, county: '640105' }));
    expect(res.statusCode).toBe(201);
    expect(res.json().sex).toEqual({ code: 'female', label: '女' });
    expect(res.json().consentToShare).toBe(false);
    expect(res.json().consentAt).toBeNull();
    const [row] = await stack.db.select().from(subjects).where(eq(subjects.id, res.json().id));
    expect(row.idNumber).toBe(idNumber);
  });

  it('explains what is wrong with an ID number', async () => {
    const good = makeIdNumber({ regionCode: '640104', birthDate: '1970-05-05', sequence: 11 });
    const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const future17 = `640104${'20260101'}123`;
    const cases: Array<[string, string]> = [
      [good.slice(0, 17), '身份证号码应为 18 位，实际为 17 位'],
      [`${good}1`, '身份证号码应为 18 位，实际为 19 位'],
      ['', '身份证号码应为 18 位，实际为 0 位'],
      [`${good.slice(0, 10)}A${good.slice(11)}`, '身份证号码前 17 位应为数字，最后一位应为数字或 X'],
      [`${good.slice(0, 17)}Y`, '身份证号码前 17 位应为数字，最后一位应为数字或 X'],
      [(() => { const f = `990104${good.slice(6, 17)}`; return f + idCheckCharacter(f); })(), '地区码错误：99 不是有效的省级行政区划代码'],
      [(() => { const f = `64010419700230${good.slice(14, 17)}`; return f + idCheckCharacter(f); })(), '出生日期错误：19700230 不是有效日期'],
      [future17 + idCheckCharacter(future17), '出生日期错误：2026-01-01 晚于当前日期'],
      [wrongCheck, `校验码错误，应为 ${good[17]}`],
    ];
    for (const [idNumber, message] of cases) {
      const res = await post(coordinator, valid({ idNumber }));
      expect(fieldErrors(res), idNumber).toEqual([`body.idNumber: ${message}`]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('checks the certificate number against the ID number, category and grade', async () => {
    const idNumber = uniqueIdNumber('640104');
    const other = uniqueIdNumber('640104');
    const cases: Array<[string, string]> = [
      [`${other}41`, '残疾人证号前 18 位应与身份证号码一致'],
      [`${idNumber}81`, '残疾类别代码错误：第 19 位应为 1–7，实际为 8'],
      [`${idNumber}01`, '残疾类别代码错误：第 19 位应为 1–7，实际为 0'],
      [`${idNumber}45`, '残疾等级代码错误：第 20 位应为 1–4，实际为 5'],
      [`${idNumber}4`, '残疾人证号应为 20 位，实际为 19 位'],
      [`${idNumber}4X`, '残疾等级代码错误：第 20 位应为 1–4，实际为 X'],
    ];
    for (const [certificateNumber, message] of cases) {
      expect(fieldErrors(await post(coordinator, valid({ idNumber, certificateNumber }))), certificateNumber).toEqual([`body.certificateNumber: ${message}`]);
    }
    const bad = await post(coordinator, valid({ idNumber, certificateNumber: `${idNumber.slice(0, 17)}Z41` }));
    expect(fieldErrors(bad)[0]).toMatch(/^body\.certificateNumber: 残疾人证号前 18 位身份证号码无效/);
  });

  it('rejects an unknown county and a county outside the caller\'s scope', async () => {
    expect(fieldErrors(await post(coordinator, valid({ county: '640199' })))[0]).toMatch(/^body\.county: 未知的区县代码/);
    expect(fieldErrors(await post(coordinator, valid({ county: 640104 })))[0]).toMatch(/^body\.county/);
    expect(fieldErrors(await post(coordinator, valid({ county: '640181' })))).toEqual(['body.county: 该县(市)区不在您的权限范围内']);
  });

  it('accepts mobile and landline phones and rejects anything else', async () => {
    for (const phone of ['13012345678', '19987654321', '0951-6012345', '09516012345', '010-12345678', '0951-6012345-801']) {
      expect((await post(coordinator, valid({ phone }))).statusCode, phone).toBe(201);
    }
    for (const phone of ['12345678901', '1391234567', '139123456789', '+8613912345678', 'abc', '139 1234 5678', '6012345', '']) {
      expect(fieldErrors(await post(coordinator, valid({ phone })))[0], phone).toMatch(/^body\.phone/);
    }
    expect(fieldErrors(await post(coordinator, valid({ guardian: { name: '李四', phone: '123' } })))[0]).toMatch(/^body\.guardian\.phone/);
  });

  it('accepts names in any script with separators and rejects digits, quotes and SQL', async () => {
    for (const name of ['买买提·艾力', '阿依古丽•吐尔逊', '欧阳 娜娜', 'Zhang San', '李']) {
      expect((await post(coordinator, valid({ name }))).statusCode, name).toBe(201);
    }
    for (const name of ["Robert'); DROP TABLE subjects;--", '张三1', '', '   ', '·张三', '张'.repeat(51), '张\u0000三', '<script>', '张\n三']) {
      expect(fieldErrors(await post(coordinator, valid({ name })))[0], JSON.stringify(name)).toMatch(/^body\.name/);
    }
  });

  it('stores SQL-looking and unicode free text verbatim', async () => {
    const township = `x'); DELETE FROM subjects; -- ${randomUUID()}`;
    const res = await post(coordinator, valid({ township, community: '%_\\ 社区 😀', address: "1' OR '1'='1" }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ township, community: '%_\\ 社区 😀', address: "1' OR '1'='1" });
    const found = await stack.app.inject({ url: `/v1/subjects?township=${encodeURIComponent(township)}`, headers: coordinator.auth });
    expect(found.json().items.map((s: { id: string }) => s.id)).toEqual([res.json().id]);
  });

  it('rejects missing and extra fields, wrong types, huge strings, control characters and huge bodies', async () => {
    const noFields = fieldErrors(await post(coordinator, {}));
    expect(noFields.map((e) => e.split(':')[0])).toEqual(expect.arrayContaining(['body.idNumber', 'body.name', 'body.county']));
    expect(fieldErrors(await post(coordinator, valid({ sex: 'female' })))[0]).toMatch(/^body/);
    expect(fieldErrors(await post(coordinator, valid({ birthDate: '2000-01-01' })))[0]).toMatch(/^body/);
    expect(fieldErrors(await post(coordinator, valid({ idNumber: 640104195803071 })))[0]).toMatch(/^body\.idNumber/);
    expect(fieldErrors(await post(coordinator, valid({ consentToShare: 'yes' })))[0]).toMatch(/^body\.consentToShare/);
    expect(fieldErrors(await post(coordinator, valid({ guardian: '李四' })))[0]).toMatch(/^body\.guardian/);
    expect(fieldErrors(await post(coordinator, valid({ guardian: { phone: '13912345678' } })))[0]).toMatch(/^body\.guardian\.name/);
    expect(fieldErrors(await post(coordinator, valid({ guardian: { name: '李四', age: 3 } })))[0]).toMatch(/^body\.guardian/);
    expect(fieldErrors(await post(coordinator, valid({ address: '路'.repeat(201) })))[0]).toMatch(/^body\.address/);
    expect(fieldErrors(await post(coordinator, valid({ idNumber: '6'.repeat(10_000) })))[0]).toMatch(/^body\.idNumber/);
    expect(fieldErrors(await post(coordinator, valid({ notes: 'a\u0000b' })))[0]).toMatch(/^body\.notes/);
    expect(fieldErrors(await post(coordinator, valid({ township: 'a\u0007b' })))[0]).toMatch(/^body\.township/);
    expect(fieldErrors(await post(coordinator, [valid()]))[0]).toMatch(/^body/);
    const huge = await post(coordinator, valid({ notes: 'x'.repeat(2_000_000) }));
    expect(huge.statusCode).toBe(413);
    const notJson = await stack.app.inject({ method: 'POST', url: '/v1/subjects', headers: { ...coordinator.auth, 'content-type': 'application/json' }, payload: '{"idNumber":' });
    expect(notJson.statusCode).toBe(400);
    expect(await stack.db.select().from(subjects).where(eq(subjects.name, '路'))).toEqual([]);
  });

  it('answers 409 with the existing id for the same ID number, without it when the existing subject is out of scope', async () => {
    const first = await post(coordinator, valid());
    const idNumber = (await stack.db.select().from(subjects).where(eq(subjects.id, first.json().id)))[0].idNumber;
    const again = await post(coordinator, valid({ idNumber, name: '张三丰' }));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ status: 409, existingId: first.json().id });

    const elsewhere = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    const hidden = await post(elsewhere, valid({ idNumber, county: '640181' }));
    expect(hidden.statusCode).toBe(409);
    expect(hidden.json().existingId).toBeUndefined();
    expect(JSON.stringify(hidden.json())).not.toContain(first.json().id);

    const concurrent = uniqueIdNumber('640104');
    const results = await Promise.all([1, 2, 3].map(() => post(coordinator, valid({ idNumber: concurrent }))));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
  });

  it('lets only coordinators and admins register; no token is 401', async () => {
    for (const role of ['worker', 'reviewer', 'supervisor']) {
      const u = await makeUser(stack.db, role, { counties: ['640104'] });
      expect((await post(u, valid())).statusCode, role).toBe(403);
    }
    const admin = await makeUser(stack.db, 'admin', { cityLevel: true });
    expect((await post(admin, valid())).statusCode).toBe(201);
    expect((await stack.app.inject({ method: 'POST', url: '/v1/subjects', payload: valid() })).statusCode).toBe(401);
  });
});

describe('GET /v1/subjects/:id and masking', () => {
  it('is 404 for unknown ids and subjects outside the scope', async () => {
    const s = await makeSubject(stack.db, { county: '640104' });
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: coordinator.auth })).statusCode).toBe(200);
    const other = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    const hidden = await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: other.auth });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).not.toContain(s.id.slice(0, 8) + 'x');
    expect((await stack.app.inject({ url: `/v1/subjects/${randomUUID()}`, headers: coordinator.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/subjects/${encodeURIComponent("1' or '1'='1")}`, headers: coordinator.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/subjects/${'a'.repeat(65)}`, headers: coordinator.auth })).statusCode).toBe(400);
  });

  it('unmasks for a role that may, audits each unmasked read, and refuses the others', async () => {
    const s = await makeSubject(stack.db, { county: '640104', phone: '13887654321', guardianName: '王五', guardianPhone: '13600001111' });
    const masked = (await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: coordinator.auth })).json();
    expect(masked).toMatchObject({ masked: true, phone: '138****4321', guardian: { phone: '136****1111' } });
    expect(masked.idNumber).not.toBe(s.idNumber);
    expect(await stack.db.select().from(auditLog).where(and(eq(auditLog.resourceId, s.id), eq(auditLog.action, 'personal_data.read')))).toEqual([]);

    const full = await stack.app.inject({ url: `/v1/subjects/${s.id}?unmask=true`, headers: coordinator.auth });
    expect(full.json()).toMatchObject({ masked: false, idNumber: s.idNumber, phone: '13887654321', guardian: { phone: '13600001111' } });
    const audits = await stack.db.select().from(auditLog).where(and(eq(auditLog.resourceId, s.id), eq(auditLog.action, 'personal_data.read')));
    expect(audits).toHaveLength(1);
    expect(audits[0].userId).toBe(coordinator.id);

    const supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640104'] });
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: supervisor.auth })).json().masked).toBe(true);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}?unmask=true`, headers: supervisor.auth })).statusCode).toBe(403);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}?unmask=yes`, headers: coordinator.auth })).statusCode).toBe(400);
    expect((await stack.app.inject({ url: `/v1/subjects/${s.id}?other=1`, headers: coordinator.auth })).statusCode).toBe(400);
  });
});
