/**
 * Supervision over generated read-model data (JUSTICE and CIVIL_AFFAIRS in 永宁县 and 贺兰县, so other
 * files' data never mixes in): every list is checked against a recount of the generated cases and
 * events in plain TypeScript, with the clock fixed by deps.now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { addDaysToDate, monthOf, monthRange, shanghaiDate, startOfShanghaiDay, weekStart, workingDaysBetween } from '../../domain/calendar';
import { overdueQuery, stuckCutoff, trend } from '../../db/queries/supervision';
import { createDb } from '../../db/client';
import { makeUser, type TestUser } from '../support/fixtures';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { seedReadModel, shanghai, type Generated, type GenCase } from '../support/generate';
import { createLogger } from '../../logger';

const NOW = shanghai('2026-06-17', 10.5); // a Wednesday, mid-morning
const COUNTIES = ['640121', '640122'];
const DEPARTMENTS = ['JUSTICE', 'CIVIL_AFFAIRS'];

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let data: Generated;
let supervisor: TestUser;
let planSupervisor: TestUser;

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW, logger: process.env.TEST_LOG ? createLogger({ level: 'error' }) : undefined });
  data = await seedReadModel(stack.db, {
    seed: 11, prefix: 'sup', cases: 12_000, from: shanghai('2025-12-01'), now: NOW, counties: COUNTIES, departments: DEPARTMENTS, lateRate: 0.2,
  });
  await stack.db.$client`analyze cases`;
  await stack.db.$client`analyze case_events`;
  // Scoped to the counties and (for cases) the departments this file seeds: other files' cases there must not count here.
  supervisor = await makeUser(stack.db, 'supervisor', { counties: COUNTIES, departments: DEPARTMENTS });
  planSupervisor = await makeUser(stack.db, 'supervisor', { counties: COUNTIES });
}, 180_000);
afterAll(async () => { await app?.close(); await stack?.close(); });

const get = (url: string, user: TestUser = supervisor) => app.inject({ url, headers: user.auth });

/** Follows nextCursor to the end. */
async function all(url: string, user: TestUser = supervisor): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${cursor}` : ''}`, user);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    out.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('pagination did not end');
}

const open = (c: GenCase) => c.status === 'open';
const isOverdue = (c: GenCase) => open(c) && c.dueAt !== null && c.dueAt < NOW;

describe('overdue and stuck cases', () => {
  it('the overdue list is every overdue case in scope, most late first, across pages', async () => {
    const expected = data.cases.filter(isOverdue).sort((a, b) => a.dueAt!.getTime() - b.dueAt!.getTime() || (a.id < b.id ? -1 : 1));
    expect(expected.length).toBeGreaterThan(50);
    const got = await all('/v1/supervision/overdue');
    expect(got.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    const first = got[0];
    expect(first.late.workingDays).toBe(workingDaysBetween(expected[0].dueAt!, NOW));
    expect(first.county.label).toMatch(/永宁县|贺兰县/);
    expect(first.department.label).toMatch(/司法局|民政局/);
    expect(first.subject.name).toBeTruthy();
  });

  it('filters by county, department, item, step, assignee and green channel', async () => {
    const sample = data.cases.filter(isOverdue).find((c) => c.assignee && c.step === 'visit')!;
    const cases = [
      [`county=640122`, (c: GenCase) => c.county === '640122'],
      [`department=CIVIL_AFFAIRS`, (c: GenCase) => c.department === 'CIVIL_AFFAIRS'],
      [`item=LEGAL_AID&step=visit`, (c: GenCase) => c.itemCode === 'LEGAL_AID' && c.step === 'visit'],
      [`assignee=${sample.assignee}`, (c: GenCase) => c.assignee === sample.assignee],
      [`greenChannel=true`, (c: GenCase) => c.greenChannel],
    ] as const;
    for (const [q, pred] of cases) {
      const got = await all(`/v1/supervision/overdue?${q}`);
      expect(new Set(got.map((c) => c.id)), q).toEqual(new Set(data.cases.filter((c) => isOverdue(c) && pred(c)).map((c) => c.id)));
    }
  });

  it('stuck cases: no transition for N working days, longest idle first', async () => {
    const cutoff = stuckCutoff(NOW, 3);
    // The cutoff is exactly where workingDaysBetween reaches N.
    expect(workingDaysBetween(cutoff, NOW)).toBeGreaterThanOrEqual(3);
    expect(workingDaysBetween(new Date(cutoff.getTime() + 1), NOW)).toBe(2);
    const expected = data.cases.filter((c) => open(c) && workingDaysBetween(c.lastEventAt, NOW) >= 3)
      .sort((a, b) => a.lastEventAt.getTime() - b.lastEventAt.getTime() || (a.id < b.id ? -1 : 1));
    expect(expected.length).toBeGreaterThan(0);
    const got = await all('/v1/supervision/stuck?days=3');
    expect(got.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    expect(got.every((c) => c.idleWorkingDays >= 3)).toBe(true);
  });

  it('the overdue page is served by the partial index on open cases by due time', async () => {
    const sql = stack.db.$client;
    const rows = await sql`explain (format json) ${overdueQuery(sql, { counties: COUNTIES, departments: 'all' }, {}, NOW, 50)}`;
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    expect(plan).toContain('cases_open_due_idx');
  });
});

describe('summary, workload, escalations', () => {
  it('the summary counts open, overdue, due this week, closed this month and the on-time rate', async () => {
    const weekEnd = startOfShanghaiDay(addDaysToDate(weekStart(shanghaiDate(NOW)), 7));
    const { start } = monthRange(monthOf(NOW));
    const closedThisMonth = (c: GenCase) => (c.status === 'closed' || c.status === 'rejected') && c.closedAt! >= start && c.closedAt! <= NOW;
    const count = (pred: (c: GenCase) => boolean, cs = data.cases) => cs.filter(pred).length;
    const res = await get('/v1/supervision/summary');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const done = count(closedThisMonth);
    const onTime = count((c) => closedThisMonth(c) && c.completedOnTime === true);
    expect(body.totals).toEqual({
      open: count(open), overdue: count(isOverdue),
      dueThisWeek: count((c) => open(c) && c.dueAt! >= NOW && c.dueAt! < weekEnd),
      closedThisMonth: done, closedOnTimeThisMonth: onTime, onTimeRate: Math.round((onTime / done) * 1000) / 1000,
    });
    const yongning = body.byCounty.find((r: any) => r.county.code === '640121');
    expect(yongning.county.label).toBe('永宁县');
    expect(yongning.open).toBe(count((c) => open(c) && c.county === '640121'));
    const legal = body.byItem.find((r: any) => r.item.code === 'LEGAL_AID');
    expect(legal.overdue).toBe(count((c) => isOverdue(c) && c.itemCode === 'LEGAL_AID'));
    expect(body.byDepartment.map((r: any) => r.department.code).sort()).toEqual(['CIVIL_AFFAIRS', 'JUSTICE']);
    expect(body.byDepartment.reduce((s: number, r: any) => s + r.open, 0)).toBe(body.totals.open);
  });

  it('workload per worker: open cases and the overdue among them', async () => {
    const res = await get('/v1/supervision/workload?county=640121&department=JUSTICE');
    expect(res.statusCode).toBe(200);
    const mine = data.cases.filter((c) => open(c) && c.county === '640121' && c.department === 'JUSTICE');
    const expected = new Map<string | null, { open: number; overdue: number }>();
    for (const c of mine) {
      const w = expected.get(c.assignee) ?? { open: 0, overdue: 0 };
      w.open++;
      if (isOverdue(c)) w.overdue++;
      expected.set(c.assignee, w);
    }
    const items = res.json().items as any[];
    expect(items.length).toBe(expected.size);
    for (const it of items) expect({ open: it.open, overdue: it.overdue }).toEqual(expected.get(it.assignee?.id ?? null));
    const named = items.find((it) => it.assignee);
    expect(named.assignee.name).toMatch(/工作人员/);
    // Most overdue first.
    expect(items.map((i) => i.overdue)).toEqual([...items.map((i) => i.overdue)].sort((a, b) => b - a));
    // Each row's figures list their cases; the unassigned row's through assignee=none.
    const unassigned = items.find((it) => it.assignee === null);
    expect(unassigned?.label).toBe('未分派');
    const unassignedOpen = await all('/v1/supervision/cases?figure=open&county=640121&department=JUSTICE&assignee=none');
    expect(unassignedOpen.length).toBe(unassigned.open);
    expect(new Set(unassignedOpen.map((c) => c.id))).toEqual(new Set(mine.filter((c) => c.assignee === null).map((c) => c.id)));
    const overdue = await all(`/v1/supervision/cases?figure=overdue&county=640121&department=JUSTICE&assignee=${named.assignee.id}`);
    expect(overdue.length).toBe(named.overdue);
    expect(overdue.every((c) => c.assignee?.id === named.assignee.id)).toBe(true);
  });

  it('escalations raised, with the person who acted next', async () => {
    const from = shanghai('2026-05-01');
    const got = await all(`/v1/supervision/escalations?from=${encodeURIComponent(from.toISOString())}&county=640122`);
    const caseById = new Map(data.cases.map((c) => [c.id, c]));
    const byCase = new Map<string, typeof data.events>();
    for (const e of data.events) (byCase.get(e.caseId) ?? byCase.set(e.caseId, []).get(e.caseId)!).push(e);
    const expected = data.events.filter((e) => e.type === 'escalated' && e.at >= from && caseById.get(e.caseId)!.county === '640122');
    expect(got.length).toBe(expected.length);
    expect(got.length).toBeGreaterThan(10);
    for (const e of expected.slice(0, 200)) {
      const next = byCase.get(e.caseId)!.find((x) => x.seq > e.seq && x.actor);
      const row = got.find((g) => g.caseId === e.caseId && g.at === e.at.toISOString() && g.level === e.data.level);
      expect(row, `${e.caseId}#${e.seq}`).toBeTruthy();
      expect(row.actedOn?.by.id ?? null).toBe(next?.actor ?? null);
    }
    // Newest first; filter by who has not acted yet.
    expect(got.map((g) => g.at)).toEqual([...got.map((g) => g.at)].sort().reverse());
    const pending = await all(`/v1/supervision/escalations?from=${encodeURIComponent(from.toISOString())}&county=640122&acted=false`);
    expect(pending.length).toBe(got.filter((g) => !g.actedOn).length);
    expect(pending.every((g) => g.actedOn === null)).toBe(true);
  });
});

describe('dashboard figures: county × department, weekly trend, and the cases behind every figure', () => {
  const weekEnd = startOfShanghaiDay(addDaysToDate(weekStart(shanghaiDate(NOW)), 7));
  const monthStart = monthRange(monthOf(NOW)).start;
  const ended = (c: GenCase) => c.status === 'closed' || c.status === 'rejected';
  const FIGURES: Record<string, (c: GenCase) => boolean> = {
    open,
    overdue: isOverdue,
    dueThisWeek: (c) => open(c) && c.dueAt! >= NOW && c.dueAt! < weekEnd,
    closedThisMonth: (c) => ended(c) && c.closedAt! >= monthStart && c.closedAt! <= NOW,
    closedOnTimeThisMonth: (c) => ended(c) && c.closedAt! >= monthStart && c.closedAt! <= NOW && c.completedOnTime === true,
  };

  it('the summary has every county × department cell, each recounted, summing to the county rows', async () => {
    const body = (await get('/v1/supervision/summary')).json();
    expect(body.byCountyDepartment).toHaveLength(COUNTIES.length * DEPARTMENTS.length);
    for (const cell of body.byCountyDepartment) {
      const mine = data.cases.filter((c) => c.county === cell.county.code && c.department === cell.department.code);
      for (const [figure, pred] of Object.entries(FIGURES)) expect(cell[figure], `${cell.county.code}/${cell.department.code} ${figure}`).toBe(mine.filter(pred).length);
    }
    for (const county of body.byCounty) {
      const cells = body.byCountyDepartment.filter((x: any) => x.county.code === county.county.code);
      expect(cells.reduce((s: number, x: any) => s + x.overdue, 0)).toBe(county.overdue);
    }
  });

  it('each summary figure lists exactly the cases it counts, in total and for a heat-map cell', async () => {
    const totals = (await get('/v1/supervision/summary')).json().totals;
    for (const [figure, pred] of Object.entries(FIGURES)) {
      const got = await all(`/v1/supervision/cases?figure=${figure}`);
      expect(got.length, figure).toBe(totals[figure]);
      expect(new Set(got.map((c) => c.id)), figure).toEqual(new Set(data.cases.filter(pred).map((c) => c.id)));
    }
    const cellQuery = 'county=640122&department=JUSTICE&item=LEGAL_AID';
    const cell = (await get(`/v1/supervision/summary?${cellQuery}`)).json().totals;
    const overdue = await all(`/v1/supervision/cases?figure=overdue&${cellQuery}`);
    expect(overdue.length).toBe(cell.overdue);
    expect(overdue.length).toBe((await all(`/v1/supervision/overdue?${cellQuery}`)).length);
    expect(overdue.every((c) => c.county.code === '640122' && c.department.code === 'JUSTICE' && c.item.code === 'LEGAL_AID')).toBe(true);
    // Closed lists say when and whether on time; newest first.
    const onTime = await all(`/v1/supervision/cases?figure=closedOnTimeThisMonth&${cellQuery}`);
    expect(onTime.length).toBe(cell.closedOnTimeThisMonth);
    expect(onTime.every((c) => c.completedOnTime === true && c.closedAt)).toBe(true);
    expect(onTime.map((c) => c.closedAt)).toEqual([...onTime.map((c) => c.closedAt)].sort().reverse());
  });

  it('the weekly trend counts each Monday-to-Sunday week (Asia/Shanghai), and each weekly figure lists its cases', async () => {
    const res = await get('/v1/supervision/trend?weeks=8&county=640121');
    expect(res.statusCode).toBe(200);
    const weeks = res.json().weeks as any[];
    expect(weeks).toHaveLength(8);
    expect(weeks[7].week).toBe('2026-06-15');
    expect(weeks[7].start).toBe(startOfShanghaiDay('2026-06-15').toISOString());
    expect(weeks[7].end).toBe(NOW.toISOString());
    expect(weeks[0].week).toBe('2026-04-27');
    const overdueEvents = data.events.filter((e) => e.type === 'overdue');
    const mine = data.cases.filter((c) => c.county === '640121');
    for (const w of weeks) {
      const [s, e] = [new Date(w.start), new Date(w.end)];
      const inWeek = (d: Date | null) => d !== null && d >= s && d < e;
      const closed = mine.filter((c) => ended(c) && inWeek(c.closedAt));
      const wentOverdue = new Set(overdueEvents.filter((x) => inWeek(x.at)).map((x) => x.caseId));
      expect({ opened: w.opened, closed: w.closed, closedOnTime: w.closedOnTime, becameOverdue: w.becameOverdue }, w.week).toEqual({
        opened: mine.filter((c) => inWeek(c.openedAt)).length,
        closed: closed.length,
        closedOnTime: closed.filter((c) => c.completedOnTime === true).length,
        becameOverdue: mine.filter((c) => wentOverdue.has(c.id)).length,
      });
      expect(w.onTimeRate).toBe(w.closed ? Math.round((w.closedOnTime / w.closed) * 1000) / 1000 : null);
    }
    expect(weeks.reduce((n, w) => n + w.becameOverdue, 0)).toBeGreaterThan(0);
    for (const w of [weeks[5], weeks[7]]) {
      for (const figure of ['opened', 'closed', 'closedOnTime', 'becameOverdue']) {
        const got = await all(`/v1/supervision/cases?figure=${figure}&week=${w.week}&county=640121`);
        expect(got.length, `${w.week} ${figure}`).toBe(w[figure]);
      }
    }
  });

  it('the city\'s trend (every county and department, no filter: counted from the events alone) equals a recount, and the same scope spelled out', async () => {
    // A database of its own, so that "every case" is only what this test made.
    const own = await ownDatabase();
    const db = createDb(own.url, { max: 2 });
    try {
      const mine = await seedReadModel(db, { seed: 12, prefix: 'city', cases: 1_500, from: shanghai('2026-03-01'), now: NOW, lateRate: 0.3 });
      const city = await trend(db, { counties: 'all', departments: 'all' }, {}, NOW, 10);
      const spelled = await trend(db, { counties: [...new Set(mine.cases.map((c) => c.county))], departments: 'all' }, {}, NOW, 10);
      expect(city).toEqual(spelled);
      const overdueEvents = mine.events.filter((e) => e.type === 'overdue');
      for (const w of city) {
        const inWeek = (d: Date | null) => d !== null && d >= w.start && d < w.end;
        const closed = mine.cases.filter((c) => (c.status === 'closed' || c.status === 'rejected') && inWeek(c.closedAt));
        expect({ opened: w.opened, closed: w.closed, closedOnTime: w.closedOnTime, becameOverdue: w.becameOverdue }, w.week).toEqual({
          opened: mine.cases.filter((c) => inWeek(c.openedAt)).length,
          closed: closed.length,
          closedOnTime: closed.filter((c) => c.completedOnTime === true).length,
          becameOverdue: new Set(overdueEvents.filter((x) => inWeek(x.at)).map((x) => x.caseId)).size,
        });
      }
      expect(city.reduce((n, w) => n + w.becameOverdue, 0)).toBeGreaterThan(0);
      expect(city.reduce((n, w) => n + w.closed, 0)).toBeGreaterThan(0);
    } finally {
      await db.$client.end({ timeout: 5 });
      await own.drop();
    }
  });

  it('a county user sees only that county in the heat map, the trend and the lists; bad figures and weeks are 400', async () => {
    const yongning = await makeUser(stack.db, 'coordinator', { counties: ['640121'] });
    const body = (await get('/v1/supervision/summary', yongning)).json();
    expect(new Set(body.byCountyDepartment.map((x: any) => x.county.code))).toEqual(new Set(['640121']));
    const theirs = (await get('/v1/supervision/trend?weeks=4&county=640122', yongning)).json().weeks;
    expect(theirs.every((w: any) => w.opened === 0 && w.closed === 0 && w.becameOverdue === 0)).toBe(true);
    const listed = await all('/v1/supervision/cases?figure=open', yongning);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((c) => c.county.code === '640121')).toBe(true);
    expect((await all('/v1/supervision/cases?figure=open&county=640122', yongning)).length).toBe(0);

    const problems: Array<[string, string]> = [
      ['/v1/supervision/cases', 'querystring.figure'],
      ['/v1/supervision/cases?figure=late', 'querystring.figure'],
      ['/v1/supervision/cases?figure=opened', 'querystring.week'],
      ['/v1/supervision/cases?figure=overdue&week=2026-06-15', 'querystring.week'],
      ['/v1/supervision/cases?figure=closed&week=2026-13-01', 'querystring.week'],
      ['/v1/supervision/cases?figure=closed&week=2026-02-30', 'querystring.week'],
      ['/v1/supervision/cases?figure=closed&week=0001-01-01', 'querystring.week'],
      ['/v1/supervision/cases?figure=closed&week=2027-01-04', 'querystring.week'],
      ['/v1/supervision/trend?weeks=0', 'querystring.weeks'],
      ['/v1/supervision/trend?weeks=53', 'querystring.weeks'],
    ];
    for (const [url, path] of problems) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json().errors.map((e: any) => e.path), url).toContain(path);
    }
  });
});

describe('plan shortfalls', () => {
  it('a plan period that missed its cadence is an escalation; the next session recorded is who acted', async () => {
    const plans = await seedReadModel(stack.db, {
      seed: 12, prefix: 'supp', cases: 0, plans: 40, from: shanghai('2026-02-01'), now: NOW, counties: ['640121'], departments: ['DPF'], ledger: false,
    });
    const short = plans.periods.filter((p) => !p.compliant);
    expect(short.length).toBeGreaterThan(0);
    const got = await all('/v1/supervision/escalations?county=640121&department=DPF', planSupervisor);
    expect(got.every((g) => g.kind === 'plan')).toBe(true);
    expect(new Set(got.map((g) => `${g.planId}:${g.period}`))).toEqual(new Set(short.map((p) => `${p.planId}:${p.period}`)));
    expect(got.every((g) => g.actedOn === null && g.target === 'DPF')).toBe(true);

    const latest = short.sort((a, b) => b.checkedAt.getTime() - a.checkedAt.getTime())[0];
    const worker = await makeUser(stack.db, 'worker', { counties: ['640121'], departments: ['DPF'] });
    const at = new Date(latest.checkedAt.getTime() + 86_400_000).toISOString();
    await stack.db.$client`insert into plan_sessions (id, plan_id, period, session_date, units, unit, provider_staff, recorded_by, created_at, updated_at)
      values (${`${latest.planId}-s1`}, ${latest.planId}, ${latest.period}, ${at.slice(0, 10)}::date, 60, 'minutes', '康复师', ${worker.id}, ${at}::timestamptz, ${at}::timestamptz)`;
    const after = await all('/v1/supervision/escalations?county=640121&department=DPF&acted=true', planSupervisor);
    expect(after.map((g) => `${g.planId}:${g.period}`)).toContain(`${latest.planId}:${latest.period}`);
    expect(after.find((g) => g.period === latest.period && g.planId === latest.planId).actedOn).toMatchObject({ by: { id: worker.id }, with: 'session_recorded' });
  });
});

describe('scope, roles and bad input', () => {
  it('the supervision, ledger and report routes are in the OpenAPI document', async () => {
    const res = await app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(expect.arrayContaining([
      '/v1/supervision/overdue', '/v1/supervision/stuck', '/v1/supervision/summary', '/v1/supervision/workload', '/v1/supervision/escalations',
      '/v1/supervision/trend', '/v1/supervision/cases',
      '/v1/ledger', '/v1/ledger/share', '/v1/ledger/amendments', '/v1/ledger/entries/{id}', '/v1/ledger/shares',
      '/v1/reports/quarterly', '/v1/reports/quarterly/submit', '/v1/reports/quarterly/submissions',
    ]));
  });

  it('a county user sees only that county; a filter outside the scope finds nothing', async () => {
    const yongning = await makeUser(stack.db, 'coordinator', { counties: ['640121'] });
    const got = await all('/v1/supervision/overdue', yongning);
    expect(got.length).toBe(data.cases.filter((c) => isOverdue(c) && c.county === '640121').length);
    expect(got.every((c) => c.county.code === '640121')).toBe(true);
    expect((await all('/v1/supervision/overdue?county=640122', yongning)).length).toBe(0);
    const justice = await makeUser(stack.db, 'supervisor', { counties: COUNTIES, departments: ['JUSTICE'] });
    const summary = (await get('/v1/supervision/summary', justice)).json();
    expect(summary.byDepartment.map((r: any) => r.department.code)).toEqual(['JUSTICE']);
  });

  it('workers may not supervise; no token is 401; bad filters and cursors are 400', async () => {
    const worker = await makeUser(stack.db, 'worker', { counties: COUNTIES });
    expect((await get('/v1/supervision/overdue', worker)).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/supervision/summary' })).statusCode).toBe(401);
    const bad = await get('/v1/supervision/overdue?county=999999&limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['querystring.county', 'querystring.limit']));
    const cursor = await get('/v1/supervision/overdue?cursor=not-a-cursor');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().errors[0].path).toBe('querystring.cursor');
    expect((await get(`/v1/supervision/stuck?days=0`)).statusCode).toBe(400);
  });
});
