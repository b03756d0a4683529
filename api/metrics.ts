/**
 * The API's Prometheus metrics (prom-client): HTTP requests and latency by route and status, and the
 * business gauges supervisors answer for, read from the read model (and Temporal's schedules) at scrape
 * time (readings several gauges share are made once per scrape), cached for a few seconds.
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
import { loadPolicy } from '../db/queries/policy';
import { findingsOf, latestRuns } from '../db/queries/reconciliation';
import { SCHEDULE_IDS } from '../temporal/schedules';
import { listFailingWorkflows } from './services/failingWorkflows';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry (served by {@link buildMetricsServer}). */
    metrics: Registry;
    /**
     * Requests refused by a per-user personal-data limit (api/audit.ts), by limit and role: the
     * DoorstepUnmaskQuotaExceeded alert. Role only, never the user: who it was is in the audit log.
     */
    limitRefusals: Counter<'limit' | 'role'>;
  }
}

/** A reporting schedule's last and next run, from Temporal. */
export interface ScheduleRuns { schedule: string; lastRun?: Date; nextRun?: Date }

/**
 * What a gauge reads from, one per scrape: the database, Temporal and the scrape's `now`, and the
 * readings several gauges share (made once per scrape, however many gauges use them).
 */
export interface GaugeSource {
  db: Db;
  temporal: Client;
  now: Date;
  caseCounts: () => Promise<{ open: ScopeCount[]; overdue: ScopeCount[] }>;
  schedules: () => Promise<ScheduleRuns[]>;
}

interface Sample { labels: Record<string, string>; value: number }
interface BusinessGauge { name: string; help: string; labelNames: string[]; read: (s: GaugeSource) => Promise<Sample[]> }

const byScope = (rows: ScopeCount[]): Sample[] => rows.map((r) => ({ labels: { county: r.county, department: r.department }, value: r.value }));
const perSchedule = (pick: (s: ScheduleRuns) => Date | undefined) => async (src: GaugeSource): Promise<Sample[]> =>
  (await src.schedules()).flatMap((s) => { const d = pick(s); return d ? [{ labels: { schedule: s.schedule }, value: d.getTime() / 1000 }] : []; });

/** The business gauges: adding one is one entry (its reading, often a query in db/queries/metrics.ts). */
export const BUSINESS_GAUGES: BusinessGauge[] = [
  { name: 'doorstep_cases_open', help: '在办案件数 Open cases, by county and department', labelNames: ['county', 'department'], read: async (s) => byScope((await s.caseCounts()).open) },
  { name: 'doorstep_cases_overdue', help: '超期案件数 Overdue open cases (not on hold, past due), by county and department', labelNames: ['county', 'department'], read: async (s) => byScope((await s.caseCounts()).overdue) },
  { name: 'doorstep_escalations_today', help: '今日督办升级数 Escalations raised since midnight Asia/Shanghai, by county and department', labelNames: ['county', 'department'], read: async (s) => byScope(await escalationsToday(s.db, s.now)) },
  { name: 'doorstep_schedule_last_run_timestamp_seconds', help: 'When each reporting schedule last started its workflow (Unix seconds)', labelNames: ['schedule'], read: perSchedule((s) => s.lastRun) },
  {
    name: 'doorstep_workflows_failing', help: '任务持续失败的工作流数 Running workflows Temporal flags with task problems (GET /v1/supervision/failing), by type', labelNames: ['workflow_type'],
    read: async (s) => {
      const byType = new Map<string, number>();
      for (const f of await listFailingWorkflows(s.temporal)) byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
      // Always a caseEngine series, so "no failing cases" reads 0 rather than no data.
      if (!byType.has('caseEngine')) byType.set('caseEngine', 0);
      return [...byType].map(([type, value]) => ({ labels: { workflow_type: type }, value }));
    },
  },
  {
    name: 'doorstep_policy_rules', help: '规则数 Rules in force by origin (plan: the implementation plan; local: set here) and effect (enforced or advisory)', labelNames: ['tag', 'effect'],
    read: async (s) => {
      const counts = new Map<string, number>([['plan|enforced', 0], ['plan|advisory', 0], ['local|enforced', 0], ['local|advisory', 0]]);
      for (const r of await loadPolicy(s.db)) {
        const key = `${r.tag}|${r.enforced ? 'enforced' : 'advisory'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, value]) => { const [tag, effect] = key.split('|'); return { labels: { tag, effect }, value }; });
    },
  },
  {
    name: 'doorstep_reconciliation_differences', help: '对账差异数 Differences the latest reconciliation found between the read model and the workflows (GET /v1/admin/reconciliation), by kind and whether repaired', labelNames: ['kind', 'repaired'],
    read: async (s) => {
      const [run] = await latestRuns(s.db, 1);
      const counts = new Map<string, number>([['case|true', 0], ['case|false', 0], ['plan|true', 0], ['plan|false', 0]]);
      for (const f of run ? await findingsOf(s.db, [run.id], 100_000) : []) counts.set(`${f.kind}|${f.repaired}`, (counts.get(`${f.kind}|${f.repaired}`) ?? 0) + 1);
      return [...counts].map(([key, value]) => { const [kind, repaired] = key.split('|'); return { labels: { kind, repaired }, value }; });
    },
  },
  {
    name: 'doorstep_reconciliation_last_run_timestamp_seconds', help: 'When the latest reconciliation finished (Unix seconds)', labelNames: [],
    read: async (s) => { const [run] = await latestRuns(s.db, 1); return run?.finishedAt ? [{ labels: {}, value: run.finishedAt.getTime() / 1000 }] : []; },
  },
  { name: 'doorstep_schedule_next_run_timestamp_seconds', help: 'When each reporting schedule runs next (Unix seconds); in the past means it did not run', labelNames: ['schedule'], read: perSchedule((s) => s.nextRun) },
];

/** The last and next run of each schedule (one describe each); a missing or unreadable schedule is left out. */
export async function readSchedules(temporal: Client, scheduleIds: readonly string[] = Object.values(SCHEDULE_IDS)): Promise<ScheduleRuns[]> {
  const runs = await Promise.all(scheduleIds.map(async (schedule) => {
    try {
      const d = await temporal.schedule.getHandle(schedule).describe();
      // A paused schedule will not run: no next run, so the "schedule missing or paused" alert fires.
      return [{ schedule, lastRun: d.info.recentActions.at(-1)?.takenAt, nextRun: d.state.paused ? undefined : d.info.nextActionTimes[0] }];
    } catch {
      return []; // Not created (yet) or unreadable: its series are absent, which the "schedule missing" alert catches.
    }
  }));
  return runs.flat();
}

/** A scrape's gauge source: the shared readings start on first use and are made once. */
export function gaugeSource(db: Db, temporal: Client, now: Date): GaugeSource {
  const once = <T>(read: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= read());
  };
  return { db, temporal, now, caseCounts: once(() => openCaseCounts(db, now)), schedules: once(() => readSchedules(temporal)) };
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

  app.decorate('limitRefusals', new Counter({
    name: 'doorstep_personal_data_limit_refusals_total', help: 'Requests refused (429) by a per-user personal-data limit: unmask_per_day, id_search_per_hour; by role',
    labelNames: ['limit', 'role'] as const, registers: [registry],
  }));

  const errors = new Counter({ name: 'doorstep_business_gauge_errors_total', help: 'Business gauge readings that failed (the gauge is left empty for that scrape)', labelNames: ['gauge'], registers: [registry] });
  const cacheMs = opts.cacheMs ?? 10_000;
  // One reading of every gauge serves the scrapes of the next few seconds (Prometheus replicas, reloads).
  let cached: { at: number; samples: Map<string, Promise<Sample[]>> } | undefined;
  const samplesOf = (gauge: BusinessGauge): Promise<Sample[]> => {
    const t = Date.now();
    if (!cached || t - cached.at > cacheMs) {
      const src = gaugeSource(opts.db, opts.temporal, opts.now());
      cached = { at: t, samples: new Map(BUSINESS_GAUGES.map((g) => [g.name, g.read(src).catch((e: unknown) => {
        errors.inc({ gauge: g.name });
        app.log.warn({ err: e, gauge: g.name }, 'a business gauge for /metrics could not be read');
        return [];
      })])) };
    }
    return cached.samples.get(gauge.name)!;
  };
  for (const g of BUSINESS_GAUGES) {
    new Gauge({
      name: g.name, help: g.help, labelNames: g.labelNames, registers: [registry],
      async collect() {
        const samples = await samplesOf(g);
        this.reset();
        for (const s of samples) this.set(s.labels, s.value);
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
