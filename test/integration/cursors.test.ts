/** Every cursor-paginated list: a cursor the API did not make is a 400 on querystring.cursor, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let admin: TestUser;
beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); });

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const FAR = '+275760-09-13T00:00:00Z';

/** Each list with a cursor that has the right shape but a far-future instant, and one with a part of the wrong type. */
const LISTS: Array<{ url: string; farFuture: unknown[]; wrongType: unknown[] }> = [
  { url: '/v1/cases', farFuture: [false, FAR, 'x'], wrongType: ['false', null, 'x'] },
  { url: '/v1/plans', farFuture: [FAR, 'x'], wrongType: ['2026-01-01T00:00:00.000Z', 5] },
  { url: '/v1/subjects', farFuture: ['+275760-09-13 00:00:00+00', 'x'], wrongType: [20260101, 'x'] },
  { url: '/v1/supervision/overdue', farFuture: [FAR, 'x'], wrongType: [{ at: 1 }, 'x'] },
  { url: '/v1/supervision/stuck', farFuture: [FAR, 'x'], wrongType: ['2026-01-01T00:00:00.000Z', ['x']] },
  { url: '/v1/supervision/escalations', farFuture: [FAR, 'x'], wrongType: [true, 'x'] },
  { url: '/v1/ledger?county=640104&department=DPF&month=2026-01', farFuture: [Number.MAX_VALUE], wrongType: ['3'] },
  { url: '/v1/users', farFuture: ['x'.repeat(201)], wrongType: [5] },
  { url: '/v1/audit', farFuture: [Number.MAX_VALUE], wrongType: ['3'] },
];

describe('tampered cursors', () => {
  it.each(LISTS)('$url answers 400 naming querystring.cursor', async ({ url, farFuture, wrongType }) => {
    const sep = url.includes('?') ? '&' : '?';
    for (const cursor of [b64(farFuture), b64(wrongType), '!!not-base64!!', b64('just a string'), b64([])]) {
      const res = await stack.app.inject({ url: `${url}${sep}cursor=${encodeURIComponent(cursor)}`, headers: admin.auth });
      expect(res.statusCode, `${url} ${cursor}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { path: string }) => e.path), cursor).toContain('querystring.cursor');
    }
  });

  it.each(LISTS)('$url still pages with the cursor it handed out', async ({ url }) => {
    const sep = url.includes('?') ? '&' : '?';
    const first = await stack.app.inject({ url: `${url}${sep}limit=1`, headers: admin.auth });
    expect(first.statusCode).toBe(200);
    const next = first.json().nextCursor as string | null;
    if (next !== null) {
      const second = await stack.app.inject({ url: `${url}${sep}limit=1&cursor=${encodeURIComponent(next)}`, headers: admin.auth });
      expect(second.statusCode).toBe(200);
    }
  });
});
