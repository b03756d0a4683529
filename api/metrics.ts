/**
 * The API's Prometheus metrics (prom-client): HTTP requests and latency by route and status, and the
 * business gauges supervisors answer for, read from the read model (and Temporal's schedules) at scrape
 * time, shared by all gauges of one scrape and cached for a few seconds.
 *
 * /metrics is not on the public port: bin/api serves it from {@link buildMetricsServer} on
 * METRICS_HOST:METRICS_PORT, an address for the city's monitoring network only. Labels are route
 * templates, status codes, county and department codes and schedule ids: never personal data.
 *
 * Adding a business gauge is one entry in {@link BUSINESS_GAUGES}.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { escalationsToday, openCaseCounts, type ScopeCount } from '../db/queries/metrics';
import { SCHEDULE_IDS } from '../temporal/schedules';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry (served by {@link buildMetricsServer}). */
    metrics: Registry;
  }
}

/** What the business gauges read, once per scrape. */
export interface BusinessFigures {
  open: ScopeCount[];
  overdue: ScopeCount[];
  escalationsToday: ScopeCount[];
  schedules: Array<{ schedule: string; lastRun?: Date; nextRun?: Date }>;
}

interface Sample { labels: Record<string, string>; value: number }
interface BusinessGauge { name: string; help: string; labelNames: string[]; read: (f: BusinessFigures) => Sample[] }

const byScope = (rows: ScopeCount[]): Sample[] => rows.map((r) => ({ labels: { county: r.county, department: r.department }, value: r.value }));
const seconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);
const perSchedule = (pick: (s: BusinessFigures['schedules'][number]) => Date | undefined) => (f: BusinessFigures): Sample[] =>
  f.schedules.flatMap((s) => (pick(s) ? [{ labels: { schedule: s.schedule }, value: seconds(pick(s))! }] : []));

/** The business gauges. */
export const BUSINESS_GAUGES: BusinessGauge[] = [
  { name: 'doorstep_cases_open', help: '在办案件数 Open cases, by county and department', labelNames: ['county', 'department'], read: (f) => byScope(f.open) },
  { name: 'doorstep_cases_overdue', help: '超期案件数 Overdue open cases (not on hold, past due), by county and department', labelNames: ['county', 'department'], read: (f) => byScope(f.overdue) },
  { name: 'doorstep_escalations_today', help: '今日督办升级数 Escalations raised since midnight Asia/Shanghai, by county and department', labelNames: ['county', 'department'], read: (f) => byScope(f.escalationsToday) },
  { name: 'doorstep_schedule_last_run_timestamp_seconds', help: 'When each reporting schedule last started its workflow (Unix seconds)', labelNames: ['schedule'], read: perSchedule((s) => s.lastRun) },
  { name: 'doorstep_schedule_next_run_timestamp_seconds', help: 'When each reporting schedule runs next (Unix seconds); in the past means it did not run', labelNames: ['schedule'], read: perSchedule((s) => s.nextRun) },
];

/** Reads the business figures: two indexed read-model queries and one describe per schedule. */
export async function readBusinessFigures(db: Db, temporal: Client, now: Date, scheduleIds: readonly string[] = Object.values(SCHEDULE_IDS)): Promise<BusinessFigures> {
  const [counts, escalations, schedules] = await Promise.all([
    openCaseCounts(db, now),
    escalationsToday(db, now),
    Promise.all(scheduleIds.map(async (schedule) => {
      try {
        const d = await temporal.schedule.getHandle(schedule).describe();
        const last = d.info.recentActions.at(-1)?.takenAt;
        // A paused schedule will not run: no next run, so the "schedule missing or paused" alert fires.
        return [{ schedule, lastRun: last, nextRun: d.state.paused ? undefined : d.info.nextActionTimes[0] }];
      } catch {
        return []; // Not created (yet) or unreadable: its series are absent, which the "schedule missing" alert catches.
      }
    })),
  ]);
  return { ...counts, escalationsToday: escalations, schedules: schedules.flat() };
}

export interface MetricsOptions {
  db: Db;
  temporal: Client;
  now: () => Date;
  /** How long one reading of the business figures serves scrapes (default 10 s). */
  cacheMs?: number;
}

/** Registers the HTTP metrics and the business gauges on a registry decorated as `app.metrics`. */
export const metricsPlugin = fp(async (app: FastifyInstance, opts: MetricsOptions) => {
  const registry = new Registry();
  app.decorate('metrics', registry);

  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'doorstep_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'doorstep_http_request_duration_seconds', help: 'HTTP request latency in seconds, by route template and status', labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched paths share one label, so a scanner cannot blow up the series count.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  const errors = new Counter({ name: 'doorstep_business_gauge_errors_total', help: 'Scrapes whose business figures could not be read', registers: [registry] });
  const cacheMs = opts.cacheMs ?? 10_000;
  let cached: { at: number; figures: Promise<BusinessFigures> } | undefined;
  const figures = (): Promise<BusinessFigures> => {
    const t = Date.now();
    if (!cached || t - cached.at > cacheMs) {
      const reading = readBusinessFigures(opts.db, opts.temporal, opts.now());
      cached = { at: t, figures: reading };
      reading.catch((e: unknown) => {
        if (cached?.figures === reading) cached = undefined;
        errors.inc();
        app.log.warn({ err: e }, 'business figures for /metrics could not be read');
      });
    }
    return cached.figures;
  };
  for (const g of BUSINESS_GAUGES) {
    new Gauge({
      name: g.name, help: g.help, labelNames: g.labelNames, registers: [registry],
      async collect() {
        this.reset();
        const f = await figures().catch(() => undefined);
        for (const s of f ? g.read(f) : []) this.set(s.labels, s.value);
      },
    });
  }
}, { name: 'doorstep-metrics' });

const withProcessMetrics = new WeakSet<Registry>();

/**
 * The metrics listener: GET /metrics with this registry and the process's own figures (CPU, memory,
 * event loop). bin/api and bin/dev listen on METRICS_HOST:METRICS_PORT, apart from the public port.
 */
export async function buildMetricsServer(registry: Registry): Promise<FastifyInstance> {
  if (!withProcessMetrics.has(registry)) {
    collectDefaultMetrics({ register: registry });
    withProcessMetrics.add(registry);
  }
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return server;
}
