/**
 * Notifications in the console (issue 19) in a real browser against the real stack (API serving
 * web/dist, a Temporal worker whose WeCom robot is a local HTTP receiver, PostgreSQL, the dev server).
 *
 * A field worker on a phone is assigned a case through the API: the header's bell counts it, the inbox
 * shows the notice with the masked name and the case number, how the WeCom robot answered (it answers
 * 500 here, so the delivery failed) and a link to the task; marking it read brings the count down. The
 * preferences form marks the API's field error for a bad email address. An admin finds the failed
 * delivery with the robot's answer, fixes nothing but the robot, and sends it again: it arrives.
 * Each page is checked with axe-core and saved as a screenshot.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { notificationActivities } from '../../activities/notifications';
import { loadConfig, notifyConfig, type Config } from '../../config';
import type { Db } from '../../db/client';
import { notificationDeliveries, notifications } from '../../db/schema';
import { maskName } from '../../domain/notifications';
import { notificationWorkflowId } from '../../workflows/notificationContract';
import { startStack, testDb, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser, withPassword, type TestUser } from '../support/fixtures';
import { freePort } from '../support/process';
import { ROBOT_OK, startHttpReceiver, type HttpReceiver } from '../support/receivers';
import { post } from '../integration/casesSupport';
import { checkPage, launchBrowser, screenshot, watchErrors, logIn, serveConsole } from './browser';

const COUNTY = '640122';
const PASSWORD = 'browser-test-pass-2';
const SUBJECT_NAME = '欧阳秀兰';
/** Waiting for the server or the page: generous, for a machine busy with the rest of the suite. */
const POLL = { timeout: 30_000, interval: 250 };

let stack: TestStack;
let activityDb: Db;
let http: HttpReceiver;
let browser: Browser;
let base: string;
let coordinator: TestUser;
let worker: TestUser & { username: string };
let admin: TestUser & { username: string };
let caseId = '';
let notificationId = '';
/** The WeCom robot is down (answers 500) until the admin's resend. */
let robotDown = true;

async function login(page: Page, user: { username: string }) {
  await logIn(page, `${base}/login`, user.username, PASSWORD);
}

/** What the header's bell says (its accessible name), after the window regains the focus (the bell asks again then). */
async function bellAfterFocus(page: Page): Promise<string | null> {
  await page.evaluate(() => (globalThis as any).document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
  return page.getByRole('link', { name: /^消息：/ }).getAttribute('aria-label');
}

beforeAll(async () => {
  http = await startHttpReceiver();
  http.handler = (req) => (req.path.startsWith('/wecom') && robotDown ? { status: 500, body: { errcode: -1, errmsg: 'system busy' } } : ROBOT_OK);
  const overrides: Partial<Config> = {
    NOTIFY_WECOM_WEBHOOK_URL: `${http.url}/wecom/cgi-bin/webhook/send?key=k`,
    // Offered in the preferences (nobody here gets as far as sending to it).
    NOTIFY_SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
    NOTIFY_QUIET_HOURS: '00:00-00:00', NOTIFY_MAX_ATTEMPTS: 2, NOTIFY_RETRY_INITIAL_MS: 500, NOTIFY_TIMEOUT_MS: 3000,
  };
  activityDb = testDb();
  stack = await startStack(overrides, notificationActivities({ db: activityDb, notify: notifyConfig({ ...loadConfig({}), ...overrides } as Config) }));
  base = await serveConsole(stack);
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  worker = await withPassword(stack.db, await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] }), PASSWORD, '杜上门');
  admin = await withPassword(stack.db, await makeUser(stack.db, 'admin', { cityLevel: true }), PASSWORD, '钱管理员');
  // The worker also wants WeCom messages (set through the API, as the preferences page does).
  const prefs = await stack.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: worker.auth, payload: { channels: ['wecom'] } });
  expect(prefs.statusCode, prefs.body).toBe(200);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await activityDb?.$client.end({ timeout: 5 });
  await http?.close();
});

describe('notifications in the console', { timeout: 180_000 }, () => {
  let phone: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    // A field worker's phone, its clock in another zone: times still read as Beijing time.
    phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'America/Los_Angeles' });
    page = watchErrors(await phone.newPage());
    page.setDefaultTimeout(30_000);
  });
  afterAll(async () => { await phone?.close(); });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    await screenshot(page, `failed-notifications-${ctx.task.name.slice(0, 30)}`).catch(() => undefined);
    console.log(`page at failure: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
  });

  it('a worker assigned a case sees the bell count go up, reads the notice in the inbox and marks it read', async () => {
    await login(page, worker);
    await page.getByRole('heading', { name: '我的任务' }).waitFor();
    expect(await bellAfterFocus(page)).toBe('消息：没有未读');

    const subject = await makeSubject(stack.db, { county: COUNTY, name: SUBJECT_NAME });
    const opened = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' }, `n-${randomUUID()}`);
    expect(opened.statusCode, opened.body).toBe(201);
    caseId = opened.json().id;
    const assigned = await post(stack, coordinator, `/v1/cases/${caseId}/assign`, { assignee: worker.id }, `a-${randomUUID()}`);
    expect(assigned.statusCode, assigned.body).toBe(200);

    // The bell counts it without a reload.
    await expect.poll(() => bellAfterFocus(page), POLL).toBe('消息：1 条未读');
    // …and the task list on screen is asked again: the new case is there too.
    await page.locator(`a[href="/tasks/${caseId}"]`).first().waitFor();
    await checkPage(page, 'notifications-01-worker-bell');

    // Its WeCom delivery: the robot answers 500 twice, so it finally fails (the inbox has it regardless).
    const [n] = await eventually(async () => {
      const rows = await stack.db.select().from(notifications).where(and(eq(notifications.caseId, caseId), eq(notifications.recipientId, worker.id)));
      return rows.length > 0 && rows;
    });
    notificationId = n.id;
    await stack.client.workflow.execute('notificationDispatch', { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, workflowId: `dispatch-${randomUUID()}` });
    expect(await stack.client.workflow.getHandle(notificationWorkflowId(n.id)).result()).toEqual({ wecom: 'failed' });

    await page.getByRole('link', { name: /^消息：/ }).click();
    await page.getByRole('heading', { name: '消息（1 条未读）' }).waitFor();
    const notice = page.locator('.notice').filter({ hasText: caseId });
    await notice.waitFor();
    const text = await notice.innerText();
    expect(text).toContain('有新案件分派给您');
    expect(text).toContain(`案件编号：${caseId}`);
    expect(text).toContain(`服务对象：${maskName(SUBJECT_NAME)}`);
    expect(text).not.toContain(SUBJECT_NAME);
    expect(text).toContain('未读');
    expect(text).toContain('企业微信群机器人：发送失败（尝试 2 次）');
    // The time in Beijing time, although the phone's zone is Los Angeles.
    const beijing = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(n.createdAt);
    expect(text).toContain(beijing);
    // The link opens the worker's task page of the case.
    expect(await notice.getByRole('link', { name: '查看案件' }).getAttribute('href')).toBe(`/tasks/${caseId}`);
    await checkPage(page, 'notifications-02-inbox');

    await notice.getByRole('button', { name: /^标为已读/ }).click();
    await page.getByRole('heading', { name: '消息（0 条未读）' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: /^消息：/ }).getAttribute('aria-label'), POLL).toBe('消息：没有未读');
    expect(await notice.innerText()).toContain('已读');
    const [row] = await stack.db.select().from(notifications).where(eq(notifications.id, n.id));
    expect(row.readAt).not.toBeNull();
    // Unread only: nothing left.
    await page.getByText('仅未读').click();
    await page.getByText('没有未读消息').waitFor();
    expect(await page.getByRole('radio', { name: '仅未读' }).isChecked()).toBe(true);
    await checkPage(page, 'notifications-03-inbox-unread-empty');
    await page.getByText('全部', { exact: true }).click();
    await notice.getByRole('link', { name: '查看案件' }).click();
    await page.waitForURL(`${base}/tasks/${caseId}`);
  });

  it('the preferences form marks the API\'s field error for a bad email address, and saves a good one', async () => {
    await page.goto(`${base}/inbox`);
    await page.getByRole('button', { name: '通知设置' }).click();
    await page.getByRole('heading', { name: '通知设置' }).waitFor();
    // Configured channels can be chosen; the others say they are not available.
    await expect.poll(() => page.getByRole('checkbox', { name: /企业微信群机器人/ }).isChecked(), POLL).toBe(true);
    expect(await page.getByRole('checkbox', { name: /钉钉群机器人/ }).isDisabled()).toBe(true);
    expect(await page.locator('main, #main').first().innerText()).toContain('本系统未配置');
    await page.getByRole('checkbox', { name: /电子邮件/ }).check();
    await page.getByLabel('电子邮箱').fill('du.shangmen@');
    await page.getByRole('button', { name: '保存' }).click();
    const field = page.locator('.ant-form-item-has-error').filter({ hasText: '电子邮箱' });
    // The API's reason, shown under the field itself.
    await field.locator('.ant-form-item-explain-error').filter({ hasText: '请填写有效的电子邮箱' }).waitFor();
    await page.getByRole('alert').filter({ hasText: '未保存' }).waitFor();
    await checkPage(page, 'notifications-04-settings-error');
    // Nothing was saved.
    const before = await stack.app.inject({ url: '/v1/me/notification-preferences', headers: worker.auth });
    expect(before.json().email).toBeNull();

    await page.getByLabel('电子邮箱').fill('du.shangmen@example.gov.cn');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('通知设置已保存').waitFor();
    expect(await page.locator('.ant-form-item-has-error').count()).toBe(0);
    const saved = (await stack.app.inject({ url: '/v1/me/notification-preferences', headers: worker.auth })).json();
    expect(saved.email).toBe('du.shangmen@example.gov.cn');
    expect(saved.channels.filter((c: { enabled: boolean }) => c.enabled).map((c: { channel: { code: string } }) => c.channel.code)).toEqual(['wecom', 'email']);
  });

  it('an admin sees the failed delivery with the robot\'s answer and sends it again once the robot is back', async () => {
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const a = watchErrors(await desk.newPage());
    a.setDefaultTimeout(30_000);
    try {
      await login(a, admin);
      await a.getByRole('link', { name: '通知发送失败' }).click();
      await a.getByRole('heading', { name: '通知发送失败' }).waitFor();
      const row = a.locator('tr').filter({ hasText: '杜上门' }).filter({ has: a.locator(`a[href="/cases/${caseId}"]`) });
      await row.waitFor();
      const text = await row.innerText();
      expect(text).toContain('企业微信群机器人');
      expect(text).toContain('新分派案件');
      expect(text).toContain('system busy');
      expect(text).toMatch(/\b2\b/);
      await checkPage(a, 'notifications-05-admin-failed');

      robotDown = false;
      const before = http.requests.length;
      await row.getByRole('button', { name: /^重新发送/ }).click();
      const result = a.getByRole('status').filter({ hasText: '重新发送' });
      await result.waitFor();
      await expect.poll(() => result.innerText(), POLL).toContain('杜上门 · 企业微信群机器人：已重新发送，不再列为失败');
      await row.waitFor({ state: 'detached' });
      // The robot got it this time, and the delivery is recorded as sent after three attempts in all.
      await expect.poll(() => http.requests.slice(before).filter((r) => r.path.startsWith('/wecom') && r.text.includes(caseId)).length, POLL).toBe(1);
      await expect.poll(async () => {
        const [d] = await stack.db.select().from(notificationDeliveries).where(and(eq(notificationDeliveries.notificationId, notificationId), eq(notificationDeliveries.channel, 'wecom')));
        return [d.status, d.attempts];
      }, POLL).toEqual(['sent', 3]);
      await checkPage(a, 'notifications-06-admin-resent');
    } finally {
      await desk.close();
    }
    // The worker's inbox says so too.
    await page.goto(`${base}/inbox`);
    await page.locator('.notice').filter({ hasText: caseId }).filter({ hasText: '企业微信群机器人：已发送（尝试 3 次）' }).waitFor();
  });
});
