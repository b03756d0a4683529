/**
 * The API's /metrics as a scraper sees it: served on its own listener (not the public port), HTTP
 * requests by route template and status, and the business gauges read from the read model (open,
 * overdue and today's escalations per county and department; schedule runs from Temporal).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_RULES } from '../../domain/policy';
import { buildApp } from '../../api/app';
import { buildMetricsServer, readSchedules } from '../../api/metrics';
import { caseEvents, cases } from '../../db/schema';
import type { CaseStatus } from '../../domain/vocabulary';
import { ensureSchedules } from '../../temporal/schedules';
import { startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';

// 12:00 in Asia/Shanghai on 15 June 2026.
const NOW = new Date('2026-06-15T04:00:00Z');
const COUNTY = '640105';
// A department code of this run only, so other files' cases never change these series.
const DEPT = `T${randomUUID().slice(0, 8)}`;

let stack: TestStack;
let app: TestStack['app'];
let coordinator: TestUser;
let caseIds: string[];
let subjectId: string;

/** The samples of one metric in Prometheus text, keyed by their label set. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

async function scrape(): Promise<string> {
  const server = await buildMetricsServer(app.metrics);
  const res = await server.inject({ url: '/metrics' });
  await server.close();
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
}

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  coordinator = await makeUser(stack.db, 'coordinator', { cityLevel: true });
  const subject = await makeSubject(stack.db, { county: COUNTY });
  subjectId = subject.id;
  const row = (status: CaseStatus, dueAt: Date | null, onHold = false) => ({
    id: randomUUID(), subjectId: subject.id, itemCode: 'I01', actionCode: 'A01', county: COUNTY, department: DEPT,
    catalogVersion: 'test', status, step: status === 'open' ? ('visit' as const) : ('done' as const), onHold, dueAt,
    openedAt: new Date('2026-06-01T00:00:00Z'), lastEventAt: new Date('2026-06-10T00:00:00Z'), state: {},
  });
  const rows = [
    row('open', new Date('2026-06-14T00:00:00Z')), // overdue
    row('open', new Date('2026-06-14T00:00:00Z'), true), // past due but on hold: its clock is stopped
    row('open', new Date('2026-06-20T00:00:00Z')),
    row('closed', new Date('2026-06-01T00:00:00Z')),
  ];
  await stack.db.insert(cases).values(rows);
  caseIds = rows.map((r) => r.id);
  await stack.db.insert(caseEvents).values([
    // 08:30 on the 15th in Shanghai: today. 23:00 on the 14th in Shanghai (15:00 UTC): yesterday.
    { caseId: caseIds[0], seq: 1, type: 'escalated', at: new Date('2026-06-15T00:30:00Z'), data: {} },
    { caseId: caseIds[1], seq: 1, type: 'escalated', at: new Date('2026-06-14T15:00:00Z'), data: {} },
  ]);
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('/metrics', () => {
  it('is not served on the public port', async () => {
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(404);
  });

  it('counts requests by route template and status, never by the raw path', async () => {
    expect((await app.inject({ url: `/v1/subjects/${subjectId}`, headers: coordinator.auth })).statusCode).toBe(200);
    expect((await app.inject({ url: `/v1/subjects/${randomUUID()}`, headers: coordinator.auth })).statusCode).toBe(404);
    // (Outside /v1 an unknown path without an extension is the console's: index.html, see console.test.ts.)
    expect((await app.inject({ url: `/v1/no/such/${randomUUID()}`, headers: coordinator.auth })).statusCode).toBe(404);
    const text = await scrape();
    const counts = samples(text, 'doorstep_http_requests_total');
    expect(counts.get('{method="GET",route="/v1/subjects/:id",status_code="200"}')).toBeGreaterThanOrEqual(1);
    expect(counts.get('{method="GET",route="/v1/subjects/:id",status_code="404"}')).toBeGreaterThanOrEqual(1);
    expect(counts.get('{method="GET",route="unmatched",status_code="404"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(subjectId);
    const buckets = samples(text, 'doorstep_http_request_duration_seconds_count');
    expect(buckets.get('{method="GET",route="/v1/subjects/:id",status_code="200"}')).toBeGreaterThanOrEqual(1);
    // The process's own figures ride along.
    expect(samples(text, 'process_resident_memory_bytes').size).toBe(1);
  });

  it('reports open, overdue and today\'s escalations per county and department from the read model', async () => {
    const text = await scrape();
    const scope = `{county="${COUNTY}",department="${DEPT}"}`;
    expect(samples(text, 'doorstep_cases_open').get(scope)).toBe(3);
    expect(samples(text, 'doorstep_cases_overdue').get(scope)).toBe(1);
    expect(samples(text, 'doorstep_escalations_today').get(scope)).toBe(1);
  });

  it('counts the rules in force: the plan\'s (always enforced) and local ones (enforced or advisory)', async () => {
    const text = await scrape();
    const rules = samples(text, 'doorstep_policy_rules');
    const n = (tag: string) => POLICY_RULES.filter((r) => r.tag === tag).length;
    expect(rules.get('{tag="plan",effect="enforced"}')).toBe(n('plan'));
    expect(rules.get('{tag="plan",effect="advisory"}')).toBe(0);
    expect((rules.get('{tag="local",effect="enforced"}') ?? 0) + (rules.get('{tag="local",effect="advisory"}') ?? 0)).toBe(n('local'));
    expect(n('local')).toBeGreaterThan(0);
  });

  it('reports when each reporting schedule ran last and runs next; a paused one has no next run, a missing one no series', async () => {
    const prefix = `m-${randomUUID().slice(0, 8)}-`;
    const ids = await ensureSchedules(stack.client, { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, idPrefix: prefix });
    try {
      await stack.client.schedule.getHandle(ids[0]).trigger();
      await stack.client.schedule.getHandle(ids[2]).pause('test');
      const missing = `${prefix}no-such-schedule`;
      const runs = await readSchedules(stack.client, [ids[0], ids[1], ids[2], missing]);
      const [monthly, draft, paused] = runs;
      expect(runs.map((s) => s.schedule)).toEqual([ids[0], ids[1], ids[2]]);
      expect(draft.nextRun!.getTime()).toBeGreaterThan(Date.now());
      // A paused schedule will not run: it has no next run, which the "missing or paused" alert sees.
      expect(paused.nextRun).toBeUndefined();
      expect(monthly.lastRun).toBeInstanceOf(Date);
      expect(draft.lastRun).toBeUndefined();
      expect(monthly.nextRun!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      for (const id of ids) await stack.client.schedule.getHandle(id).delete();
    }
  });
});

describe('request ids', () => {
  it('answers with the request id: the caller\'s when it is a plain token, a new one otherwise', async () => {
    const given = `req-${randomUUID()}`;
    expect((await app.inject({ url: '/healthz', headers: { 'x-request-id': given } })).headers['x-request-id']).toBe(given);
    const replaced = (await app.inject({ url: '/healthz', headers: { 'x-request-id': '张三 640104199001011234' } })).headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });
});
