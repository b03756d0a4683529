/**
 * A property-based fuzz of every route's input against the real stack (API, worker, PostgreSQL,
 * Temporal dev server): params, query and body from arbitrary JSON, strings, huge values, unicode,
 * prototype-pollution keys, NUL characters, deep nesting and wrong content types, sent by users of
 * every role. The property: no input ever yields a 5xx, and the process keeps answering.
 *
 * Bodies and queries use the route's own field names (read from its zod schema) half of the time, so
 * the fuzz gets past "unknown key" and exercises each field's validation and the handler behind it.
 * FUZZ_RUNS (default 40) sets the runs per route.
 */
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ROLES } from '../../api/auth';
import { users as usersTable } from '../../db/schema';
import { issueToken } from '../../db/queries/users';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { ownDatabase, startStack, type TestStack } from '../support/env';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

interface RouteInfo { method: string; url: string; bodyKeys: string[]; queryKeys: string[] }

let stack: TestStack;
let users: TestUser[];
let knownIds: string[];
const routes: RouteInfo[] = [];
const counts: Record<string, { runs: number; statuses: Record<number, number> }> = {};

/** The keys of a zod object schema (or of the object inside optional/default wrappers), if any. */
function keysOf(schema: unknown): string[] {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 5 && s && !s.shape; i++) s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  return s?.shape ? Object.keys(s.shape) : [];
}

/**
 * Raised limits, through config as a deployment would set them: with the defaults, the requests sent
 * without a token soon pass AUTH_FAILURES_PER_MINUTE and the limiter answers 429 to everything from
 * this address, so the handlers would never see the fuzz. The limiters themselves stay on.
 */
const LIMITS = { RATE_LIMIT_PER_MINUTE: 1_000_000, AUTH_FAILURES_PER_MINUTE: 1_000_000, UNMASK_QUOTA_PER_DAY: 1_000_000, ID_SEARCH_PER_HOUR: 1_000_000 };

let own: Awaited<ReturnType<typeof ownDatabase>> | undefined;
beforeAll(async () => {
  // A database of its own: the fuzz acts as city-level admin and coordinator (disabling users, sharing
  // ledger months) and must not reach another test file's data.
  own = await ownDatabase();
  stack = await startStack({ ...LIMITS, DATABASE_URL: own.url });
  users = await Promise.all([
    ...ROLES.map((r) => makeUser(stack.db, r, { cityLevel: true })),
    ...ROLES.map((r) => makeUser(stack.db, r, { counties: ['640104'], departments: ['DPF'] })),
  ]);
  const subject = await makeSubject(stack.db);
  const opened = await stack.app.inject({
    method: 'POST', url: '/v1/cases', headers: users[0].auth, payload: { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' },
  });
  knownIds = [subject.id, opened.json().id, users[0].id, users[4].id];

  // The routes as registered, with their schemas' field names.
  const app = await buildApp({
    db: stack.db, temporal: stack.client, config: stack.config,
    onRoute: (r: RouteOptions) => {
      if (!r.url.startsWith('/v1/') && !r.url.startsWith('/codec/')) return;
      for (const method of [r.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        const schema = (r.schema ?? {}) as { body?: unknown; querystring?: unknown };
        routes.push({ method, url: r.url, bodyKeys: keysOf(schema.body), queryKeys: keysOf(schema.querystring) });
      }
    },
  });
  await app.ready();
  await app.close();
}, 120_000);

afterAll(async () => {
  const total = Object.values(counts).reduce((n, c) => n + c.runs, 0);
  const statuses: Record<number, number> = {};
  for (const c of Object.values(counts)) for (const [s, n] of Object.entries(c.statuses)) statuses[Number(s)] = (statuses[Number(s)] ?? 0) + n;
  console.log(`fuzz: ${Object.keys(counts).length} routes × ${RUNS} runs = ${total} requests; statuses ${JSON.stringify(statuses)}`);
  await stack?.close();
  await own?.drop();
});

/**
 * Signing out (DELETE /v1/me/token) or an admin disabling a known user (PATCH /v1/users/:id) takes a
 * fuzzing user's token away; every later request of that user would stop at authentication. Such a
 * user is enabled again with a new token before the next route.
 */
async function restoreUsers() {
  for (const u of users) {
    if ((await stack.app.inject({ url: '/v1/me', headers: u.auth })).statusCode === 200) continue;
    await stack.db.update(usersTable).set({ disabled: false }).where(eq(usersTable.id, u.id));
    u.token = (await issueToken(stack.db, u.id)).token;
    u.auth.authorization = `Bearer ${u.token}`;
  }
}

// ---- arbitraries ---------------------------------------------------------------------------------

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '$where', 'then'];
const nasty = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\uffff', '😀'.repeat(50), '../../etc/passwd', '%00', '%', '%E4%B8', "' or 1=1 --", '"; drop table users; --',
  '<script>alert(1)</script>', 'null', 'undefined', 'NaN', '-1', '1e309', '9'.repeat(40), '0x10', 'true', '[]', '{}',
  '640104195803121228', '2025-02-30', '2025-13-01T00:00:00Z', '9999-12-31T23:59:59Z', '１２３', 'ＤＰＦ', 'DPF', '640104', 'LEGAL_AID',
);
const huge = fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n));
const anyString = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) }, { weight: 3, arbitrary: nasty }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, { weight: 1, arbitrary: huge });
const idLike = () => fc.oneof(fc.constantFrom(...knownIds), fc.uuid(), anyString, fc.constant('a'.repeat(64)), fc.constant('0'.repeat(64)));
const scalar = fc.oneof(anyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String));
const jsonish = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 8 })), scalar, { maxKeys: 4 }) },
);

/** An object with the route's own keys (some of them), arbitrary values, and sometimes extra or dangerous keys. */
function objectFor(keys: string[]) {
  const known = keys.length > 0 ? fc.subarray(keys) : fc.constant([] as string[]);
  return fc.tuple(known, fc.array(fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 10 })), { maxLength: 2 }))
    .chain(([ks, extra]) => fc.tuple(...[...ks, ...extra].map((k) => fc.tuple(fc.constant(k), fc.oneof(jsonish, idLike()))))
      .map((entries) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }));
}

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string };
function bodyFor(route: RouteInfo): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 4, arbitrary: objectFor(route.bodyKeys).map<Body>((value) => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: jsonish.map<Body>((value) => ({ kind: 'json', value })) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('{"a":', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '\u0000', 'a=1&b=2', '--x\r\n', '{"a":"\\u0000"}'),
          // Deep nesting (a parser or a recursive check must not take the process down or hang).
          fc.integer({ min: 1, max: 100_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
          fc.integer({ min: 1, max: 50_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
        ),
        fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/json', 'application/json; charset=latin1', 'application/octet-stream', 'image/png', '', 'x/y;;;'),
      ).map<Body>(([text, contentType]) => ({ kind: 'raw', text, contentType })),
    },
  );
}

function queryFor(route: RouteInfo) {
  const keys = [...route.queryKeys, 'unmask', 'cursor', 'limit'];
  return fc.array(fc.tuple(fc.oneof(fc.constantFrom(...keys, ...DANGEROUS_KEYS), fc.string({ maxLength: 8 })), fc.oneof(anyString, idLike(), fc.integer().map(String))), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${enc(k, false)}=${enc(v, false)}`).join('&'));
}

/** Lone surrogates replaced, so encodeURIComponent accepts the string. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
/** Percent-encoded, or (raw) sent as is but for the characters that would end the path or the request line. */
const enc = (s: string, raw: boolean) => (raw ? wellFormed(s).replace(/[/?#\s]/g, '_') : encodeURIComponent(wellFormed(s)));

function requestFor(route: RouteInfo) {
  const paramNames = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
  return fc.record({
    params: fc.tuple(...paramNames.map(() => idLike())),
    rawParams: fc.boolean(),
    query: queryFor(route),
    body: bodyFor(route),
    user: fc.integer({ min: -1, max: users.length - 1 }),
    idempotencyKey: fc.option(fc.oneof(anyString, fc.uuid()), { nil: undefined }),
  });
}

// ---- the property ------------------------------------------------------------------------------

describe('fuzz: no input yields a 5xx or stops the process', () => {
  it('found the routes to fuzz', () => {
    expect(routes.length).toBeGreaterThan(10);
  });

  it('every /v1 route and the codec endpoint', { timeout: 600_000 }, async () => {
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      counts[key] = { runs: 0, statuses: {} };
      await fc.assert(fc.asyncProperty(requestFor(route), async (req) => {
        let i = 0;
        const url = route.url.replace(/:(\w+)/g, () => enc(String(req.params[i++] ?? ''), req.rawParams).slice(0, 2000));
        const headers: Record<string, string> = req.user >= 0 ? { ...users[req.user].auth } : {};
        if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey.slice(0, 300).replace(/[\r\n]/g, '');
        let payload: string | undefined;
        if (req.body.kind === 'json') {
          payload = JSON.stringify(req.body.value) ?? 'null';
          headers['content-type'] = 'application/json';
        } else if (req.body.kind === 'raw') {
          payload = req.body.text;
          if (req.body.contentType) headers['content-type'] = req.body.contentType;
        }
        const res = await stack.app.inject({ method: route.method as 'GET', url: req.query ? `${url}?${req.query}` : url, headers, ...(payload !== undefined ? { payload } : {}) });
        counts[key].runs++;
        counts[key].statuses[res.statusCode] = (counts[key].statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 500) throw new Error(`${route.method} ${url}?${req.query.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) expect(res.headers['content-type'], `${key} ${res.statusCode}`).toContain('application/problem+json');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }), { numRuns: RUNS, endOnFailure: true });
      // Still alive and answering after each route's runs.
      expect((await stack.app.inject('/healthz')).statusCode).toBe(200);
      await restoreUsers();
    }
    expect(Object.keys(counts).length).toBe(routes.length);
    // The fuzz reached the handlers: no request was turned away by a limiter, and all but the ones sent
    // without a token (about one in twelve) got past authentication.
    const total = Object.values(counts).reduce((n, c) => n + c.runs, 0);
    const answered = (status: number) => Object.values(counts).reduce((n, c) => n + (c.statuses[status] ?? 0), 0);
    expect(answered(429)).toBe(0);
    expect(answered(401) / total).toBeLessThan(0.2);
    expect((await stack.app.inject('/readyz')).statusCode).toBe(200);
  });
});

