/**
 * Browser-test helpers: Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by
 * playwright-core; an axe-core check of a page (no serious or critical violation); a screenshot of each
 * page under .test-data/screenshots/ (a git-ignored test artifact).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect } from 'vitest';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ownDatabase, startStack, type TestStack } from '../support/env';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve(import.meta.dirname, '..', '..', '.test-data', 'screenshots');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // As root (CI containers) Chromium needs --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--font-render-hinting=none'] });
}

/** The API (serving the console from web/dist) listening on a free local port; the console's base URL. */
export async function serveConsole(stack: TestStack): Promise<string> {
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
}

export interface ConsoleStack { stack: TestStack; base: string; browser: Browser; close: () => Promise<void> }

/** The whole stack on a database of its own (figures no other file's data can change), serving the console, and Chromium; close() ends all three. */
export async function ownConsoleStack(): Promise<ConsoleStack> {
  const own = await ownDatabase();
  const stack = await startStack({ DATABASE_URL: own.url }).catch(async (e: unknown) => { await own.drop(); throw e; });
  const browser = await launchBrowser();
  return { stack, base: await serveConsole(stack), browser, close: async () => { await browser.close(); await stack.close(); await own.drop(); } };
}

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }

/** axe-core on the page as it is now (WCAG 2.1 A and AA rules): no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Through the DevTools protocol, so the app's Content-Security-Policy (script-src 'self') stays in force.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as { document: unknown; axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } };
    const result = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe on ${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** A full-page screenshot, `.test-data/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Logs in through the console's login page at `url` (the login page, or a page that asks for a login) and, unless told not to (a refused login stays there), waits to leave it. */
export async function logIn(page: Page, url: string, username: string, password: string, opts: { wait?: boolean } = {}): Promise<void> {
  await page.goto(url);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  // scrypt makes a login take a moment, more so on a loaded machine.
  if (opts.wait !== false) await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

const pageErrors = new WeakMap<Page, string[]>();

/** Records the page's uncaught errors and console errors; checkPage fails on any. */
export function watchErrors(page: Page): Page {
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by Chromium as a console error; the app's own errors are what count.
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return page;
}

/** Waits for the page's animations and transitions to end (a dialog caught mid-zoom, or a link mid-colour, fails the contrast check). */
export async function settled(page: Page): Promise<void> {
  // Endless ones (a spinner) never end: only the finite ones are waited for.
  await page.waitForFunction(() => (globalThis as unknown as { document: { getAnimations: () => Array<{ playState: string; effect: { getTiming: () => { iterations?: number } } | null }> } })
    .document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity));
}

/** Screenshot and axe check of the page as it is now, once settled (and no script error so far). */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  // The pointer off the page's content (the header's corner): what a control looks like, not how it looks hovered.
  await page.mouse.move(0, 0);
  await settled(page);
  expect(pageErrors.get(page) ?? [], `script errors before ${name}`).toEqual([]);
  await screenshot(page, name);
  await expectAccessible(page, name);
}

/** A small PNG of its own (a 96×64 colour block chosen by `seed`, so two files never hash alike), as a camera would hand it over. */
export function pngFile(name: string, seed: number): { name: string; mimeType: string; buffer: Buffer } {
  const width = 96;
  const height = 64;
  const [r, g, b] = [(seed * 97) % 256, (seed * 57 + 80) % 256, (seed * 31 + 160) % 256];
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set([(r + x) % 256, (g + y) % 256, b], row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const buffer = Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
  return { name, mimeType: 'image/png', buffer };
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c;
}
