import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_VERSION } from '../../domain/catalog';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let supervisor: TestUser;
beforeAll(async () => {
  stack = await startStack();
  supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640105'] });
});
afterAll(async () => { await stack?.close(); });

interface Labelled { code: string | number; label: string }

describe('GET /v1/catalog', () => {
  it('needs a token', async () => {
    expect((await stack.app.inject('/v1/catalog')).statusCode).toBe(401);
  });

  it('serves the versioned catalog with Chinese labels to any role', async () => {
    for (const role of ['coordinator', 'worker', 'reviewer', 'supervisor', 'admin']) {
      const u = await makeUser(stack.db, role, { counties: ['640181'] });
      expect((await stack.app.inject({ url: '/v1/catalog', headers: u.auth })).statusCode).toBe(200);
    }
    const res = await stack.app.inject({ url: '/v1/catalog', headers: supervisor.auth });
    const c = res.json();
    expect(c.version).toBe(CATALOG_VERSION);
    expect(c.categories).toEqual([
      { code: 'A', label: '政务服务流程' }, { code: 'B', label: '公共服务' }, { code: 'C', label: '社会保障' }, { code: 'D', label: '居家服务' },
    ]);
    expect(c.items).toHaveLength(12);
    expect(c.items.map((i: { number: number }) => i.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(c.departments).toHaveLength(10);
    expect(c.departments).toContainEqual({ code: 'HRSS', label: '人社局', name: '人力资源和社会保障局' });
    expect(c.counties.map((x: Labelled) => `${x.code} ${x.label}`)).toEqual([
      '640104 兴庆区', '640105 西夏区', '640106 金凤区', '640121 永宁县', '640122 贺兰县', '640181 灵武市',
    ]);
    expect(c.disabilityCategories.map((x: Labelled) => x.code)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.disabilityCategories[3]).toMatchObject({ code: 4, label: '肢体残疾' });
    expect(c.disabilityGrades.map((x: Labelled) => x.label)).toEqual(['一级', '二级', '三级', '四级']);
    // 二 ends its list with 等: the open ground sits beside the four named groups.
    expect(c.eligibilityGroups.map((x: Labelled) => x.label)).toEqual(['重度肢体残疾人(盲人)', '一户多残', '以老养残', '精神分裂症', '其他特殊困难（须写明原因）']);
    expect(c.eligibilityQuestions.map((x: Labelled) => x.code)).toContain('noCapableCarer');
    expect(c.leadershipOffice).toEqual({ code: 'LEADERSHIP_OFFICE', label: '领导小组办公室' });
  });

  it('shows the disability certificate actions with departments, steps, deadlines and delivery methods', async () => {
    const c = (await stack.app.inject({ url: '/v1/catalog', headers: supervisor.auth })).json();
    const cert = c.items.find((i: { code: string }) => i.code === 'DISABILITY_CERT');
    expect(cert).toMatchObject({ number: 2, category: { code: 'A', label: '政务服务流程' }, label: '残疾人证办理', ongoing: false, cadence: null });
    expect(cert.actions.map((a: { code: string }) => a.code)).toEqual(['NEW', 'TRANSFER', 'CHANGE', 'REISSUE', 'CANCEL', 'RENEW']);
    const renew = cert.actions.find((a: { code: string }) => a.code === 'RENEW');
    expect(renew.responsible).toEqual([{ code: 'DPF', label: '残联' }]);
    expect(renew.cooperating).toEqual([{ code: 'HEALTH', label: '卫健委' }]);
    expect(renew.implementing).toEqual({ code: 'DPF', label: '残联' });
    expect(renew.steps.map((s: { kind: Labelled }) => s.kind.label)).toEqual(['分派', '上门办理', '审核', '证照送达', '台账共享']);
    expect(renew.deliveryMethods).toEqual([{ code: 'post', label: '邮寄' }, { code: 'in_person', label: '当面送达' }]);
    const total = renew.steps.reduce((n: number, s: { deadlineWorkingDays: number }) => n + s.deadlineWorkingDays, 0);
    expect(renew.totalWorkingDays).toBe(total);
    for (const item of c.items) {
      for (const a of item.actions) {
        expect(a.responsible.length).toBeGreaterThan(0);
        for (const s of a.steps) {
          expect(s.deadlineWorkingDays).toBeGreaterThan(0);
          expect(s.greenChannelWorkingDays).toBeGreaterThan(0);
          expect(s.greenChannelWorkingDays).toBeLessThanOrEqual(s.deadlineWorkingDays);
        }
      }
    }
    const cancel = cert.actions.find((a: { code: string }) => a.code === 'CANCEL');
    expect(cancel.deliveryMethods).toEqual([]);
    expect(cancel.steps.map((s: { kind: Labelled }) => s.kind.code)).not.toContain('delivery');
  });

  it('shows evidence (photo or video for the pension check) and the cadences of ongoing items', async () => {
    const c = (await stack.app.inject({ url: '/v1/catalog', headers: supervisor.auth })).json();
    const byCode = (code: string) => c.items.find((i: { code: string }) => i.code === code);
    const certify = byCode('PENSION_QUALIFICATION').actions[0];
    expect(certify.evidence[0]).toEqual({
      kinds: [{ code: 'photo', label: '照片' }, { code: 'video', label: '录像' }], minCount: 1, label: '认证过程照片或录像',
    });
    expect(byCode('REAL_ESTATE').actions[0].deliveryMethods.map((m: Labelled) => m.label)).toEqual(['电子证照', '快递']);
    expect(byCode('CHILD_REHAB').cadence).toEqual({
      period: { code: 'month', label: '每月' }, minSessions: 4, minUnitsPerSession: null, unit: null, label: '每月不少于4次',
      // The plan sets this cadence (三（二）6); GET /v1/policy holds the rules in force.
      rule: { key: 'cadence.CHILD_REHAB', tag: { code: 'plan', label: '方案规定' }, clause: '三（二）6 “每月开展康复训练不少于4次”' },
    });
    expect(byCode('HOME_SCHOOLING').cadence).toMatchObject({
      period: { code: 'week', label: '每周' }, minSessions: 1, minUnitsPerSession: 2, unit: { code: 'class_hours', label: '课时' },
    });
    const ongoing = c.items.filter((i: { ongoing: boolean }) => i.ongoing).map((i: { number: number }) => i.number);
    expect(ongoing).toEqual([5, 6, 7, 11, 12]);
    for (const i of c.items) expect(i.cadence === null).toBe(!i.ongoing);
    const assistance = byCode('SOCIAL_ASSISTANCE');
    expect(assistance.actions.map((a: Labelled) => a.label)).toEqual(['残疾人两项补贴', '最低生活保障（低保）', '临时救助', '特困人员供养']);
    expect(byCode('SOCIAL_INSURANCE').actions.map((a: { implementing: Labelled }) => a.implementing.label)).toEqual(['人社局', '医保局', '残联']);
    expect(byCode('BLIND_MASSAGE').actions).toHaveLength(4);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await stack.app.inject({ url: '/v1/catalog', headers: supervisor.auth });
    const etag = first.headers.etag as string;
    expect(etag).toContain(CATALOG_VERSION);
    const again = await stack.app.inject({ url: '/v1/catalog', headers: { ...supervisor.auth, 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const stale = await stack.app.inject({ url: '/v1/catalog', headers: { ...supervisor.auth, 'if-none-match': '"catalog-0"' } });
    expect(stale.statusCode).toBe(200);
  });
});
