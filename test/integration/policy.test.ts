/**
 * Rules the plan does not set must not produce official failures (issue 15 point 2). Every rule is
 * policy data tagged 'plan' (with its clause) or 'local' (who set it and when); admins edit local
 * rules through the API with history; a local rule is advisory until enforced; item 7's "原则上每周
 * 不少于1次" does not count school winter and summer holiday weeks as shortfalls.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { caseEvents, cases, ledgerEntries, planPeriods, plans } from '../../db/schema';
import { findItem } from '../../domain/catalog';
import { shanghaiDate } from '../../domain/calendar';
import { planPeriod } from '../../domain/planPeriods';
import type { LedgerRow } from '../../domain/ledger';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let admin: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
});
afterAll(async () => { await stack?.close(); });

const put = (user: TestUser, key: string, payload: object) => stack.app.inject({ method: 'PUT', url: `/v1/policy/${key}`, headers: user.auth, payload });

/** A plan of `itemCode` as the read model holds it (the workflow is not needed to check a period's ledger row). */
async function planRow(itemCode: string, startDate: string) {
  const subject = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', 2012) });
  const item = findItem(itemCode)!;
  const id = randomUUID();
  await stack.db.insert(plans).values({
    id, subjectId: subject.id, itemCode, actionCode: 'ENROL', county: '640104', department: item.actions[0].implementing, catalogVersion: 'test',
    status: 'active', provider: { type: 'school', name: '测试学校' }, assessment: {}, startDate, createdBy: coordinator.id,
    state: { input: { cadence: item.cadence } },
  });
  return id;
}

describe('policy as data (plan vs local)', () => {
  it('GET /v1/catalog and GET /v1/policy tell the plan\'s rules (with the clause) from local ones (advisory, who and when)', async () => {
    const catalog = (await stack.app.inject({ url: '/v1/catalog', headers: coordinator.auth })).json();
    const tag = (key: string) => catalog.rules.find((r: { key: string }) => r.key === key);
    expect(tag('cadence.CHILD_REHAB')).toMatchObject({ tag: { code: 'plan' }, enforcedByDefault: true });
    expect(tag('cadence.CHILD_REHAB').clause).toContain('每月开展康复训练不少于4次');
    expect(tag('cadence.HOME_SCHOOLING').clause).toContain('原则上每周提供不少于1次');
    for (const key of ['cadence.ADULT_REHAB', 'cadence.HOUSEKEEPING', 'cadence.HOME_EMPLOYMENT', 'ageBand.HOME_SCHOOLING', 'ageBand.HOME_EMPLOYMENT', 'eligibility.elderlyCarerAge', 'deadlines.steps']) {
      expect(tag(key), key).toMatchObject({ tag: { code: 'local' }, enforcedByDefault: false });
    }
    const housekeeping = catalog.items.find((i: { code: string }) => i.code === 'HOUSEKEEPING');
    expect(housekeeping.cadence.rule).toMatchObject({ key: 'cadence.HOUSEKEEPING', tag: { code: 'local' } });
    expect(housekeeping.actions[0].steps[0].rule.tag.code).toBe('local');

    const policy = (await stack.app.inject({ url: '/v1/policy', headers: coordinator.auth })).json();
    const elderly = policy.rules.find((r: { key: string }) => r.key === 'eligibility.elderlyCarerAge');
    expect(elderly).toMatchObject({ value: 60, version: 0, setBy: 'system', enforced: false, effect: { code: 'advisory' } });
  });

  it('admins edit local rules with a note, each change a version with history; plan rules are not editable', async () => {
    expect((await put(coordinator, 'eligibility.elderlyCarerAge', { value: 65, note: '按本地政策调整' })).statusCode).toBe(403);
    const plan = await put(admin, 'cadence.CHILD_REHAB', { value: { period: 'month', minSessions: 2 }, note: '试图修改' });
    expect(plan.statusCode).toBe(409);
    expect(plan.json().detail).toContain('由实施方案规定');
    const bad = await put(admin, 'ageBand.HOME_SCHOOLING', { value: { min: 18, max: 6 }, note: '错误的范围' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toMatch(/^body\.value/);
    expect((await put(admin, 'eligibility.elderlyCarerAge', { value: 65 })).statusCode).toBe(400); // a note is required

    const changed = await put(admin, 'eligibility.elderlyCarerAge', { value: 65, note: '市残联2026年会议决定' });
    expect(changed.statusCode).toBe(201);
    expect(changed.json()).toMatchObject({ value: 65, version: 1, setBy: admin.id, enforced: false, note: '市残联2026年会议决定' });
    const history = (await stack.app.inject({ url: '/v1/policy/eligibility.elderlyCarerAge/history', headers: admin.auth })).json();
    expect(history.versions.map((v: { version: number; value: unknown }) => [v.version, v.value])).toEqual([[1, 65]]);
    expect(history.initial).toEqual({ value: 60, setBy: 'system' });
  });

  it('a local age band (居家就业 16+) only warns until an admin enforces it', async () => {
    const today = shanghaiDate(new Date());
    const young = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', Number(today.slice(0, 4)) - 15) });
    const body = (subjectId: string) => ({
      subjectId, itemCode: 'HOME_EMPLOYMENT', startDate: today, provider: { type: 'service_company', name: '电商平台' },
      assessment: { labourCapacity: { assessedBy: '残联', assessedOn: today, capacity: 'partial' } },
    });
    const advisory = await stack.app.inject({ method: 'POST', url: '/v1/plans', headers: coordinator.auth, payload: body(young.id) });
    expect(advisory.statusCode, advisory.body).toBe(201);
    expect(advisory.json().warnings[0]).toContain('本地设定，仅作提示');

    expect((await put(admin, 'ageBand.HOME_EMPLOYMENT', { enforced: true, note: '本市要求年满16周岁' })).statusCode).toBe(201);
    try {
      const other = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', Number(today.slice(0, 4)) - 15) });
      const refused = await stack.app.inject({ method: 'POST', url: '/v1/plans', headers: coordinator.auth, payload: body(other.id) });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toContain('居家就业年龄为16周岁以上');
    } finally {
      await put(admin, 'ageBand.HOME_EMPLOYMENT', { enforced: false, note: '恢复为建议' });
    }
  });

  it('a period short of a local cadence is no official 未达标 in the ledger, and not recorded as escalated; the plan\'s cadence still is', async () => {
    const acts = createActivities({ db: stack.db });
    const local = await planRow('HOUSEKEEPING', '2025-03-01');
    const id = await acts.writePlanPeriodLedgerEntry({ planId: local, period: '2025-03', at: '2025-04-01T02:00:00Z', sessions: 2, compliant: false, shortfall: '2025-03 第2周无服务记录' });
    const row = (await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, id)))[0].row as LedgerRow;
    expect(row.result).toBe('2025-03 已服务 2 次（未达到本地建议频次；方案未规定频次，仅作提示）');
    expect(row.result).not.toContain('未达标');
    expect(row.remarks).toBe('本地建议：2025-03 第2周无服务记录');

    const byPlan = await planRow('CHILD_REHAB', '2025-03-01');
    const id2 = await acts.writePlanPeriodLedgerEntry({ planId: byPlan, period: '2025-03', at: '2025-04-01T02:00:00Z', sessions: 2, compliant: false, shortfall: '差2次' });
    expect(((await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, id2)))[0].row as LedgerRow).result).toBe('2025-03 未达标（2 次）');

    const cadence = findItem('HOUSEKEEPING')!.cadence!;
    const period = planPeriod(cadence, '2025-03', { startDate: '2025-03-01' })!;
    await acts.recordPlanPeriod({
      planId: local, period, escalatedTo: 'DPF', checkedAt: '2025-04-01T02:00:00Z', lastSessionOn: null, providerName: 'x', ledgerEntryId: id,
      verdict: { compliant: false, sessions: 2, qualifying: 2, units: 120, required: 4, shortfall: '差', summary: '2/4' },
    });
    const [p] = await stack.db.select().from(planPeriods).where(eq(planPeriods.planId, local));
    expect(p).toMatchObject({ compliant: false, escalatedTo: null, shortfall: { advisory: true } });
  });

  it('a case escalated for a passed step deadline (a local rule) is shown as a reminder, not an official escalation', async () => {
    const subject = await makeSubject(stack.db, { county: '640105' });
    const caseId = randomUUID();
    await stack.db.insert(cases).values({
      id: caseId, subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', county: '640105', department: 'JUSTICE', catalogVersion: 'test',
      status: 'open', step: 'visit', openedAt: new Date('2026-11-02T02:00:00Z'), lastEventAt: new Date('2026-11-10T02:00:00Z'), state: {},
    });
    await stack.db.insert(caseEvents).values({ caseId, seq: 1, type: 'escalated', at: new Date('2026-11-10T02:00:00Z'), data: { level: 1, reason: 'step_overdue', target: 'JUSTICE' } });
    const supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    const res = await stack.app.inject({ url: '/v1/supervision/escalations?county=640105&department=JUSTICE', headers: supervisor.auth });
    const mine = res.json().items.find((e: { caseId: string }) => e.caseId === caseId);
    expect(mine).toMatchObject({ kind: 'case', advisory: true, rule: { key: 'deadlines.steps', tag: 'local', enforced: false } });
  });

  it('an escalation raised under the enforced rule stays official; failed visits are not step deadlines', async () => {
    const subject = await makeSubject(stack.db, { county: '640105' });
    const caseId = randomUUID();
    await stack.db.insert(cases).values({
      id: caseId, subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', county: '640105', department: 'JUSTICE', catalogVersion: 'test',
      status: 'open', step: 'visit', openedAt: new Date('2026-11-02T02:00:00Z'), lastEventAt: new Date('2026-11-12T02:00:00Z'), state: {},
    });
    await stack.db.insert(caseEvents).values([
      { caseId, seq: 1, type: 'escalated', at: new Date('2026-11-10T02:00:00Z'), data: { level: 1, reason: 'step_overdue', target: 'JUSTICE', rule: { key: 'deadlines.steps', version: 1, enforced: true } } },
      { caseId, seq: 2, type: 'escalated', at: new Date('2026-11-12T02:00:00Z'), data: { level: 1, reason: 'failed_visits', target: 'JUSTICE' } },
    ]);
    const supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    const res = await stack.app.inject({ url: '/v1/supervision/escalations?county=640105&department=JUSTICE', headers: supervisor.auth });
    const mine = res.json().items.filter((e: { caseId: string }) => e.caseId === caseId);
    expect(mine.map((e: { reason: string; advisory: boolean; rule: unknown }) => [e.reason, e.advisory, e.rule])).toEqual([
      ['failed_visits', false, null],
      ['step_overdue', false, { key: 'deadlines.steps', tag: 'local', enforced: true }],
    ]);
  });

  it('item 7 "原则上每周不少于1次": configured school-holiday weeks are not shortfalls', async () => {
    const set = await put(admin, 'schoolHolidays.HOME_SCHOOLING', { value: { 2025: [{ name: '暑假', from: '2025-07-05', to: '2025-08-31' }] }, note: '2025年校历' });
    expect(set.statusCode, set.body).toBe(201);
    const acts = createActivities({ db: stack.db });
    const planId = await planRow('HOME_SCHOOLING', '2025-06-02');
    // August 2025: no session at all, every week in the summer holiday.
    const aug = await acts.writePlanPeriodLedgerEntry({ planId, period: '2025-08', at: '2025-09-01T02:00:00Z', sessions: 0, compliant: false, shortfall: '2025-08 各周无服务记录' });
    const row = (await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, aug)))[0].row as LedgerRow;
    expect(row.result).toBe('2025-08 达标（0 次）');
    expect(row.remarks).toMatch(/寒暑假 \d 周不计/);
    // June 2025 has no holiday week: its shortfall stands (the plan's own rule).
    const june = await acts.writePlanPeriodLedgerEntry({ planId, period: '2025-06', at: '2025-07-01T02:00:00Z', sessions: 0, compliant: false, shortfall: '2025-06 各周无服务记录' });
    expect(((await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, june)))[0].row as LedgerRow).result).toBe('2025-06 未达标（0 次）');
  });
});
