/**
 * The quarterly 工作情况统计表: the figures equal a recount from the generated case events (plain
 * TypeScript, below), the city table equals the sum of its county tables, the XLSX form reads back
 * with its title, unit, period, headers, rows and 合计, and submission / drafting / reminders / late
 * marking behave. Data: 兴庆区, 西夏区, 金凤区 × DPF, HRSS, HEALTH, EDUCATION, MEDICAL_SECURITY.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { quarterRange, shanghaiDate } from '../../domain/calendar';
import { COUNTY_CODES } from '../../domain/counties';
import { departmentItems, FIGURES, type Figures } from '../../db/queries/statistics';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { seedReadModel, shanghai, type Generated } from '../support/generate';
import { eligibilityDecisions } from '../../db/schema';

// 2024: a year no other test writes cases into, so the recount below sees exactly the rows this file generated.
const NOW = shanghai('2024-09-16', 10); // Q3 2024 still running: county tables are drafted before the quarter ends
const COUNTIES = ['640104', '640105', '640106'];
const DEPARTMENTS = ['DPF', 'HRSS', 'HEALTH', 'EDUCATION', 'MEDICAL_SECURITY'];

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let data: Generated;
let city: TestUser;
let decisions: Array<{ county: string; department: string; itemCode: string; ground: string; decidedAt: Date }> = [];

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  data = await seedReadModel(stack.db, {
    seed: 31, prefix: 'rep', cases: 5000, plans: 400, from: shanghai('2024-01-05'), now: NOW, counties: COUNTIES, departments: DEPARTMENTS, lateRate: 0.2,
  });
  city = await makeUser(stack.db, 'supervisor', { cityLevel: true });
  // Some cases opened on the open ground (其他特殊困难) or by a coordinator's override (issue 15 point 1).
  const decided = data.cases.filter((_, i) => i % 37 === 0).map((c, i) => ({
    id: `case:${c.id}`, kind: 'case' as const, refId: c.id, subjectId: c.subjectId, itemCode: c.itemCode, county: c.county, department: c.department,
    ground: i % 2 === 0 ? 'other_difficulty' : 'override', groups: [], reason: '测试', decidedBy: 'test', decidedAt: c.openedAt,
  }));
  await stack.db.insert(eligibilityDecisions).values(decided).onConflictDoNothing();
  decisions = decided;
}, 180_000);
afterAll(async () => { await app?.close(); await stack?.close(); });

/** The statistics recounted from the generated events alone (the definitions of db/queries/statistics.ts). */
function recount(g: Generated, quarter: string, now: Date): Map<string, Figures & { people: Set<string> }> {
  const { start, end } = quarterRange(quarter);
  const cut = now < end ? now : end;
  const byCase = new Map<string, typeof g.events>();
  for (const e of g.events) (byCase.get(e.caseId) ?? byCase.set(e.caseId, []).get(e.caseId)!).push(e);
  const out = new Map<string, Figures & { people: Set<string> }>();
  const row = (county: string, department: string, item: string) => {
    const key = `${county}|${department}|${item}`;
    if (!out.has(key)) out.set(key, { ...(Object.fromEntries(FIGURES.map((f) => [f, 0])) as Figures), people: new Set() });
    return out.get(key)!;
  };
  for (const c of g.cases) {
    const events = byCase.get(c.id)!;
    const opened = events.find((e) => e.type === 'opened')!.at;
    const ending = events.find((e) => e.type === 'closed' || e.type === 'cancelled');
    const endAt = ending?.at;
    if (opened >= cut || (endAt && endAt < start)) continue;
    const r = row(c.county, c.department, c.itemCode);
    r.people.add(c.subjectId);
    const overdueEvents = events.filter((e) => e.type === 'overdue');
    const completed = ending?.type === 'closed' && endAt! >= start && endAt! < cut;
    const late = overdueEvents.some((e) => e.at < endAt!);
    const pending = !endAt || endAt >= cut;
    if (opened >= start) r.casesOpened++;
    if (completed) r.casesCompleted++;
    if (completed && !late) r.completedOnTime++;
    if ((completed && late) || (pending && overdueEvents.some((e) => e.at < cut))) r.overdue++;
    if (pending) r.pending++;
  }
  const plans = new Map(g.plans.map((p) => [p.id, p]));
  const firstDay = shanghaiDate(start);
  const lastDay = shanghaiDate(new Date(cut.getTime() - 1));
  for (const p of g.periods) {
    if (p.endDate < firstDay || p.endDate > lastDay || p.checkedAt >= cut) continue;
    const plan = plans.get(p.planId)!;
    const r = row(plan.county, plan.department, plan.itemCode);
    r.people.add(plan.subjectId);
    r.planPeriods++;
    if (p.compliant) r.planPeriodsCompliant++;
  }
  for (const d of decisions) {
    if (d.decidedAt < start || d.decidedAt >= cut) continue;
    const r = row(d.county, d.department, d.itemCode);
    if (d.ground === 'other_difficulty') r.otherDifficulty++;
    else r.eligibilityOverrides++;
  }
  return new Map([...out].map(([k, v]) => {
    const { people, ...f } = v;
    return [k, { ...f, peopleServed: people.size, people }];
  }));
}

/** Distinct people of a county department over all its items (附件3: every total counts a person once). */
function distinctPeople(expected: ReturnType<typeof recount>, county: string, department: string): number {
  const all = new Set<string>();
  for (const [k, v] of expected) if (k.startsWith(`${county}|${department}|`)) for (const id of v.people) all.add(id);
  return all.size;
}

const zero = () => Object.fromEntries(FIGURES.map((f) => [f, 0])) as Figures;
const figures = (r: any) => Object.fromEntries(FIGURES.map((f) => [f, r[f]])) as Figures;

async function countyTable(county: string, quarter: string, department?: string, a = app, user = city) {
  const res = await a.inject({ url: `/v1/reports/quarterly?quarter=${quarter}&level=county&county=${county}${department ? `&department=${department}` : ''}`, headers: user.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('the statistics equal a recount from case events', () => {
  for (const quarter of ['2024-Q2', '2024-Q3']) {
    it(`${quarter}: every county × department × item`, async () => {
      const expected = recount(data, quarter, NOW);
      let compared = 0;
      let sawOverlap = false;
      for (const county of COUNTIES) {
        const body = await countyTable(county, quarter);
        for (const t of body.tables.filter((x: any) => DEPARTMENTS.includes(x.department.code))) {
          for (const r of t.rows) {
            const want = expected.get(`${county}|${t.department.code}|${r.item.code}`) ?? zero();
            expect(figures(r), `${county} ${t.department.code} ${r.item.code}`).toEqual(figures(want));
            compared++;
          }
          // 服务对象人数 counts distinct people in every total; the other figures add up.
          const sum = t.rows.reduce((acc: Figures, r: any) => { for (const f of FIGURES) acc[f] += r[f]; return acc; }, zero());
          expect(t.totals).toEqual({ ...sum, peopleServed: distinctPeople(expected, county, t.department.code) });
          if (t.rows.filter((r: any) => r.peopleServed > 0).length > 1) sawOverlap ||= t.totals.peopleServed < sum.peopleServed;
        }
      }
      const nonZero = [...expected.values()].filter((f) => f.casesOpened + f.planPeriods > 0).length;
      expect(nonZero).toBeGreaterThan(15);
      expect(compared).toBeGreaterThanOrEqual(expected.size);
      // The data serve some people under two items: their total is below the sum of the rows.
      expect(sawOverlap).toBe(true);
      // Every figure is exercised somewhere.
      for (const f of FIGURES) expect([...expected.values()].some((x) => x[f] > 0), f).toBe(true);
    });
  }
});

describe('county tables, submission, the city sum', () => {
  it('the city table is the sum of its six county tables (submitted snapshots where submitted)', async () => {
    const coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640105'] });
    const submitted = await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: coordinator.auth, payload: { quarter: '2024-Q3', county: '640105', department: 'HRSS' } });
    expect(submitted.statusCode).toBe(201);
    expect(submitted.json()).toMatchObject({ status: 'submitted', late: false, unit: '西夏区人社局' });
    const frozen = submitted.json().table;
    // New work after the submission changes the live figures, not the submitted table.
    await seedReadModel(stack.db, { seed: 32, prefix: 'rep2', cases: 60, from: shanghai('2024-07-01'), now: NOW, counties: ['640105'], departments: ['HRSS'] });
    const after = await countyTable('640105', '2024-Q3', 'HRSS');
    expect(after.tables[0].submission.status).toBe('submitted');
    expect(after.tables[0].totals).toEqual(frozen.totals);

    const res = await app.inject({ url: '/v1/reports/quarterly?quarter=2024-Q3&level=city&department=HRSS', headers: city.auth });
    expect(res.statusCode).toBe(200);
    const cityTable = res.json().tables[0];
    expect(res.json().unit).toBe('银川市人社局');
    expect(cityTable.counties.find((c: any) => c.county.code === '640105')).toMatchObject({ submitted: true, late: false });
    const sum = new Map<string, Figures>();
    for (const county of COUNTY_CODES) {
      const t = (await countyTable(county, '2024-Q3', 'HRSS')).tables[0];
      for (const r of t.rows) {
        const acc = sum.get(r.item.code) ?? zero();
        for (const f of FIGURES) acc[f] += r[f];
        sum.set(r.item.code, acc);
      }
    }
    expect(cityTable.rows.map((r: any) => r.item.code)).toEqual([...sum.keys()]);
    for (const r of cityTable.rows) expect(figures(r)).toEqual(sum.get(r.item.code));
    expect(cityTable.totals.casesOpened).toBeGreaterThan(0);
  });

  it('the XLSX form reads back: title, unit, period, two header rows, the plan\'s groups with 小计, one row per item, 合计 and the footer', async () => {
    const json = (await countyTable('640104', '2024-Q3', 'DPF')).tables[0];
    const res = await app.inject({ url: '/v1/reports/quarterly?quarter=2024-Q3&level=county&county=640104&department=DPF&format=xlsx', headers: city.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('工作情况统计表')!;
    expect(ws.getCell('A1').value).toBe('为特殊困难残疾人上门代办服务工作情况统计表');
    expect(ws.getCell('A2').value).toBe('填报单位：兴庆区残联');
    expect(String(ws.getCell(2, 8).value)).toBe('统计期间：2024年第3季度（2024-07-01至2024-09-30）');
    const values = (r: number) => (ws.getRow(r).values as unknown[]).slice(1);
    expect(values(3).slice(3, 5)).toEqual(['服务对象人数', '案件办理情况（件）']);
    expect(values(3)[9]).toBe('居家服务计划（期）');
    expect(values(3)[11]).toBe('服务对象认定（件）');
    // County rows name the 落实单位 (the county department doing the work).
    expect(values(4)).toEqual(['序号', '落实单位', '服务事项', '服务对象人数', '受理件数', '办结件数', '按时办结件数', '逾期件数', '在办件数', '服务计划期数', '达标期数', '其他特殊困难（件）', '说明理由办理（件）']);
    const items = departmentItems('DPF');
    expect(json.rows.map((r: any) => r.item.code)).toEqual(items);
    expect(json.rows.every((r: any) => r.implementingUnit.label === '兴庆区残联')).toBe(true);
    // The plan's groups: (一) 政务服务 1–4, (二) 公共服务 5–8, (三) 社会保障 9–10, (四) 居家服务 11–12, each a 小计 row before its items.
    expect(json.groups.map((g: any) => [g.label, g.items])).toEqual([
      ['（一）政务服务', ['DISABILITY_CERT']], ['（二）公共服务', ['CHILD_REHAB']], ['（三）社会保障', ['SOCIAL_INSURANCE']], ['（四）居家服务', ['HOUSEKEEPING', 'HOME_EMPLOYMENT']],
    ]);
    let r = 5;
    let n = 0;
    for (const g of json.groups) {
      expect(values(r)).toEqual([g.label, '兴庆区残联', '小计', ...FIGURES.map((f) => g.subtotal[f])]);
      r++;
      for (const code of g.items) {
        const item = json.rows.find((x: any) => x.item.code === code);
        expect(values(r)).toEqual([++n, '兴庆区残联', item.item.label, ...FIGURES.map((f) => item[f])]);
        r++;
      }
    }
    const totals = values(r);
    expect(totals[0]).toBe('合计');
    expect(totals.slice(3)).toEqual(FIGURES.map((f) => json.totals[f]));
    const dataSum = FIGURES.map((f) => json.rows.reduce((acc: number, x: any) => acc + x[f], 0));
    expect(totals.slice(4)).toEqual(dataSum.slice(1));
    expect(totals[3]).toBeLessThanOrEqual(dataSum[0]);
    const footer = values(r + 2).filter(Boolean);
    expect(footer).toEqual(['填表人：', '审核人：', '填报日期：2024-09-16']);
    expect(ws.getCell('A1').isMerged).toBe(true);
  });

  it('submitting: once only, late after the quarter, never before it starts; scope and roles', async () => {
    const jinfeng = await makeUser(stack.db, 'coordinator', { counties: ['640106'] });
    const later = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => shanghai('2024-10-09', 15) });
    try {
      const late = await later.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: jinfeng.auth, payload: { quarter: '2024-Q3', county: '640106', department: 'DPF' } });
      expect(late.statusCode).toBe(201);
      expect(late.json()).toMatchObject({ late: true, status: 'submitted' });
      expect(late.json().table.totals).toEqual((await countyTable('640106', '2024-Q3', 'DPF', later, jinfeng)).tables[0].totals);
    } finally {
      await later.close();
    }
    const twice = await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: jinfeng.auth, payload: { quarter: '2024-Q3', county: '640106', department: 'DPF' } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toContain('已报送');
    const early = await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: jinfeng.auth, payload: { quarter: '2024-Q4', county: '640106', department: 'DPF' } });
    expect(early.statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: jinfeng.auth, payload: { quarter: '2024-Q3', county: '640104', department: 'DPF' } })).statusCode).toBe(404);
    const worker = await makeUser(stack.db, 'worker', { counties: ['640106'] });
    expect((await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: worker.auth, payload: { quarter: '2024-Q3', county: '640106', department: 'DPF' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/reports/quarterly?quarter=2024-Q3&level=city', headers: jinfeng.auth })).statusCode).toBe(403);
    const bad = await app.inject({ url: '/v1/reports/quarterly?quarter=2024-Q5&level=county', headers: city.auth });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ url: '/v1/reports/quarterly?quarter=2024-Q3&level=county', headers: city.auth })).statusCode).toBe(400);
    const status = await app.inject({ url: '/v1/reports/quarterly/submissions?quarter=2024-Q3', headers: jinfeng.auth });
    expect(status.json().items.find((s: any) => s.department.code === 'DPF')).toMatchObject({ status: 'submitted', late: true, unit: '金凤区残联' });
  });

  it('the schedule activities draft, remind, then mark the missing late and share the city sums', async () => {
    const acts = createActivities({ db: stack.db });
    const q = '2024-Q3';
    const drafted = await acts.draftQuarterlyTables({ quarter: q, at: shanghai('2024-09-17', 9).toISOString() });
    expect(drafted.drafted).toBe(60 - 2); // two county departments have submitted
    const reminded = await acts.remindQuarterlyTables({ quarter: q, at: shanghai('2024-09-23', 9).toISOString(), workingDaysLeft: 5 });
    expect(reminded.reminded).toBe(58);
    const subs = (await app.inject({ url: `/v1/reports/quarterly/submissions?quarter=${q}`, headers: city.auth })).json().items;
    expect(subs.find((s: any) => s.county.code === '640104' && s.department.code === 'DPF')).toMatchObject({ status: 'draft', reminders: 1, late: false });
    expect(subs.find((s: any) => s.county.code === '640105' && s.department.code === 'HRSS')).toMatchObject({ status: 'submitted', reminders: 0 });

    const closed = await acts.closeQuarterlyTables({ quarter: q, at: shanghai('2024-10-01', 0.5).toISOString() });
    expect(closed).toMatchObject({ late: 58, cityTables: 10 });
    const after = (await app.inject({ url: `/v1/reports/quarterly/submissions?quarter=${q}`, headers: city.auth })).json().items;
    expect(after.filter((s: any) => s.late).length).toBe(59); // 58 marked + the one submitted late
    const [shared] = await stack.db.$client`select "table", shared_at from report_submissions where quarter = ${q} and level = 'city' and department = 'HRSS'`;
    const cityNow = (await app.inject({ url: `/v1/reports/quarterly?quarter=${q}&level=city&department=HRSS`, headers: city.auth })).json().tables[0];
    expect(shared.table.totals).toEqual(cityNow.totals);
    expect(shared.shared_at).toBeTruthy();
  });
});
