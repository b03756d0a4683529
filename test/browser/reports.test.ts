/**
 * The ledger (附件2) and statistics (附件3) pages in Chromium against the real stack (API serving
 * web/dist, a Temporal worker, PostgreSQL on a database of this file's own, so the city's board and
 * figures hold only what this file made). Dates follow the real clock: the month shared is last
 * month, the quarter submitted is this one.
 *
 * - A county department's coordinator picks last month, previews the rows, corrects one before sharing
 *   (the API's field error marked first), shares (the confirmation's row count and hash are what the
 *   API records), amends a row after, downloads the XLSX and the test opens it: its rows are the
 *   preview's; the share list shows the hash verified.
 * - The coordinator submits this quarter's table after a confirmation with its figures; the city
 *   supervisor's board shows it 已报送 and the other county's 草稿, last quarter all 逾期; a click opens the table.
 * - Scope: the coordinator's pickers hold their county only; another county's ledger and tables, by URL
 *   or download link, are refused; the city table and board are not theirs.
 */
import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../api/passwords';
import { shanghaiDate } from '../../domain/calendar';
import { LEDGER_HEADERS } from '../../domain/ledger';
import { users } from '../../db/schema';
import { makeUser, type TestUser } from '../support/fixtures';
import type { TestStack } from '../support/env';
import { seedReadModel, shanghai } from '../support/generate';
import { remindUnsubmitted } from '../../db/queries/statistics';
import { checkPage, screenshot, watchErrors, logIn, settled, ownConsoleStack, type ConsoleStack } from './browser';

const MINE = '640104'; // 兴庆区
const OTHER = '640105'; // 西夏区
const DEPARTMENT = 'DPF';
const PASSWORD = 'browser-test-pass-reports';
const POLL = { timeout: 30_000, interval: 250 };

const month = (d: Date) => shanghaiDate(d).slice(0, 7);
const before = (m: string) => {
  const [y, n] = m.split('-').map(Number);
  return n === 1 ? `${y - 1}-12` : `${y}-${String(n - 1).padStart(2, '0')}`;
};
const quarterOf = (m: string) => `${m.slice(0, 4)}-Q${Math.ceil(Number(m.slice(5)) / 3)}`;
const previousQuarter = (q: string) => (q.endsWith('Q1') ? `${Number(q.slice(0, 4)) - 1}-Q4` : `${q.slice(0, 6)}${Number(q.slice(6)) - 1}`);

const THIS_MONTH = month(new Date());
const LAST_MONTH = before(THIS_MONTH);
const QUARTER = quarterOf(THIS_MONTH);

let env: ConsoleStack;
let stack: TestStack;
let browser: Browser;
let base: string;
let coordinator: TestUser & { username: string };
let city: TestUser & { username: string };

async function withPassword(u: TestUser, displayName: string): Promise<TestUser & { username: string }> {
  await stack.db.update(users).set({ passwordHash: await hashPassword(PASSWORD), displayName }).where(eq(users.id, u.id));
  const [row] = await stack.db.select({ username: users.username }).from(users).where(eq(users.id, u.id));
  return { ...u, username: row.username };
}

async function login(page: Page, user: { username: string }) {
  await logIn(page, `${base}/login`, user.username, PASSWORD);
}

/** The preview table's rows as text under the form's 14 headers, in the form's order ('—' is an empty cell; 更正情况 and 操作 left out). */
async function previewRows(page: Page): Promise<string[][]> {
  const table = page.locator('table[aria-label="台账记录"]');
  const headers = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim());
  const at = LEDGER_HEADERS.map(([, label]) => headers.indexOf(label));
  expect(at.every((i) => i >= 0), `form headers in ${headers.join('|')}`).toBe(true);
  const cells = await table.locator('tbody tr.ant-table-row').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  return cells.map((r) => at.map((i) => (r[i] === '—' ? '' : r[i])));
}

beforeAll(async () => {
  env = await ownConsoleStack();
  ({ stack, base, browser } = env);
  await seedReadModel(stack.db, {
    seed: 141, prefix: 'brep', cases: 160, from: shanghai(`${before(LAST_MONTH)}-01`), now: new Date(), counties: [MINE, OTHER], departments: [DEPARTMENT],
  });
  coordinator = await withPassword(await makeUser(stack.db, 'coordinator', { counties: [MINE], departments: [DEPARTMENT] }), '马协调');
  city = await withPassword(await makeUser(stack.db, 'supervisor', { cityLevel: true }), '杨督导');
}, 180_000);

afterAll(async () => { await env?.close(); });

describe('ledger and statistics in the console', { timeout: 180_000 }, () => {
  let desk: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    page = watchErrors(await desk.newPage());
    page.setDefaultTimeout(30_000);
    await login(page, coordinator);
  });
  afterAll(async () => { await desk?.close(); });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    await screenshot(page, `failed-reports-${ctx.task.name.slice(0, 30)}`).catch(() => undefined);
    console.log(`page at failure: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
  });

  it('a coordinator picks last month, corrects a row, shares it after confirming count and hash, amends, downloads the XLSX and sees the share verified', async () => {
    await page.getByRole('link', { name: '工作台账' }).click();
    await page.getByRole('heading', { name: '工作台账（附件2）' }).waitFor();
    // Pick the month (the URL keeps it).
    await page.goto(`${base}/ledger?month=${before(LAST_MONTH)}`);
    const picker = page.locator('#ledger-month');
    await picker.click();
    await picker.fill(LAST_MONTH);
    await picker.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('month') === LAST_MONTH);
    await page.getByText('为特殊困难残疾人上门代办服务工作台账').waitFor();
    await page.getByText('填报单位：兴庆区残联').waitFor();

    const api = await page.request.get(`${base}/v1/ledger?county=${MINE}&department=${DEPARTMENT}&month=${LAST_MONTH}&limit=1000`);
    const expected = (await api.json()).items as Array<{ serial: number; row: { subjectName: string; idNumberMasked: string; result: string } }>;
    expect(expected.length).toBeGreaterThan(3);
    await expect.poll(async () => (await previewRows(page)).length, POLL).toBe(expected.length);
    const shown = await previewRows(page);
    expect(shown.map((r) => r.slice(0, 3))).toEqual(expected.map((e) => [String(e.serial), e.row.subjectName, e.row.idNumberMasked]));
    // The form's columns, in its order, and nothing else while no row is a correction.
    expect((await page.locator('table[aria-label="台账记录"] thead th').allInnerTexts()).map((h) => h.trim())).toEqual([...LEDGER_HEADERS.map(([, h]) => h), '操作']);
    await checkPage(page, 'reports-01-ledger-preview');

    // Before sharing: the row itself is edited; a blank result is refused by the API and the field is marked.
    await page.getByRole('button', { name: '修改第 1 行' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('办理结果').fill('');
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.locator('.ant-form-item-explain-error').first().waitFor();
    await dialog.getByRole('alert').filter({ hasText: 'result' }).waitFor();
    await dialog.getByLabel('办理结果').fill('已办结（电话回访确认）');
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await previewRows(page))[0][10], POLL).toBe('已办结（电话回访确认）');

    // 共享: the confirmation shows the row count and hash that will be frozen.
    await page.getByRole('button', { name: '共享', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: '确认共享台账' });
    const count = Number(await confirm.getByTestId('share-row-count').innerText());
    const hash = (await confirm.getByTestId('share-hash').innerText()).trim();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(count).toBeGreaterThanOrEqual(expected.length);
    await settled(page);
    await checkPage(page, 'reports-02-ledger-share-confirm');
    await confirm.getByRole('button', { name: '确认共享' }).click();
    await confirm.waitFor({ state: 'hidden' });
    const sharedNotice = page.getByRole('status').filter({ hasText: '台账已与兴庆区残联共享（已冻结）' });
    await sharedNotice.waitFor();
    expect(await sharedNotice.innerText()).toContain(hash);
    expect(await sharedNotice.innerText()).toContain('马协调');
    const recorded = (await (await page.request.get(`${base}/v1/ledger/shares?month=${LAST_MONTH}&county=${MINE}&department=${DEPARTMENT}`)).json()).items;
    expect(recorded).toEqual([expect.objectContaining({ rowCount: count, contentHash: hash, verified: true })]);
    await expect.poll(async () => (await previewRows(page)).length, POLL).toBe(count);
    await checkPage(page, 'reports-03-ledger-shared');

    // After the share: no edit, an amendment into this month's ledger.
    await page.getByRole('button', { name: '更正第 2 行' }).click();
    const amend = page.getByRole('dialog');
    await amend.getByText('台账已共享，原记录不可修改').waitFor();
    await amend.getByLabel('备注').fill('送达方式登记有误');
    await amend.getByLabel('更正原因').fill('经办人录入错误');
    await amend.getByRole('button', { name: '提交更正' }).click();
    await page.getByText(`更正已记入 ${THIS_MONTH} 台账`).waitFor();
    // The shared row stays as it was, marked as corrected and where.
    const second = page.locator('table[aria-label="台账记录"] tbody tr.ant-table-row').nth(1);
    await expect.poll(() => second.innerText(), POLL).toContain(`已更正见 ${Number(THIS_MONTH.slice(0, 4))}年${Number(THIS_MONTH.slice(5))}月台账`);

    // The XLSX of what is previewed: the test opens the file.
    const preview = await previewRows(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载 XLSX', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe(`工作台账-兴庆区残联-${LAST_MONTH}.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readFile((await download.path())!)) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('工作台账')!;
    expect(ws.getCell('A1').value).toBe('为特殊困难残疾人上门代办服务工作台账');
    const cellText = (v: ExcelJS.CellValue) => (v === null || v === undefined ? '' : String(v));
    const padded = Array.from({ length: ws.rowCount - 3 }, (_, i) => Array.from({ length: 14 }, (_v, c) => cellText(ws.getRow(4 + i).getCell(c + 1).value)));
    expect(padded).toEqual(preview);
    expect(padded).toHaveLength(count);

    // The CSV of the same month: the same rows.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载 CSV', exact: true }).click()]);
    const lines = (await readFile((await csv.path())!, 'utf8')).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(1 + count);
    expect(lines[1].split(',').slice(0, 3)).toEqual(preview[0].slice(0, 3));

    // This month's ledger holds the amendment, marked.
    await page.goto(`${base}/ledger?county=${MINE}&department=${DEPARTMENT}&month=${THIS_MONTH}`);
    const amended = page.locator('table[aria-label="台账记录"] tbody tr').filter({ hasText: '更正记录' }).filter({ hasText: '原因：经办人录入错误' });
    await amended.waitFor();
    await checkPage(page, 'reports-04-ledger-amendment');

    // The share list, verified again.
    await page.getByRole('tab', { name: '共享记录' }).click();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'shares');
    const shareRow = page.locator('table[aria-label="共享记录"] tbody tr').filter({ hasText: hash });
    await shareRow.waitFor();
    expect(await shareRow.innerText()).toContain('匹配');
    await checkPage(page, 'reports-05-ledger-shares');
  });

  it('a county submits its quarterly table after confirming the figures; the city board shows it 已报送, the other county 草稿', async () => {
    await page.getByRole('link', { name: '统计报表' }).click();
    await page.getByRole('heading', { name: '工作情况统计表（附件3）' }).waitFor();
    // County users get the county table only.
    expect(await page.getByRole('tab').allInnerTexts()).toEqual(['县区报表']);
    const form = page.locator('table.printed-form');
    await form.waitFor();
    await page.getByText('填报单位：兴庆区残联').waitFor();
    const totals = await form.locator('tfoot td').allInnerTexts();
    expect(totals[0]).toBe('合计');
    await checkPage(page, 'reports-06-quarterly-county');

    // The XLSX download is the same form: its 合计 row is the one on screen.
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载 XLSX', exact: true }).click()]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readFile((await file.path())!)) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A1').value).toBe('为特殊困难残疾人上门代办服务工作情况统计表');
    const last = Array.from({ length: ws.rowCount }, (_, i) => ws.getRow(i + 1)).find((r) => r.getCell(1).value === '合计')!;
    expect(Array.from({ length: totals.length }, (_, c) => String(last.getCell(c + 1).value ?? ''))).toEqual(totals);

    await page.getByRole('button', { name: '报送：兴庆区残联' }).click();
    const confirm = page.getByRole('dialog', { name: '确认报送统计表' });
    await confirm.getByTestId('submit-figure-0').waitFor();
    expect(await confirm.getByTestId('submit-figure-1').innerText()).toBe(totals[4]);
    await settled(page);
    await checkPage(page, 'reports-07-quarterly-submit-confirm');
    await confirm.getByRole('button', { name: '确认报送' }).click();
    await confirm.waitFor({ state: 'hidden' });
    const state = page.locator('table[aria-label="报送状态"] tbody tr').filter({ hasText: '兴庆区残联' });
    await expect.poll(() => state.innerText(), POLL).toContain('已报送');
    expect(await state.innerText()).toContain('马协调');

    // The quarterly Schedule's reminder to those who have not submitted (as the reporting workflow sends it).
    await remindUnsubmitted(stack.db, QUARTER, new Date());
    // The city's board.
    const cityDesk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    try {
      const board = watchErrors(await cityDesk.newPage());
      board.setDefaultTimeout(30_000);
      await login(board, city);
      await board.goto(`${base}/reports/quarterly?quarter=${QUARTER}`);
      await board.getByRole('button', { name: /^兴庆区残联：\s*已报送/ }).waitFor();
      const other = board.getByRole('button', { name: /^西夏区残联：\s*草稿/ });
      expect(await other.innerText()).toMatch(/已催报 1 次（\d{4}\/\d{2}\/\d{2}）/);
      expect(await board.getByRole('button', { name: /^兴庆区残联：\s*已报送/ }).innerText()).not.toContain('催报');
      await checkPage(board, 'reports-08-quarterly-board');
      // Last quarter: nobody submitted, all overdue.
      await board.goto(`${base}/reports/quarterly?quarter=${previousQuarter(QUARTER)}&tab=board`);
      await board.getByRole('button', { name: /^兴庆区残联：\s*逾期/ }).waitFor();
      expect(await board.getByRole('button', { name: /：\s*(草稿|已报送)/ }).count()).toBe(0);
      // A click opens that county department's table.
      await board.goto(`${base}/reports/quarterly?quarter=${QUARTER}`);
      await board.getByRole('button', { name: /^兴庆区残联：\s*已报送/ }).click();
      await board.waitForURL((u) => u.searchParams.get('tab') === 'county' && u.searchParams.get('county') === MINE && u.searchParams.get('department') === DEPARTMENT);
      await board.locator('table[aria-label="报送状态"] tbody tr').filter({ hasText: '已报送' }).waitFor();
      await board.getByRole('tab', { name: '市级汇总表' }).click();
      await board.getByText('填报单位：银川市').waitFor();
      await checkPage(board, 'reports-09-quarterly-city');

      // The city's view of last month's ledger shares: every county department, shared or not.
      await board.goto(`${base}/ledger?county=${OTHER}&department=${DEPARTMENT}&month=${LAST_MONTH}&tab=shares&view=month`);
      const shareRows = board.locator('table[aria-label="共享记录"] tbody tr.ant-table-row');
      await expect.poll(() => shareRows.count(), POLL).toBe(60);
      expect(await shareRows.filter({ hasText: '兴庆区残联' }).innerText()).toContain('匹配');
      expect(await shareRows.filter({ hasText: '西夏区残联' }).innerText()).toContain('未共享');
      await checkPage(board, 'reports-10-ledger-shares-city');
    } finally {
      await cityDesk.close();
    }
  });

  it('scope: the county coordinator never sees another county’s rows or figures, by picker, URL or download link', async () => {
    await page.goto(`${base}/ledger?month=${LAST_MONTH}`);
    await page.locator('#ledger-county').click();
    const options = await page.locator('.ant-select-item-option').allInnerTexts();
    expect(options).toEqual(['兴庆区']);
    await page.keyboard.press('Escape');

    // Editing the URL: refused, nothing of the other county shown.
    await page.goto(`${base}/ledger?county=${OTHER}&department=${DEPARTMENT}&month=${LAST_MONTH}`);
    await page.getByText('所选县区或部门不在您的管辖范围内').waitFor();
    expect(await page.locator('table[aria-label="台账记录"] tbody tr.ant-table-row').count()).toBe(0);
    await checkPage(page, 'reports-11-scope-ledger-refused');
    await page.getByRole('button', { name: '查看本单位台账' }).click();
    await page.getByText('填报单位：兴庆区残联').waitFor();
    // The month's shares: their own unit only.
    await page.goto(`${base}/ledger?month=${LAST_MONTH}&tab=shares&view=month`);
    const shareRows = page.locator('table[aria-label="共享记录"] tbody tr.ant-table-row');
    await shareRows.first().waitFor();
    expect(await shareRows.allInnerTexts()).toEqual([expect.stringContaining('兴庆区残联')]);
    // Editing the download link: refused too.
    for (const format of ['xlsx', 'csv', 'json']) {
      const res = await page.request.get(`${base}/v1/ledger?county=${OTHER}&department=${DEPARTMENT}&month=${LAST_MONTH}&format=${format}`);
      expect(res.status()).toBe(404);
    }
    expect((await page.request.get(`${base}/v1/ledger/share-preview?county=${OTHER}&department=${DEPARTMENT}&month=${LAST_MONTH}`)).status()).toBe(404);
    const shares = await (await page.request.get(`${base}/v1/ledger/shares?department=${DEPARTMENT}`)).json();
    expect(shares.items.every((s: { county: { code: string } }) => s.county.code === MINE)).toBe(true);

    // Statistics: another county's table by URL, its XLSX, the city table and the board are not theirs.
    await page.goto(`${base}/reports/quarterly?quarter=${QUARTER}&tab=county&county=${OTHER}&department=${DEPARTMENT}`);
    await page.getByText('未找到').waitFor();
    expect(await page.locator('table.printed-form').count()).toBe(0);
    expect((await page.request.get(`${base}/v1/reports/quarterly?quarter=${QUARTER}&level=county&county=${OTHER}&format=xlsx`)).status()).toBe(404);
    expect((await page.request.get(`${base}/v1/reports/quarterly?quarter=${QUARTER}&level=city&format=xlsx`)).status()).toBe(403);
    await page.goto(`${base}/reports/quarterly?quarter=${QUARTER}&tab=city`);
    await page.getByRole('tab', { name: '县区报表' }).waitFor();
    expect(await page.getByRole('tab').allInnerTexts()).toEqual(['县区报表']);
    await page.getByText('填报单位：兴庆区残联').waitFor();
    const board = await (await page.request.get(`${base}/v1/reports/quarterly/submissions?quarter=${QUARTER}`)).json();
    expect(new Set(board.items.map((i: { county: { code: string } }) => i.county.code))).toEqual(new Set([MINE]));
  });
});
