/**
 * 督办看板 in a real browser (Debian's Chromium through playwright-core) against the real stack on a
 * database of its own, seeded deterministically with generated read-model data over two counties and
 * three departments (cases, their events, plans with short periods, staff).
 *
 * A city supervisor lands on the dashboard: every headline figure, every chart's data table, the heat
 * map and the weekly trend equal what /v1/supervision/summary and /trend answer for that user; a real
 * click on a bar of the county chart opens that county's overdue cases, as many as the bar said and the
 * API lists; a heat-map cell and a week of the trend drill down the same way; filters live in the URL (a reload
 * and another browser show the same view). A county coordinator sees only their county in every chart,
 * table and list, even with another county typed into the URL; a department lead only their county and
 * department. Stuck cases, escalations, workload and
 * failing workflows render. Every page is checked with axe-core and saved as a screenshot.
 */
import { isDeepStrictEqual } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { users } from '../../db/schema';
import { createUser } from '../../db/queries/users';
import { hashPassword } from '../../api/passwords';
import type { TestStack } from '../support/env';
import { seedReadModel } from '../support/generate';
import { shanghaiDate } from '../../domain/calendar';
import { checkPage, screenshot, watchErrors, logIn, ownConsoleStack, type ConsoleStack } from './browser';

const A = { code: '640121', label: '永宁县' };
const B = { code: '640122', label: '贺兰县' };
const DEPARTMENTS = ['JUSTICE', 'CIVIL_AFFAIRS', 'DPF'];
const PASSWORD = 'dashboard-test-pass-1';
const POLL = { timeout: 30_000, interval: 200 };

let env: ConsoleStack;
let stack: TestStack;
let browser: Browser;
let base: string;
const people = { supervisor: '', coordinator: '', lead: '' };

async function makePerson(key: keyof typeof people, role: 'supervisor' | 'coordinator', displayName: string, scope: { counties?: string[]; departments?: string[]; cityLevel?: boolean }) {
  const username = `dash-${key}`;
  const id = await createUser(stack.db, { username, displayName, role, ...scope });
  await stack.db.update(users).set({ passwordHash: await hashPassword(PASSWORD) }).where(eq(users.id, id));
  people[key] = username;
}

beforeAll(async () => {
  env = await ownConsoleStack();
  ({ stack, base, browser } = env);
  const now = new Date();
  await seedReadModel(stack.db, {
    seed: 14, prefix: 'dash', cases: 1600, plans: 12, from: new Date(now.getTime() - 84 * 86_400_000), now,
    counties: [A.code, B.code], departments: DEPARTMENTS, lateRate: 0.25, ledger: false,
  });
  await makePerson('supervisor', 'supervisor', '周督导', { cityLevel: true });
  await makePerson('coordinator', 'coordinator', '王协调', { counties: [A.code] });
  await makePerson('lead', 'supervisor', '马科长', { counties: [B.code], departments: ['JUSTICE'] });
}, 180_000);

afterAll(async () => { await env?.close(); });

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = watchErrors(await context.newPage());
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** Logs in on the login page (after a redirect from `next`, the page asked for). */
async function login(page: Page, who: keyof typeof people, path = '/') {
  await logIn(page, `${base}${path}`, people[who], PASSWORD);
}

/** GET an API path with the page's own session (the figures the page's user may see). */
async function api(page: Page, path: string): Promise<any> {
  return page.evaluate(async (p) => {
    const res = await fetch(p);
    if (!res.ok) throw new Error(`${p}: ${res.status}`);
    return res.json();
  }, path);
}

/** Every item of a cursor-paginated supervision list. */
async function all(page: Page, path: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const body = await api(page, `${path}${path.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}

/** A figures table by the start of its caption: its rows as { label, cells by data-figure or column title }. */
async function readTable(page: Page, caption: string): Promise<Array<{ label: string; cells: Record<string, string> }>> {
  const table = page.locator('table.figure-table').filter({ has: page.locator('caption', { hasText: caption }) });
  await table.waitFor();
  return table.evaluate((t) => {
    const heads = [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
    return [...t.querySelectorAll('tbody tr')].map((tr) => {
      const cells: Record<string, string> = {};
      [...tr.querySelectorAll('td')].forEach((td, i) => { cells[td.getAttribute('data-figure') ?? heads[i + 1]] = td.textContent ?? ''; });
      return { label: tr.querySelector('th')?.textContent ?? '', cells };
    });
  });
}

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
const FIGURES = ['open', 'overdue', 'dueThisWeek', 'closedThisMonth', 'closedOnTimeThisMonth'] as const;

/** What a figures table row must say for an API summary row. */
const expectedCells = (r: any) => ({ ...Object.fromEntries(FIGURES.map((f) => [f, String(r[f])])), onTimeRate: pct(r.onTimeRate) });

/** Every figure on the dashboard equals the API's summary and trend for the same user and filters (read again while the page is still loading). */
async function expectDashboardEqualsApi(page: Page, query = '') {
  await page.locator('table.figure-table').first().waitFor();
  let got: { shown: unknown; expected: unknown } = { shown: null, expected: null };
  for (let attempt = 0; attempt < 40; attempt++) {
    got = await dashboardAndApi(page, query);
    if (isDeepStrictEqual(got.shown, got.expected)) break;
    await page.waitForTimeout(500);
  }
  expect(got.shown).toEqual(got.expected);
}

async function dashboardAndApi(page: Page, query: string) {
  const summary = await api(page, `/v1/supervision/summary${query}`);
  const trend = await api(page, `/v1/supervision/trend${query}${query ? '&' : '?'}weeks=12`);
  const headline = Object.fromEntries(await Promise.all(['在办', '逾期', '本周到期', '本月办结', '本月按时办结', '本月按时办结率'].map(async (t) => {
    const label = await page.getByRole('link', { name: new RegExp(`^${t}：`) }).getAttribute('aria-label');
    return [t, label!.split('：')[1]];
  })));
  const t = summary.totals;
  return {
    shown: {
      headline,
      byCounty: await readTable(page, '按县（市）区'),
      byDepartment: await readTable(page, '按承办部门'),
      byItem: await readTable(page, '按服务事项'),
      heat: await readTable(page, '县（市）区 × 部门'),
      trend: (await readTable(page, '每周趋势')).map((r) => r.cells),
    },
    expected: {
      headline: { 在办: String(t.open), 逾期: String(t.overdue), 本周到期: String(t.dueThisWeek), 本月办结: String(t.closedThisMonth), 本月按时办结: String(t.closedOnTimeThisMonth), 本月按时办结率: pct(t.onTimeRate) },
      byCounty: summary.byCounty.map((r: any) => ({ label: r.county.label, cells: expectedCells(r) })),
      byDepartment: summary.byDepartment.map((r: any) => ({ label: r.department.label, cells: expectedCells(r) })),
      byItem: summary.byItem.map((r: any) => ({ label: r.item.label, cells: expectedCells(r) })),
      heat: summary.byCounty.map((c: any) => ({
        label: c.county.label,
        cells: Object.fromEntries(summary.byDepartment.map((d: any) => [d.department.label,
          String(summary.byCountyDepartment.find((x: any) => x.county.code === c.county.code && x.department.code === d.department.code)?.overdue ?? 0)])),
      })),
      trend: trend.weeks.map((w: any) => ({ opened: String(w.opened), closed: String(w.closed), closedOnTime: String(w.closedOnTime), onTimeRate: pct(w.onTimeRate), becameOverdue: String(w.becameOverdue) })),
    },
  };
}

/** checkPage with the mouse out of the way (a link left hovered by the last click has its hover colour). */
async function check(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await checkPage(page, name);
}

/** Clicks 加载更多 until the list is whole; the count the page states. */
async function loadWholeList(page: Page): Promise<number> {
  const status = page.getByRole('status').filter({ hasText: /^(共|已显示) \d+ 件/ });
  await status.waitFor();
  for (let i = 0; i < 50; i++) {
    const text = await status.innerText();
    if (text.startsWith('共')) return Number(/^共 (\d+) 件/.exec(text)![1]);
    await page.getByRole('button', { name: '加载更多' }).click();
    await expect.poll(() => status.innerText(), POLL).not.toBe(text);
  }
  throw new Error('the list did not end');
}

// Each test is a person's whole task in a real browser: minutes allowed on a loaded machine.
describe('督办看板', { timeout: 180_000 }, () => {
  let ctx: { context: BrowserContext; page: Page };
  afterEach(async (t) => {
    if (t.task.result?.state !== 'fail' || !ctx?.page) return;
    await screenshot(ctx.page, `dashboard-failed-${t.task.name.slice(0, 30)}`).catch(() => undefined);
    console.log(`page at failure: ${ctx.page.url()}\n${(await ctx.page.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
  });
  afterAll(async () => { await ctx?.context.close(); });

  it('a supervisor lands on the dashboard, whose every figure equals the API\'s summary and trend', async () => {
    ctx = await newPage();
    const { page } = ctx;
    await login(page, 'supervisor');
    // The supervisor's home is the dashboard.
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await expectDashboardEqualsApi(page);
    const summary = await api(page, '/v1/supervision/summary');
    expect(summary.byCounty.map((r: any) => r.county.code)).toEqual([A.code, B.code]);
    expect(summary.totals.overdue).toBeGreaterThan(0);
    // Charts drawn as SVG, described for assistive technology.
    expect(await page.getByRole('img', { name: /点击/ }).locator('svg').count()).toBe(5);
    await check(page, 'dashboard-01-supervisor');
  });

  it('a click on a bar opens the overdue cases of that county: as many as the bar, the table and the API say', async () => {
    const { page } = ctx;
    const summary = await api(page, '/v1/supervision/summary');
    // The county chart's tallest overdue bar (the overdue series is drawn in #c41d1d).
    const chart = page.getByRole('img', { name: /^按县（市）区的逾期/ });
    await chart.scrollIntoViewIfNeeded();
    const bars = await chart.locator('path').evaluateAll((paths) => paths
      .filter((p) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { fill: string } }).getComputedStyle(p).fill.replace(/\s/g, '') === 'rgb(196,29,29)')
      .map((p) => { const r = p.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height, w: r.width }; })
      .filter((r) => r.h > 20));
    expect(bars.length).toBe(2);
    const tallest = bars.sort((a, b) => b.h - a.h)[0];
    const leftmost = [...bars].sort((a, b) => a.x - b.x);
    const county = summary.byCounty[leftmost.indexOf(tallest)];
    await page.mouse.click(tallest.x, tallest.y);
    await page.waitForURL((url) => url.pathname === '/dashboard/cases');
    const url = new URL(page.url());
    expect(url.searchParams.get('figure')).toBe('overdue');
    expect(url.searchParams.get('county')).toBe(county.county.code);
    await expect.poll(() => page.getByRole('heading', { level: 2 }).innerText(), POLL).toBe(`逾期案件 · ${county.county.label}`);
    const shown = await loadWholeList(page);
    const listed = await all(page, `/v1/supervision/overdue?county=${county.county.code}`);
    expect(shown).toBe(county.overdue);
    expect(listed.length).toBe(county.overdue);
    expect(await page.locator('tbody tr.ant-table-row').count()).toBe(county.overdue);
    // Each row links to its case.
    const first = page.locator('tbody tr.ant-table-row').first().getByRole('link');
    expect(await first.getAttribute('href')).toBe(`/cases/${listed[0].id}`);
    await check(page, 'dashboard-02-overdue-list');
  });

  it('a heat-map cell and a week of the trend (their table links and real clicks on the charts) open their cases, each list as long as its figure', async () => {
    const { page } = ctx;
    await page.goto(`${base}/dashboard`);
    const summary = await api(page, '/v1/supervision/summary');
    const cell = summary.byCountyDepartment.filter((c: any) => c.overdue > 0).sort((a: any, b: any) => b.overdue - a.overdue)[0];
    // The cell's label in the heat map is its figure; the heat map's own table holds the same number as a link.
    const heatTable = page.locator('table.figure-table').filter({ has: page.locator('caption', { hasText: '县（市）区 × 部门' }) });
    await heatTable.getByRole('row', { name: new RegExp(cell.county.label) }).locator('td').nth(summary.byDepartment.findIndex((d: any) => d.department.code === cell.department.code)).getByRole('link').click();
    await page.waitForURL((url) => url.pathname === '/dashboard/cases');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ figure: 'overdue', county: cell.county.code, department: cell.department.code });
    expect(await loadWholeList(page)).toBe(cell.overdue);

    // A real click on the heat map: the cell of that county and department.
    await page.goto(`${base}/dashboard`);
    const heatmap = page.getByRole('img', { name: /热力图/ });
    await heatmap.scrollIntoViewIfNeeded();
    await heatmap.locator('text').filter({ hasText: new RegExp(`^${cell.overdue}$`) }).first().waitFor();
    const heatTexts = await heatmap.locator('text').evaluateAll((ts) => ts.map((t) => { const r = t.getBoundingClientRect(); return { text: t.textContent, x: r.x + r.width / 2, y: r.y + r.height / 2 }; }));
    const countyY = heatTexts.find((t) => t.text === cell.county.label)!.y;
    const deptX = heatTexts.find((t) => t.text === cell.department.label)!.x;
    await page.mouse.click(deptX, countyY);
    await page.waitForURL((url) => url.pathname === '/dashboard/cases');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ figure: 'overdue', county: cell.county.code, department: cell.department.code });

    // The trend: last week's 办结 (closed) from the table link; the list says the week and holds that many.
    await page.goto(`${base}/dashboard`);
    const trend = await api(page, '/v1/supervision/trend?weeks=12');
    const lastWeek = trend.weeks[10];
    expect(lastWeek.closed).toBeGreaterThan(0);
    const trendTable = page.locator('table.figure-table').filter({ has: page.locator('caption', { hasText: '每周趋势' }) });
    await trendTable.locator('tbody tr').nth(10).locator('td[data-figure="closed"] a').click();
    await page.waitForURL((url) => url.pathname === '/dashboard/cases');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ figure: 'closed', week: lastWeek.week });
    await page.getByText(/^统计周：/).waitFor();
    // The total is said before the whole list is loaded (from the trend, the same count).
    await page.getByRole('status').filter({ hasText: new RegExp(`共 ${lastWeek.closed} 件`) }).waitFor();
    expect(await loadWholeList(page)).toBe(lastWeek.closed);
    expect((await all(page, `/v1/supervision/cases?figure=closed&week=${lastWeek.week}`)).length).toBe(lastWeek.closed);
    await check(page, 'dashboard-03-week-closed-list');

    // A real click on the trend: the 新增超期 point of the week before last (the series' symbols, drawn in #c41d1d, left to right).
    await page.goto(`${base}/dashboard`);
    const trendChart = page.getByRole('img', { name: /^每周新开/ });
    await trendChart.scrollIntoViewIfNeeded();
    await trendChart.locator('path').first().waitFor({ state: 'attached' });
    const top = (await trendChart.boundingBox())!.y;
    const points = await trendChart.locator('path').evaluateAll((paths) => paths
      .filter((p) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { stroke: string } }).getComputedStyle(p).stroke.replace(/\s/g, '') === 'rgb(196,29,29)')
      .map((p) => { const r = p.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height }; })
      .filter((r) => r.w > 0 && r.w < 20 && r.h < 20));
    // The legend's icon sits in the top 30 px; the rest are the 12 weeks' points.
    const weekly = points.filter((pt) => pt.y > top + 30).sort((a, b) => a.x - b.x);
    expect(weekly).toHaveLength(12);
    await page.mouse.click(weekly[9].x, weekly[9].y);
    await page.waitForURL((url) => url.pathname === '/dashboard/cases');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ figure: 'becameOverdue', week: trend.weeks[9].week });
    expect(await loadWholeList(page)).toBe(trend.weeks[9].becameOverdue);
  });

  it('filters live in the URL: the view survives a reload and opens the same in another browser', async () => {
    const { page } = ctx;
    await page.goto(`${base}/dashboard`);
    await page.getByLabel('承办部门', { exact: true }).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '司法局' }).click();
    await page.waitForURL((url) => url.searchParams.get('department') === 'JUSTICE');
    await page.getByLabel('热力图显示').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '本周到期' }).click();
    await page.waitForURL((url) => url.searchParams.get('heat') === 'dueThisWeek');
    const shared = page.url();
    const query = '?department=JUSTICE';
    await expect.poll(async () => (await readTable(page, '按承办部门')).map((r) => r.label), POLL).toEqual(['司法局']);
    await page.reload();
    await expect.poll(async () => (await readTable(page, '按承办部门')).map((r) => r.label), POLL).toEqual(['司法局']);
    const justice = await api(page, `/v1/supervision/summary${query}`);
    const heat = await readTable(page, '县（市）区 × 部门：本周到期');
    expect(heat.map((r) => [r.label, r.cells['司法局']])).toEqual(justice.byCountyDepartment.map((x: any) => [x.county.label, String(x.dueThisWeek)]));

    // Another person opens the shared link: the login page, then the same filtered view.
    const other = await newPage();
    try {
      await login(other.page, 'supervisor', new URL(shared).pathname + new URL(shared).search);
      expect(other.page.url()).toBe(shared);
      await expect.poll(async () => (await readTable(other.page, '按承办部门')).map((r) => r.label), POLL).toEqual(['司法局']);
      const overdue = await other.page.getByRole('link', { name: /^逾期：/ }).getAttribute('aria-label');
      expect(overdue).toBe(`逾期：${justice.totals.overdue}`);
      await check(other.page, 'dashboard-04-shared-view');
    } finally {
      await other.context.close();
    }
  });

  it('stuck cases, escalations, workload and failing workflows render with the seeded data', async () => {
    const { page } = ctx;
    await page.goto(`${base}/dashboard/stuck?days=3`);
    const stuck = await all(page, '/v1/supervision/stuck?days=3');
    expect(stuck.length).toBeGreaterThan(0);
    expect(await loadWholeList(page)).toBe(stuck.length);
    expect(await page.getByLabel('连续无办理动作的工作日数').inputValue()).toBe('3');
    await check(page, 'dashboard-05-stuck');

    await page.getByRole('navigation', { name: '督办' }).getByRole('link', { name: '督办升级' }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard/escalations');
    const escalations = await api(page, '/v1/supervision/escalations?limit=100');
    expect(escalations.items.length).toBeGreaterThan(0);
    await expect.poll(() => page.locator('tbody tr.ant-table-row').count(), POLL).toBe(escalations.items.length);
    // Plan periods short of their cadence are there, with the department they went to.
    await page.getByText(/服务计划，\d{4}-\d{2}/).first().waitFor();
    await check(page, 'dashboard-06-escalations');
    await page.getByLabel('处置', { exact: true }).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '未处置' }).click();
    await page.waitForURL((url) => url.searchParams.get('acted') === 'false');
    const pending = await api(page, '/v1/supervision/escalations?limit=100&acted=false');
    await expect.poll(() => page.locator('tbody tr.ant-table-row').count(), POLL).toBe(pending.items.length);
    // Who it went to, named: a county department or the leadership group's office.
    await page.getByRole('cell', { name: /^(永宁县|贺兰县)(司法局|民政局|残联)$/ }).first().waitFor();
    // A date range in the URL (Beijing days): the rows the API gives for those instants.
    const since = shanghaiDate(new Date(Date.now() - 14 * 86_400_000));
    await page.goto(`${base}/dashboard/escalations?acted=false&from=${since}`);
    const recent = await api(page, `/v1/supervision/escalations?limit=100&acted=false&from=${encodeURIComponent(`${since}T00:00:00+08:00`)}`);
    expect(recent.items.length).toBeLessThan(pending.items.length);
    await expect.poll(() => page.locator('tbody tr.ant-table-row').count(), POLL).toBe(recent.items.length);

    await page.goto(`${base}/dashboard/workload`);
    const workload = await api(page, '/v1/supervision/workload');
    await expect.poll(() => page.locator('tbody tr.ant-table-row').count(), POLL).toBe(workload.items.length);
    const busiest = workload.items.find((w: any) => w.assignee && w.overdue > 0);
    await page.getByRole('row', { name: new RegExp(busiest.label.replace(/[()（）]/g, '.')) }).locator('td').nth(2).getByRole('link').click();
    await page.waitForURL((url) => url.pathname === '/dashboard/cases' && url.searchParams.get('assignee') === busiest.assignee.id);
    expect(await loadWholeList(page)).toBe(busiest.overdue);
    await page.goto(`${base}/dashboard/workload`);
    await page.locator('tbody tr.ant-table-row').first().waitFor();
    await check(page, 'dashboard-07-workload');

    await page.goto(`${base}/dashboard/failing`);
    const failing = await api(page, '/v1/supervision/failing');
    if (failing.total === 0) await page.getByText(/当前没有异常的工作流/).waitFor();
    else await page.getByText(`${failing.total} 个工作流的任务连续失败`).waitFor();
    await check(page, 'dashboard-08-failing');
  });

  it('a county coordinator sees only their county in every chart, table and list, even with another county in the URL', async () => {
    await ctx.context.close();
    ctx = await newPage();
    const { page } = ctx;
    await login(page, 'coordinator', '/dashboard');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await expectDashboardEqualsApi(page);
    expect((await readTable(page, '按县（市）区')).map((r) => r.label)).toEqual([A.label]);
    expect((await readTable(page, '县（市）区 × 部门')).map((r) => r.label)).toEqual([A.label]);
    const mine = await api(page, '/v1/supervision/summary');
    const supervisorsView = await stack.db.$client`select count(*) filter (where county = ${A.code})::int as a, count(*)::int as total from cases where status = 'open'`;
    expect(mine.totals.open).toBe(supervisorsView[0].a);
    expect(mine.totals.open).toBeLessThan(supervisorsView[0].total);
    expect(await page.locator('#main').innerText()).not.toContain(B.label);
    // Chart labels are SVG text: no other county there either.
    expect((await page.locator('[role="img"] svg text').allTextContents()).join(' ')).not.toContain(B.label);
    await check(page, 'dashboard-09-coordinator');

    // Another county typed into the URL: the page says it is outside the scope and shows nothing of it.
    await page.goto(`${base}/dashboard?county=${B.code}`);
    await page.getByText('筛选的县（市）区或部门不在您的管辖范围内').waitFor();
    const headline = await page.getByRole('link', { name: /^在办：/ }).getAttribute('aria-label');
    expect(headline).toBe('在办：0');
    expect((await api(page, `/v1/supervision/summary?county=${B.code}`)).totals.open).toBe(0);
    expect(await page.locator('#main').innerText()).not.toContain(B.label);
    await check(page, 'dashboard-10-coordinator-other-county');
    for (const path of [`/dashboard/cases?figure=open&county=${B.code}`, '/dashboard/cases?figure=open', '/dashboard/stuck?days=1', '/dashboard/escalations', '/dashboard/workload']) {
      await page.goto(`${base}${path}`);
      await page.waitForLoadState('networkidle');
      await page.locator('.ant-table').first().waitFor();
      expect(await page.locator('#main').innerText(), path).not.toContain(B.label);
    }
    expect((await all(page, '/v1/supervision/cases?figure=open')).every((c) => c.county.code === A.code)).toBe(true);
  });

  it('a department lead (贺兰县司法局) lands on the dashboard scoped to that county and department', async () => {
    await ctx.context.close();
    ctx = await newPage();
    const { page } = ctx;
    await login(page, 'lead');
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await expectDashboardEqualsApi(page);
    expect((await readTable(page, '按县（市）区')).map((r) => r.label)).toEqual([B.label]);
    expect((await readTable(page, '按承办部门')).map((r) => r.label)).toEqual(['司法局']);
    // Nothing to choose between: one county, one department.
    expect(await page.getByLabel('县（市）区', { exact: true }).count()).toBe(0);
    expect(await page.getByLabel('承办部门', { exact: true }).count()).toBe(0);
    const [own] = await stack.db.$client`select count(*)::int as n from cases where status = 'open' and county = ${B.code} and department = 'JUSTICE'`;
    expect((await api(page, '/v1/supervision/summary')).totals.open).toBe(own.n);
    await check(page, 'dashboard-11-department-lead');
  });
});
