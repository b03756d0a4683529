/**
 * The console in a real browser (Debian's Chromium through playwright-core) against the real stack:
 * the API serving web/dist, a Temporal worker, PostgreSQL and the Temporal dev server.
 *
 * One case's life, as its people live it: a coordinator (keyboard login) registers a subject with
 * live ID-number validation, records a survey with its eligibility shown as it is answered, opens a
 * case and assigns it; a field worker on a 390×844 phone books the visit, loses the network, attaches
 * two photos and a signature and reports the visit, reloads (nothing lost), and when the network
 * returns the outbox drains (the server got each upload and the report exactly once); a reviewer
 * approves after viewing the evidence; the delivery is recorded and the case shows 已办结 with its
 * timeline. Every page is checked with axe-core and saved as a screenshot.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { users } from '../../db/schema';
import { createUser } from '../../db/queries/users';
import { hashPassword } from '../../api/passwords';
import { findAction } from '../../domain/catalog';
import { shanghaiDate, addDaysToDate } from '../../domain/calendar';
import { startStack, type TestStack } from '../support/env';
import { uniqueIdNumber } from '../support/fixtures';
import { checkPage, launchBrowser, pngFile, screenshot, watchErrors, logIn, serveConsole } from './browser';

const COUNTY = '640121';
/** Waiting for the server or the page: generous, for a machine busy with the rest of the suite. */
const POLL = { timeout: 30_000, interval: 100 };
const PASSWORD = 'browser-test-pass-1';
const ITEM = 'DISABILITY_CERT';
const ACTION = 'CHANGE';

let stack: TestStack;
let browser: Browser;
let base: string;
/** POSTs the API answered, by path pattern and status (to prove the outbox sent each thing once). */
const received: Array<{ method: string; url: string; status: number }> = [];
const people: Record<'coordinator' | 'worker' | 'reviewer', { id: string; username: string; displayName: string }> = {} as never;
const tag = randomUUID().slice(0, 6);
const subjectName = '马秀英';
const idNumber = uniqueIdNumber(COUNTY, 1958);
let caseId = '';

async function makePerson(role: 'coordinator' | 'worker' | 'reviewer', displayName: string, departments: string[]) {
  const username = `${role}-${tag}`;
  const id = await createUser(stack.db, { username, displayName, role, counties: [COUNTY], departments });
  await stack.db.update(users).set({ passwordHash: await hashPassword(PASSWORD) }).where(eq(users.id, id));
  people[role] = { id, username, displayName };
}

async function login(page: Page, role: keyof typeof people) {
  await logIn(page, `${base}/login`, people[role].username, PASSWORD);
}

/** Picks an option of an antd Select by its visible text. */
async function choose(page: Page, label: string | RegExp, option: string | RegExp) {
  await page.getByLabel(label).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: option }).first().click();
  await expect.poll(() => page.locator('.ant-select-dropdown:visible').count(), POLL).toBe(0);
}

async function caseView(): Promise<any> {
  const res = await fetch(`${base}/v1/cases/${caseId}`, { headers: { authorization: `Bearer ${coordinatorToken}` } });
  expect(res.status).toBe(200);
  return res.json();
}
let coordinatorToken = '';

beforeAll(async () => {
  stack = await startStack();
  stack.app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST') received.push({ method: request.method, url: request.url, status: reply.statusCode });
  });
  base = await serveConsole(stack);
  const dept = findAction(ITEM, ACTION)!.action.implementing;
  await makePerson('coordinator', '王协调员', []);
  await makePerson('worker', '李上门', [dept]);
  await makePerson('reviewer', '赵审核', [dept]);
  const { issueToken } = await import('../../db/queries/users');
  coordinatorToken = (await issueToken(stack.db, people.coordinator.id)).token;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

// Each step is a person's whole task in a real browser: minutes allowed on a loaded machine (each takes seconds alone).
describe('the console, one case from registration to 已办结', { timeout: 180_000 }, () => {
  let desk: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = watchErrors(await desk.newPage());
    page.setDefaultTimeout(30_000);
  });
  afterAll(async () => { await desk?.close(); });
  // A failed step leaves a picture of the desk page and what it said, to see why.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    await screenshot(page, `failed-${ctx.task.name.slice(0, 40)}`).catch(() => undefined);
    console.log(`page at failure: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
  });

  it('a coordinator logs in with the keyboard alone and sees who they are and today\'s figures', async () => {
    await page.goto(base);
    await page.getByLabel('用户名').waitFor();
    expect(page.url()).toContain('/login');
    await checkPage(page, '01-login');
    // The username field has the focus; Tab to the password, Enter submits.
    await page.keyboard.type(people.coordinator.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /工作台/ }).waitFor();
    const header = page.getByLabel('当前用户');
    await expect.poll(() => header.textContent(), POLL).toContain('王协调员');
    await expect.poll(() => header.textContent(), POLL).toContain('协调员');
    expect(await page.locator('body').textContent()).toContain('永宁县');
    await page.getByText('今日新开案').waitFor();
    // First Tab: the skip link; Enter moves the focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe('跳到主要内容');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('main');
    await checkPage(page, '02-workbench');
  });

  it('registers a subject: the ID number is checked as typed, a bad phone is marked on its field', async () => {
    await page.getByRole('button', { name: '登记服务对象' }).click();
    await page.getByRole('heading', { name: '登记服务对象' }).waitFor();
    const id = page.getByLabel('身份证号码');
    // A wrong check character: the field says so.
    const wrong = idNumber.slice(0, 17) + (idNumber[17] === '0' ? '1' : '0');
    await id.fill(wrong);
    await page.getByText(/校验码/).waitFor();
    await id.fill(idNumber);
    const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
    const sex = Number(idNumber[16]) % 2 === 1 ? '男' : '女';
    await page.getByText(`✓ 号码有效：${sex}，出生日期 ${birth}`).waitFor();
    await page.getByLabel('姓名', { exact: true }).fill(subjectName);
    await choose(page, '县（市）区', '永宁县');
    await page.getByLabel('乡镇（街道）').fill('杨和镇');
    await page.getByLabel('村（社区）').fill('纳家户村');
    await page.getByLabel('详细地址').fill('三组 18 号');
    await page.getByLabel('联系电话').fill('12345');
    await page.getByLabel(/已同意在相关部门间共享/).check();
    await checkPage(page, '03-subject-new');
    await page.getByRole('button', { name: '登记' }).last().click();
    // The API's 400 names body.phone: the field is marked and the alert says why.
    await page.getByRole('alert').filter({ hasText: /操作未成功/ }).waitFor();
    await page.locator('.ant-form-item-has-error').filter({ hasText: '联系电话' }).waitFor();
    await page.getByLabel('联系电话').fill('13895001234');
    await page.getByRole('button', { name: '登记' }).last().click();
    await page.getByRole('heading', { name: new RegExp(subjectName) }).waitFor();
    // Masked for the coordinator unless asked: birth-date digits and the phone's middle hidden.
    const text = await page.locator('main, #main').first().textContent();
    expect(text).toContain('138****1234');
    expect(text).not.toContain(idNumber);
    await checkPage(page, '04-subject-detail');
  });

  it('records the survey with the eligibility verdict and its reasons updated as questions are answered', async () => {
    await page.getByRole('button', { name: '需求摸底' }).click();
    await page.getByRole('heading', { name: new RegExp(`需求摸底：${subjectName}`) }).waitFor();
    await page.getByText('资格认定：尚待回答').waitFor();
    await choose(page, '残疾类别', '肢体');
    await choose(page, '残疾等级', '一级');
    const yes = (label: string) => page.locator('.ant-form-item').filter({ hasText: label }).getByText('是', { exact: true }).click();
    await yes('是否行动不便');
    await yes('家庭是否无照护能力');
    await page.getByText('资格认定：符合服务条件').waitFor();
    await checkPage(page, '05-survey');
    await page.getByRole('button', { name: '记录摸底结果' }).click();
    await page.getByText('摸底已记录').waitFor();
    await page.getByRole('button', { name: '返回服务对象档案' }).click();
    await page.getByText(/符合：/).waitFor();
  });

  it('opens a case and assigns it; actions not allowed now are disabled with the reason', async () => {
    await page.getByRole('button', { name: '开案' }).click();
    await page.getByRole('heading', { name: '开案' }).waitFor();
    // An item whose target she is not (盲人按摩 serves blind people): the API's 409 reason is shown, and a
    // coordinator is offered to open anyway with a written reason.
    const blind = findAction('BLIND_MASSAGE', 'BUSINESS_LICENCE')!;
    await choose(page, '服务事项（一次性办理）', blind.item.label);
    await choose(page, '办理事项', blind.action.label);
    await page.getByRole('button', { name: '开案' }).last().click();
    const refusal = page.getByRole('alert').filter({ hasText: '当前不能办理' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('盲人');
    await page.getByLabel('仍予办理的理由').waitFor();
    const { item, action } = findAction(ITEM, ACTION)!;
    await choose(page, '服务事项（一次性办理）', item.label);
    await choose(page, '办理事项', action.label);
    await checkPage(page, '06-case-new');
    await page.getByRole('button', { name: '开案' }).last().click();
    await page.getByRole('heading', { name: /案件：/ }).waitFor();
    caseId = page.url().split('/cases/')[1];
    expect(caseId).toBeTruthy();
    // The step list and a reason for a button that is disabled now.
    await page.getByText('为什么有些操作不可用？').click();
    const reasons = await page.locator('details li').allTextContents();
    expect(reasons.some((r) => r.startsWith('登记上门结果') || r.includes('上门'))).toBe(true);
    await checkPage(page, '07-case-opened');
    await page.getByRole('button', { name: /^分派/ }).click();
    await choose(page, '上门工作人员', '李上门');
    await page.getByRole('button', { name: '确定' }).click();
    await page.locator('.ant-steps-item-process').filter({ hasText: '上门办理' }).waitFor();
    expect((await caseView()).assignee).toBe(people.worker.id);
    // The case list with a filter kept in the URL.
    // Other files' cases of this county share the database: page through (加载更多) until this case shows.
    await page.goto(`${base}/cases?step=visit`);
    const link = page.locator(`a[href="/cases/${caseId}"]`);
    await page.locator('.ant-table-row').first().waitFor();
    for (let pages = 0; !(await link.count()) && pages < 50; pages++) {
      const more = page.getByRole('button', { name: '加载更多' });
      await expect.poll(async () => (await link.count()) > 0 || (await more.count()) > 0, POLL).toBe(true);
      if (await link.count()) break;
      const rows = await page.locator('.ant-table-row').count();
      await more.click();
      await expect.poll(() => page.locator('.ant-table-row').count(), POLL).toBeGreaterThan(rows);
    }
    await link.waitFor();
    await checkPage(page, '08-case-list');
    await page.goto(`${base}/subjects?q=${encodeURIComponent(subjectName)}`);
    await page.getByRole('link', { name: subjectName }).first().waitFor();
    await checkPage(page, '09-subjects');
  });

  it('a field worker on a phone books the visit, works offline, and the outbox sends everything once when the network returns', async () => {
    // A phone whose clock is set to another zone: times are still Beijing time.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'America/Los_Angeles' });
    const w = watchErrors(await phone.newPage());
    w.setDefaultTimeout(30_000);
    try {
      await login(w, 'worker');
      await w.getByRole('heading', { name: '我的任务' }).waitFor();
      const card = w.locator('.panel').filter({ hasText: subjectName });
      await card.waitFor();
      expect(await card.textContent()).toContain('杨和镇');
      expect(await card.getByRole('button', { name: /拨打电话/ }).count()).toBeGreaterThan(0);
      await checkPage(w, '10-worker-tasks');
      await card.getByRole('link').first().click();
      await w.getByText('预约上门时间').waitFor();

      const day = addDaysToDate(shanghaiDate(new Date()), 1);
      await w.getByLabel('上门时间（北京时间）').fill(`${day}T10:00`);
      await w.getByRole('button', { name: '确认预约' }).click();
      // Sent at once (online), then shown from the case as Beijing time although the phone's zone is Los Angeles.
      await expect.poll(async () => (await caseView()).visits.at(-1)?.scheduledAt, POLL).toBe(new Date(`${day}T10:00:00+08:00`).toISOString());
      await w.locator('strong').filter({ hasText: `${day.replaceAll('-', '/')} 10:00` }).waitFor();
      await checkPage(w, '11-worker-task');

      // The network goes.
      const before = received.length;
      await phone.setOffline(true);
      await w.getByText(/网络已断开/).waitFor();
      await w.getByTestId('evidence-input').setInputFiles(pngFile('现场照片.png', 1));
      await w.locator('label.ant-radio-button-wrapper').filter({ hasText: /^材料$/ }).click();
      await w.getByTestId('evidence-input').setInputFiles(pngFile('户口簿照片.png', 2));
      const pad = w.getByLabel(/签字区域/);
      await pad.scrollIntoViewIfNeeded();
      const box = (await pad.boundingBox())!;
      await w.mouse.move(box.x + 20, box.y + 40);
      await w.mouse.down();
      for (let i = 1; i <= 12; i++) await w.mouse.move(box.x + 20 + i * 20, box.y + 40 + (i % 2) * 30);
      await w.mouse.up();
      await w.getByRole('button', { name: '保存签字' }).click();
      await w.locator('label.ant-radio-button-wrapper').filter({ hasText: /^已办理$/ }).click();
      await w.getByText('随附佐证材料 3 项：照片、材料、签字确认').waitFor();
      await w.getByRole('button', { name: '提交上门结果' }).click();
      await w.getByText('本案有 4 项待发送').waitFor();
      await w.getByText('已保存在本机：1 个文件，联网后自动上传').first().waitFor();
      await screenshot(w, '12-worker-offline');
      expect(received.slice(before)).toEqual([]);

      // Back online but the API unreachable: a reload keeps the queue (IndexedDB), the attempts fail and wait.
      await w.route('**/v1/**', (route) => (route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue()));
      await phone.setOffline(false);
      await w.reload();
      await w.goto(`${base}/queue`);
      await w.getByRole('heading', { name: '待发送（4）' }).waitFor();
      for (const label of ['上传照片：现场照片.png', '上传材料：户口簿照片.png', '上传签字确认', '登记上门结果：已办理（佐证 3 项）']) {
        await w.getByText(label).first().waitFor();
      }
      await checkPage(w, '13-worker-queue');
      expect(received.slice(before)).toEqual([]);

      // The network returns: the outbox drains, in order, and the server gets each thing once.
      await w.unroute('**/v1/**');
      await phone.setOffline(true);
      await phone.setOffline(false);
      await w.getByText('没有待发送的内容，全部已送达').waitFor({ timeout: 30_000 });
      const sent = received.slice(before).filter((r) => r.url.startsWith(`/v1/cases/${caseId}/`));
      expect(sent.filter((r) => r.url.endsWith('/evidence')).map((r) => r.status)).toEqual([201, 201, 201]);
      expect(sent.filter((r) => r.url.endsWith('/visit-report')).map((r) => r.status)).toEqual([200]);
      const reported = await caseView();
      expect(reported.step.code).toBe('review');
      expect(reported.evidence.map((e: { kind: { code: string } }) => e.kind.code).sort()).toEqual(['document', 'photo', 'signature']);
      expect(reported.visits.at(-1).evidence).toHaveLength(3);
      expect(reported.timeline.filter((e: { type: string }) => e.type === 'visit_done')).toHaveLength(1);
      const stored = await stack.db.execute(sql`select count(*)::int as n from evidence_files where case_id = ${caseId}`);
      expect((stored as unknown as Array<{ n: number }>)[0].n).toBe(3);

      await w.goto(`${base}/plans`);
      await w.getByRole('heading', { name: '服务计划' }).waitFor();
      await w.getByText(/暂无服务中的服务计划|记录服务/).first().waitFor();
      await checkPage(w, '14-worker-plans');
    } finally {
      await phone.close();
    }
  });

  it('a reviewer views the evidence and approves; the delivery is recorded and the case shows 已办结 with its timeline', async () => {
    const reviewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const r = watchErrors(await reviewerContext.newPage());
    r.setDefaultTimeout(30_000);
    try {
      await login(r, 'reviewer');
      await r.getByRole('heading', { name: /审核队列/ }).waitFor();
      await r.locator(`a[href="/reviews/${caseId}"]`).waitFor();
      await checkPage(r, '15-review-queue');
      await r.locator(`a[href="/reviews/${caseId}"]`).click();
      await r.getByRole('tab', { name: /照片 1|材料 1|签字确认 1/ }).first().waitFor();
      for (const tab of await r.getByRole('tab').all()) {
        await tab.click();
        const img = r.locator('.ant-card').filter({ hasText: '佐证材料' }).locator('img').first();
        await img.waitFor();
        await expect.poll(() => img.evaluate((el: any) => el.complete && el.naturalWidth > 0), POLL).toBe(true);
      }
      await checkPage(r, '16-review');
      await r.locator('label.ant-radio-button-wrapper').filter({ hasText: /^审核通过$/ }).click();
      await r.getByRole('button', { name: '提交审核意见' }).click();
      await r.getByText(/审核结果已登记/).waitFor();
      await expect.poll(async () => (await caseView()).step.code, POLL).toBe('delivery');
    } finally {
      await reviewerContext.close();
    }

    await page.goto(`${base}/cases/${caseId}`);
    await page.getByRole('button', { name: /送达/ }).first().click();
    await page.locator('label.ant-radio-wrapper').filter({ hasText: /^当面送达$/ }).click();
    await page.getByRole('button', { name: '确定' }).click();
    await page.locator('.ant-tag').filter({ hasText: '已办结' }).first().waitFor();
    const timeline = await page.getByLabel('办理记录').textContent();
    for (const step of ['开案', '分派', '预约上门', '上门办理完成', '审核通过', '办结']) expect(timeline).toContain(step);
    const closed = await caseView();
    expect(closed.status).toEqual({ code: 'closed', label: '已办结' });
    await checkPage(page, '17-case-closed');
  });

  it('an expired session returns to the login page saying so; logout ends the session', async () => {
    await stack.db.execute(sql`update sessions set last_seen_at = now() - interval '2 hours' where user_id = ${people.coordinator.id}`);
    await page.goto(`${base}/cases`);
    await page.getByText('登录已过期，请重新登录').waitFor();
    expect(page.url()).toContain('/login');
    await login(page, 'coordinator');
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByText('您已退出登录').waitFor();
    const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
    expect(me).toBe(401);
  });
});
