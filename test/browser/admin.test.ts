/**
 * Plans oversight and administration in the console (issue #14) in Chromium against the real stack
 * (API serving web/dist, a Temporal worker, the dev server, PostgreSQL in a database of its own, so that
 * lists and the audit log hold only what this file made).
 *
 * An admin creates a county coordinator, sees the password policy refuse a weak password and sets a good
 * one; the new user logs in and sees only their county's plans; disabled, they cannot log in; a token
 * issued for them is shown once, works on the API, and is refused once revoked. The audit log shows
 * those actions and its filters (kept in the URL) narrow it. The catalog shows the twelve items, read
 * only. A plan that started two months ago with no session has two real shortfalls (checked by its
 * workflow): it is red in the list with what was missing, and its page shows each period against the
 * cadence and the session recorded this month. A county coordinator sees only their county's plans and
 * gets a clear refusal for another county's plan page. Every page is checked with axe-core and saved
 * as a screenshot.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { authUserOf } from '../../api/sessions';
import { enrolPlan } from '../../api/services/enrolPlan';
import { planPeriods, plans, users } from '../../db/schema';
import { CATALOG } from '../../domain/catalog';
import { addDaysToDate, shanghaiDate, weekStart } from '../../domain/calendar';
import { naturalPeriod, periodKeyOf } from '../../domain/planPeriods';
import type { TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser, uniqueIdNumber, withPassword, type TestUser } from '../support/fixtures';
import { checkPage, screenshot, watchErrors, logIn, settled, ownConsoleStack, type ConsoleStack } from './browser';

const PASSWORD = 'admin-browser-pass-1';
const NEW_USER = 'lw.zhao';
const NEW_PASSWORD = 'Lingwu-Desk-2026';
const XQ = '640104';
const XX = '640105';
const LW = '640181';
const POLL = { timeout: 30_000, interval: 250 };
const rehabProvider = { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' };

let env: ConsoleStack;
let stack: TestStack;
let browser: Browser;
let base: string;
let admin: TestUser & { username: string };
let xqCoordinator: TestUser & { username: string };
/** The 兴庆区 plan that started two months ago: two checked periods, both short. */
let shortPlanId = '';
/** A plan of 灵武市, out of the 兴庆区 coordinator's scope. */
let lwPlanId = '';
/** A 西夏区 送教上门 plan (weekly cadence) that started eight weeks ago: its past periods checked week by week, none served. */
let weeklyPlanId = '';
/** The periods ('YYYY-MM') of the weekly plan checked before this week, oldest first. */
let weeklyPastKeys: string[] = [];
let newUserId = '';

async function login(page: Page, username: string, password = PASSWORD) {
  await logIn(page, `${base}/login`, username, password, { wait: false });
}

/** Picks an option of an antd Select found by its label (inside `within`, a dialog, when given). */
async function choose(page: Page, label: string, option: string, within: Page | Locator = page) {
  await within.getByLabel(label, { exact: true }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: option }).first().click();
}

/** A child of `county` aged about three, with a plain name. */
const child = (county: string, name: string) => makeSubject(stack.db, { county, name, idNumber: uniqueIdNumber(county, Number(shanghaiDate(new Date()).slice(0, 4)) - 3) });

const api = (path: string, token: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  env = await ownConsoleStack();
  ({ stack, base, browser } = env);
  admin = await withPassword(stack.db, await makeUser(stack.db, 'admin', { cityLevel: true }), PASSWORD, '钱管理员');
  xqCoordinator = await withPassword(stack.db, await makeUser(stack.db, 'coordinator', { counties: [XQ] }), PASSWORD, '兴庆协调员');
  const lwCoordinator = await makeUser(stack.db, 'coordinator', { counties: [LW] });
  const worker = await makeUser(stack.db, 'worker', { counties: [XQ] });

  // A plan enrolled as of the 1st of the month two months back (as if the coordinator had entered it
  // then): its workflow checks the two past months at once and finds no session in either.
  const today = shanghaiDate(new Date());
  const [y, m] = today.split('-').map(Number);
  const back = new Date(Date.UTC(y, m - 3, 1));
  const start = back.toISOString().slice(0, 10);
  const xqChild = await child(XQ, '马小兰');
  const [coordRow] = await stack.db.select().from(users).where(eq(users.id, xqCoordinator.id));
  const enrolled = await enrolPlan(
    { db: stack.db, temporal: stack.client, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, now: () => new Date(`${start}T02:00:00Z`) },
    authUserOf(coordRow), { subjectId: xqChild.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true }, provider: rehabProvider, startDate: start } as never, undefined,
  );
  shortPlanId = enrolled.state.input.planId;
  await eventually(async () => (await stack.db.select().from(planPeriods).where(eq(planPeriods.planId, shortPlanId))).length === 2, 60_000, 250);
  await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.id, shortPlanId), eq(plans.status, 'active'), eq(plans.lastPeriodCompliant, false))))[0], 60_000, 250);
  // This month: one session so far, by the institution's therapist.
  const session = await stack.app.inject({
    method: 'POST', url: `/v1/plans/${shortPlanId}/sessions`, headers: worker.auth,
    payload: { date: today, units: 60, providerStaff: '康复师李芳', content: '上门开展运动功能训练' },
  });
  expect(session.statusCode, session.body).toBe(201);

  // 送教上门 for a pupil of 西夏区, enrolled as of the Monday eight weeks back: every period that ended
  // since is checked at once, week by week, and no week had a session. This week: one session long
  // enough (2 class hours) and one too short (1.5) to count.
  const weeklyCadence = CATALOG.items.find((i) => i.code === 'HOME_SCHOOLING')!.cadence!;
  const thisMonday = weekStart(today);
  const weeklyStart = addDaysToDate(thisMonday, -56);
  const currentKey = periodKeyOf(weeklyCadence, today);
  weeklyPastKeys = [...new Set(Array.from({ length: 8 }, (_, i) => periodKeyOf(weeklyCadence, addDaysToDate(weeklyStart, 7 * i))))].filter((k) => k !== currentKey);
  const xxCoordinator = await makeUser(stack.db, 'coordinator', { counties: [XX] });
  const [xxRow] = await stack.db.select().from(users).where(eq(users.id, xxCoordinator.id));
  const pupil = await makeSubject(stack.db, { county: XX, name: '周小明', idNumber: uniqueIdNumber(XX, Number(today.slice(0, 4)) - 10) });
  const school = '西夏区特殊教育学校';
  const weekly = await enrolPlan(
    { db: stack.db, temporal: stack.client, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, now: () => new Date(`${weeklyStart}T02:00:00Z`) },
    authUserOf(xxRow), {
      subjectId: pupil.id, itemCode: 'HOME_SCHOOLING', provider: { type: 'school', name: school }, startDate: weeklyStart,
      assessment: {
        schoolingAbility: { assessedBy: '区特教指导中心', assessedOn: weeklyStart, result: '重度肢体残疾，不能随班就读', canAttendSchool: false },
        schoolAssignment: { school, basis: 'household_registration' },
      },
    } as never, undefined,
  );
  weeklyPlanId = weekly.state.input.planId;
  await eventually(async () => (await stack.db.select().from(planPeriods).where(eq(planPeriods.planId, weeklyPlanId))).length === weeklyPastKeys.length, 60_000, 250);
  const xxWorker = await makeUser(stack.db, 'worker', { counties: [XX] });
  for (const [date, units, providerStaff] of [[thisMonday, 2, '王老师'], [today, 1.5, '李老师']] as const) {
    const res = await stack.app.inject({
      method: 'POST', url: `/v1/plans/${weeklyPlanId}/sessions`, headers: xxWorker.auth,
      payload: { date, units, providerStaff, content: '语文、生活适应' },
    });
    expect(res.statusCode, res.body).toBe(201);
  }

  const lwChild = await child(LW, '何小军');
  const lw = await stack.app.inject({
    method: 'POST', url: '/v1/plans', headers: lwCoordinator.auth,
    payload: { subjectId: lwChild.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true }, provider: rehabProvider, startDate: today },
  });
  expect(lw.statusCode, lw.body).toBe(201);
  lwPlanId = lw.json().id;
  await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.id, lwPlanId), eq(plans.status, 'active'))))[0], 60_000, 250);
}, 180_000);

afterAll(async () => { await env?.close(); });

describe('administration and plan oversight in the console', { timeout: 180_000 }, () => {
  let desk: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    desk = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', permissions: ['clipboard-read', 'clipboard-write'] });
    page = watchErrors(await desk.newPage());
    page.setDefaultTimeout(30_000);
    await login(page, admin.username);
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  });
  afterAll(async () => { await desk?.close(); });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    await screenshot(page, `failed-admin-${ctx.task.name.slice(0, 30)}`).catch(() => undefined);
    console.log(`page at failure: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
  });

  it('an admin creates a county coordinator and sets a password (a weak one refused on the field); the user sees only their county', async () => {
    await page.getByRole('link', { name: '系统管理', exact: true }).click();
    await page.waitForURL(`${base}/admin/users`);
    await page.getByRole('link', { name: admin.username }).waitFor();
    await checkPage(page, 'admin-01-users');

    await page.getByRole('button', { name: '新建用户' }).click();
    const dialog = page.getByRole('dialog', { name: '新建用户' });
    await dialog.getByLabel('用户名（登录用）').fill(NEW_USER);
    await dialog.getByLabel('姓名').fill('赵灵武');
    await settled(page);
    await checkPage(page, 'admin-02-create-user');
    await choose(page, '角色', '协调员', dialog);
    await choose(page, '县（市）区', '灵武市', dialog);
    await dialog.locator('.ant-modal-title').click();
    await expect.poll(() => page.locator('.ant-select-dropdown:visible').count(), POLL).toBe(0);
    await dialog.getByRole('button', { name: '创建' }).click();
    await page.waitForURL(/\/admin\/users\/[^/?]+\?created=1$/);
    newUserId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByText('用户已创建').waitFor();
    expect(await page.locator('#main').innerText()).toContain('灵武市 · 全部门');
    const [row] = await stack.db.select().from(users).where(eq(users.id, newUserId));
    expect(row).toMatchObject({ username: NEW_USER, displayName: '赵灵武', role: 'coordinator', counties: [LW], cityLevel: false, disabled: false });

    // The policy's reason, under the field itself.
    await page.getByLabel('新密码').fill('short1');
    await page.getByRole('button', { name: '设置密码' }).click();
    await page.locator('.ant-form-item-has-error').filter({ hasText: '新密码' }).locator('.ant-form-item-explain-error').filter({ hasText: '密码至少 10 个字符' }).waitFor();
    await checkPage(page, 'admin-03-password-refused');
    await page.getByLabel('新密码').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: '设置密码' }).click();
    await page.getByText('密码已设置').waitFor();

    // The list finds them by name, and a county filter that is not theirs leaves them out (both kept in the URL).
    await page.getByRole('button', { name: '返回用户列表' }).click();
    await page.getByLabel('用户名或姓名').fill('赵灵武');
    await page.getByLabel('用户名或姓名').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === '赵灵武');
    await expect.poll(() => page.locator('.ant-table-tbody tr.ant-table-row').allInnerTexts(), POLL).toEqual([expect.stringContaining(NEW_USER)]);
    await choose(page, '县（市）区', '兴庆区');
    await page.getByText('没有符合筛选条件的用户').waitFor();
    expect(new URL(page.url()).searchParams.get('county')).toBe(XQ);

    // The new coordinator logs in and sees 灵武市's plan only.
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
    try {
      const theirs = watchErrors(await other.newPage());
      await login(theirs, NEW_USER, NEW_PASSWORD);
      await theirs.waitForURL(`${base}/workbench`);
      await theirs.getByRole('link', { name: '服务计划', exact: true }).click();
      await theirs.getByRole('link', { name: /何小军/ }).waitFor();
      expect(await theirs.locator('#main').innerText()).not.toContain('马小兰');
      expect(await theirs.locator('.ant-table-tbody tr.ant-table-row').count()).toBe(1);
      await checkPage(theirs, 'admin-04-new-user-plans');
    } finally {
      await other.close();
    }
  });

  it('disabled, the user cannot log in; a token is shown once, works on the API, and is refused once revoked', async () => {
    await page.goto(`${base}/admin/users/${newUserId}`);
    await page.getByRole('button', { name: '停用账号' }).click();
    await page.locator('.ant-popconfirm:visible').getByRole('button', { name: '停用' }).click();
    await page.locator('#main').getByText('已停用').first().waitFor();
    expect((await stack.db.select().from(users).where(eq(users.id, newUserId)))[0].disabled).toBe(true);
    expect(await page.getByRole('button', { name: '签发令牌' }).isDisabled()).toBe(true);

    const other = await browser.newContext({ locale: 'zh-CN' });
    try {
      const theirs = watchErrors(await other.newPage());
      await login(theirs, NEW_USER, NEW_PASSWORD);
      await theirs.getByText('用户名或密码错误').waitFor();
      expect(new URL(theirs.url()).pathname).toBe('/login');
    } finally {
      await other.close();
    }

    await page.getByRole('button', { name: '启用账号' }).click();
    await page.getByRole('button', { name: '停用账号' }).waitFor();
    await page.getByRole('button', { name: '签发令牌' }).click();
    const issue = page.getByRole('dialog', { name: /签发访问令牌/ });
    await issue.getByLabel('名称（用途）').fill('台账对接');
    await issue.getByRole('button', { name: '签发' }).click();
    const shown = page.getByRole('dialog', { name: '令牌已签发' });
    await shown.getByText('令牌只显示这一次').waitFor();
    const token = await shown.getByLabel('访问令牌').inputValue();
    expect(token.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: '复制令牌' }).click();
    await page.getByText('已复制到剪贴板').waitFor();
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(token);
    await settled(page);
    await checkPage(page, 'admin-05-token-shown-once');

    const me = await api('/v1/me', token);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe(NEW_USER);

    await shown.getByRole('button', { name: '我已妥善保存' }).click();
    await shown.waitFor({ state: 'hidden' });
    // Never shown again: not on the page, and the list has no secret.
    expect(await page.content()).not.toContain(token);
    const tokenRow = page.locator('.ant-table-row').filter({ hasText: '台账对接' });
    await tokenRow.getByText('有效').waitFor();
    await checkPage(page, 'admin-06-user');
    await tokenRow.getByRole('button', { name: /吊销/ }).click();
    await page.locator('.ant-popconfirm:visible').getByRole('button', { name: '吊销' }).click();
    await tokenRow.getByText(/已吊销/).waitFor();
    expect((await api('/v1/me', token)).status).toBe(401);
  });

  it('the audit log shows those actions, and its filters narrow it and stay in the URL', async () => {
    await page.getByRole('link', { name: '审计日志', exact: true }).click();
    await page.waitForURL(`${base}/admin/audit`);
    await page.getByText('创建用户').first().waitFor();
    await page.getByLabel('对象编号').fill(newUserId);
    await page.getByLabel('对象编号').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('resourceId') === newUserId);
    const rows = page.locator('.ant-table-tbody tr.ant-table-row');
    const labels = async () => (await rows.allInnerTexts()).map((t) => t.split('\n').map((s) => s.trim()).filter(Boolean));
    // The filtered list: every row is about the new user (the unfiltered one may still be on screen for a moment).
    const filtered = async () => {
      const now = await labels();
      return now.every((r) => r.join(' ').includes(newUserId)) ? now : [];
    };
    await expect.poll(async () => (await filtered()).length, POLL).toBeGreaterThanOrEqual(7);
    const text = (await filtered()).map((r) => r.join(' ')).join('\n');
    for (const action of ['创建用户', '设置用户的登录密码', '修改用户：角色、范围、停用/启用', '签发访问令牌', '吊销访问令牌', '登录', '登录失败']) {
      expect(text, action).toContain(action);
    }
    expect(text).toContain(`钱管理员（${admin.username}）`);
    await checkPage(page, 'admin-07-audit');

    // A long list: typed to narrow it, as a user would.
    await page.getByLabel('操作', { exact: true }).fill('修改用户');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '修改用户：角色、范围、停用/启用' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'PATCH /v1/users/:id');
    await expect.poll(async () => (await labels()).length, POLL).toBe(2);
    // The URL alone restores the view.
    await page.reload();
    await expect.poll(async () => (await labels()).length, POLL).toBe(2);
    expect((await labels()).every((r) => r.join(' ').includes('修改用户'))).toBe(true);
    expect(await page.getByLabel('对象编号').inputValue()).toBe(newUserId);
    await checkPage(page, 'admin-08-audit-filtered');
  });

  it('the catalog shows the twelve service items, read only', async () => {
    await page.getByRole('link', { name: '服务目录', exact: true }).click();
    await page.waitForURL(`${base}/admin/catalog`);
    await page.getByText('只读').first().waitFor();
    const items = page.locator('[role=tabpanel]:visible tr.ant-table-row');
    await expect.poll(() => items.count(), POLL).toBe(12);
    const text = await page.locator('#main').innerText();
    for (const item of CATALOG.items) expect(text).toContain(item.label);
    expect(text).toContain('每月不少于4次');
    // Nothing to edit: no text field, no save button.
    expect(await page.locator('#main input:not([type=hidden]):not([role=tab]), #main textarea').count()).toBe(0);
    expect(await page.getByRole('button', { name: /保存|修改|删除/ }).count()).toBe(0);
    await checkPage(page, 'admin-09-catalog');
  });

  it('plans: a shortfall is red in the list with what was missing; the plan page shows each period and the sessions against the cadence', async () => {
    await page.getByRole('link', { name: '服务计划', exact: true }).click();
    await page.waitForURL(`${base}/oversight/plans`);
    const shortRow = page.locator('tr.ant-table-row').filter({ hasText: '马小兰' });
    await shortRow.waitFor();
    expect(await shortRow.getAttribute('class')).toContain('row-shortfall');
    const rowText = await shortRow.innerText();
    expect(rowText).toContain('未达标');
    expect(rowText).toMatch(/实际0次.*差4次/);
    const lwRow = page.locator('tr.ant-table-row').filter({ hasText: '何小军' });
    expect(await lwRow.getAttribute('class')).not.toContain('row-shortfall');
    await checkPage(page, 'admin-10-plans');

    // Only shortfalls, and one county: kept in the URL.
    await page.getByText('只看未达标').click();
    await page.waitForURL((url) => url.searchParams.get('lastCompliant') === 'false');
    await lwRow.waitFor({ state: 'detached' });
    await choose(page, '县（市）区', '兴庆区');
    await page.waitForURL((url) => url.searchParams.get('county') === XQ);
    await page.reload();
    await shortRow.waitFor();
    expect(await page.locator('tr.ant-table-row').count()).toBe(1);

    await shortRow.getByRole('link', { name: /马小兰/ }).click();
    await page.waitForURL(`${base}/oversight/plans/${shortPlanId}`);
    await page.getByRole('heading', { name: /服务计划：马小兰 · 残疾儿童送康复上门/ }).waitFor();
    const main = page.locator('#main');
    await main.getByText('每月不少于4次').first().waitFor();
    const periods = page.locator('section.panel').filter({ hasText: '各期服务与服务频次对照' }).locator('tr.ant-table-row');
    await expect.poll(() => periods.count(), POLL).toBe(3);
    const [current, last, first] = await periods.allInnerTexts();
    const thisMonth = shanghaiDate(new Date()).slice(0, 7);
    expect(current).toContain(thisMonth);
    expect(current).toContain('进行中');
    expect(last).toContain('0 / 4');
    expect(last).toContain('未达标');
    expect(first).toContain('未达标');
    expect(await main.innerText()).toContain('本期');
    expect(await main.innerText()).toMatch(/已完成 1 \/ 要求 4/);
    const sessions = page.locator('section.panel').filter({ hasText: '服务记录（1 次）' });
    await sessions.getByText('康复师李芳').waitFor();
    expect(await sessions.innerText()).toContain('上门开展运动功能训练');
    await checkPage(page, 'admin-11-plan-page');
  });

  it('plans: a weekly cadence (送教上门) shows every week of every period, this week\'s sessions and which of them count', async () => {
    const cadence = CATALOG.items.find((i) => i.code === 'HOME_SCHOOLING')!.cadence!;
    const today = shanghaiDate(new Date());
    const md = (d: string) => `${d.slice(5, 7)}月${d.slice(8, 10)}日`;
    const weeksOf = (key: string) => {
      const nat = naturalPeriod(cadence, key);
      return Array.from({ length: (Date.parse(nat.end) - Date.parse(nat.start) + 86_400_000) / (7 * 86_400_000) }, (_, i) => addDaysToDate(nat.start, 7 * i));
    };
    await page.goto(`${base}/oversight/plans`);
    const row = page.locator('tr.ant-table-row').filter({ hasText: '周小明' });
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('row-shortfall');
    // The last checked period's weeks; those before the plan began (if it began in that period) are not checked.
    const lastKey = weeklyPastKeys.at(-1)!;
    const lastWeeks = weeksOf(lastKey);
    const weeklyStart = addDaysToDate(weekStart(today), -56);
    const covered = lastWeeks.filter((monday) => monday >= weeklyStart);
    const firstCovered = lastWeeks.indexOf(covered[0]);
    // Its progress in the list is this week's, said so (the period's earlier weeks fell short).
    expect(await row.innerText()).toContain(`${periodKeyOf(cadence, today)} 本周：`);
    expect(await row.innerText()).toContain(`第${firstCovered + 1}周（${md(covered[0])}至${md(addDaysToDate(covered[0], 6))}）无服务记录`);

    await row.getByRole('link', { name: /周小明/ }).click();
    await page.waitForURL(`${base}/oversight/plans/${weeklyPlanId}`);
    await page.getByRole('heading', { name: /服务计划：周小明 · 送教上门/ }).waitFor();
    const main = page.locator('#main');
    await main.getByText('每周不少于1次，每次不少于2课时').first().waitFor();
    expect(await main.innerText()).toContain('方案规定');
    // This week: the 2-hour session counts, the 1.5-hour one does not.
    expect(await main.innerText()).toContain('本周 2/2 课时');

    const periods = page.locator('section.panel').filter({ hasText: '各期服务与服务频次对照' }).locator('tr.ant-table-row');
    await expect.poll(() => periods.count(), POLL).toBe(weeklyPastKeys.length + 1);
    const currentKey = periodKeyOf(cadence, today);
    const currentWeeks = weeksOf(currentKey);
    const [current, last] = await periods.allInnerTexts();
    expect(current).toContain(currentKey);
    expect(current).toContain('进行中');
    // One session counted so far, against one a week for every whole week of the period.
    expect(current).toContain(`1 / ${currentWeeks.length}`);
    expect(last).toContain(lastKey);
    expect(last).toContain(`0 / ${covered.length}`);
    expect(last).toContain('未达标');

    // The current period, week by week: weeks gone by with nothing are short already, this week has its two sessions, the rest are to come.
    // (Rows by their period: an expanded row holds a table of its own.)
    const periodRow = (key: string) => page.locator(`section.panel tr.ant-table-row[data-row-key="${key}"]`);
    await periodRow(currentKey).locator('button.ant-table-row-expand-icon').click();
    const thisMonday = weekStart(today);
    const tagsNow = page.locator('tr.ant-table-expanded-row').first().locator('.ant-tag');
    await expect.poll(() => tagsNow.count(), POLL).toBe(currentWeeks.length);
    const nowTexts = await tagsNow.allInnerTexts();
    currentWeeks.forEach((monday, i) => {
      const head = `第${i + 1}周 ${monday.slice(5)}–${addDaysToDate(monday, 6).slice(5)}`;
      expect(nowTexts[i]).toContain(head);
      if (monday < thisMonday) expect(nowTexts[i]).toContain('服务 0 次，计入 0 次 未达标');
      else if (monday === thisMonday) expect(nowTexts[i]).toContain('服务 2 次，计入 1 次（本周进行中）');
      else expect(nowTexts[i]).toContain('（未到）');
    });
    // The last checked period: every week red, and what was missing named week by week.
    await periodRow(lastKey).locator('button.ant-table-row-expand-icon').click();
    const tagsLast = page.locator('tr.ant-table-expanded-row').nth(1).locator('.ant-tag');
    await expect.poll(() => tagsLast.count(), POLL).toBe(lastWeeks.length);
    (await tagsLast.allInnerTexts()).forEach((t, i) => {
      expect(t).toContain(i < firstCovered ? '服务 0 次，计入 0 次（计划未覆盖整周，不核查）' : '服务 0 次，计入 0 次 未达标');
    });
    const sessions = page.locator('section.panel').filter({ hasText: '服务记录（2 次）' });
    await sessions.getByText('王老师').waitFor();
    expect(await sessions.innerText()).toContain('1.5 课时');
    await checkPage(page, 'admin-11b-weekly-plan');
  });

  it('scope: a county coordinator sees only their county\'s plans and gets a clear refusal for another county\'s plan', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
    try {
      const theirs = watchErrors(await other.newPage());
      theirs.setDefaultTimeout(30_000);
      await login(theirs, xqCoordinator.username);
      await theirs.waitForURL(`${base}/workbench`);
      await theirs.goto(`${base}/oversight/plans`);
      await theirs.getByRole('link', { name: /马小兰/ }).waitFor();
      expect(await theirs.locator('#main').innerText()).not.toContain('何小军');
      expect(await theirs.locator('#main').innerText()).not.toContain('周小明');
      // Even asking for the other county by URL shows nothing of it.
      await theirs.goto(`${base}/oversight/plans?county=${LW}`);
      await theirs.getByText('没有符合筛选条件的服务计划').waitFor();
      await checkPage(theirs, 'admin-12-coordinator-plans');

      await theirs.goto(`${base}/oversight/plans/${lwPlanId}`);
      await theirs.getByText('未找到').first().waitFor();
      expect(await theirs.locator('#main').innerText()).not.toContain('何小军');
      await checkPage(theirs, 'admin-13-other-county-refused');
      // The administration pages are not theirs.
      await theirs.goto(`${base}/admin/users`);
      await theirs.waitForURL(`${base}/workbench`);
    } finally {
      await other.close();
    }
  });
});
