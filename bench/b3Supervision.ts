/**
 * B3 supervision: the overdue, stuck and summary queries, and the dashboard's weekly trend and the cases
 * behind one of its figures, on the 1,000,000-case read model, over
 * HTTP (GET /v1/supervision/…, with auth and presentation) and as bare queries, p50/p99 of sequential
 * runs; the EXPLAIN (ANALYZE) plans of the overdue page, showing the index it uses. Target: p99 of a
 * page of overdue cases under 50 ms. Reference (context for a noisy machine): a primary-key lookup
 * of one case on the same pool, measured in the same run.
 */
import { encodeCursor } from '../api/cursor';
import { listOverdue, overdueQuery, type PageKey, type Scope } from '../db/queries/supervision';
import type { Benchmark } from './context';
import { NOW, readModel } from './readModel';
import { getJson, readApi, timeRuns } from './readApi';
import { boundFigure, infoFigure } from './report';
import { round, summarize } from './stats';

const LIMIT = 50;
const CITY: Scope = { counties: 'all', departments: 'all' };
const COUNTY_DEPT: Scope = { counties: ['640104'], departments: ['DPF'] };

export const b3Supervision: Benchmark = async (ctx) => {
  const rm = await readModel(ctx);
  const api = await readApi(ctx);
  const runs = ctx.opts.queryRuns;
  const sql = rm.db.$client;

  // The reference: one case by primary key.
  const [{ id: someCase }] = await sql<{ id: string }[]>`select id from cases order by id limit 1 offset ${Math.floor(rm.counts.cases / 2)}`;
  const pk = summarize(await timeRuns(runs, () => sql`select * from cases where id = ${someCase}`));

  // A deep page: the cursor after 20 pages of the city's overdue list.
  let deepKey: PageKey | undefined;
  let deepPage = 1;
  for (let i = 0; i < 20; i++) {
    const page = await listOverdue(rm.db, CITY, {}, NOW, LIMIT, deepKey);
    if (!page.next) break;
    deepKey = page.next;
    deepPage++;
  }
  const deepCursor = deepKey && encodeCursor(deepKey);

  const http = async (path: string, token: string) => summarize(await timeRuns(runs, () => getJson(api.url, path, token)));
  const overdueCity = await http(`/v1/supervision/overdue?limit=${LIMIT}`, api.supervisor.token);
  const overdueCounty = await http(`/v1/supervision/overdue?limit=${LIMIT}`, api.coordinator.token);
  const overdueDeep = deepCursor ? await http(`/v1/supervision/overdue?limit=${LIMIT}&cursor=${encodeURIComponent(deepCursor)}`, api.supervisor.token) : undefined;
  const stuckCity = await http(`/v1/supervision/stuck?limit=${LIMIT}&days=5`, api.supervisor.token);
  const summaryCity = await http('/v1/supervision/summary', api.supervisor.token);
  const summaryCounty = await http('/v1/supervision/summary', api.coordinator.token);
  // The dashboard (issue #14): its weekly trend (12 weeks by default, 52 at most) and the cases behind a figure.
  const trend12 = await http('/v1/supervision/trend?weeks=12', api.supervisor.token);
  const trend52 = await http('/v1/supervision/trend?weeks=52', api.supervisor.token);
  const figureOverdue = await http(`/v1/supervision/cases?figure=overdue&limit=${LIMIT}`, api.supervisor.token);
  const queryCity = summarize(await timeRuns(runs, () => listOverdue(rm.db, CITY, {}, NOW, LIMIT)));
  const queryCounty = summarize(await timeRuns(runs, () => listOverdue(rm.db, COUNTY_DEPT, {}, NOW, LIMIT)));

  const firstPage = await getJson(api.url, `/v1/supervision/overdue?limit=${LIMIT}`, api.supervisor.token);
  const [{ n: overdueTotal }] = await sql<{ n: number }[]>`select count(*)::int as n from cases where status = 'open' and not on_hold and due_at < ${NOW.toISOString()}`;
  const [{ n: openTotal }] = await sql<{ n: number }[]>`select count(*)::int as n from cases where status = 'open'`;

  const explain = async (scope: Scope) => {
    const rows = await sql`explain (analyze, buffers) ${overdueQuery(sql, scope, {}, NOW, LIMIT)}`;
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  };
  const planCity = await explain(CITY);
  const planCounty = await explain(COUNTY_DEPT);
  const usesIndex = (plan: string) => /Index (Only )?Scan[^\n]* on cases\b/.test(plan) || /Bitmap Index Scan on cases_/.test(plan);
  const indexNames = (plan: string) => [...new Set([...plan.matchAll(/(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]))];

  const data = { cases: rm.counts.cases, openCases: openTotal, overdueCases: overdueTotal, now: NOW.toISOString(), runs, pageSize: LIMIT, firstPageItems: firstPage.items.length };
  const reference = { name: 'case by primary key p99', value: pk.p99, unit: 'ms' };
  const figure = (name: string, s: ReturnType<typeof summarize>, details: Record<string, unknown>) =>
    boundFigure({ id: 'B3', name, value: s.p99, unit: 'ms', reference, ratio: round(s.p99 / pk.p99, 1), max: 50, details: { latencyMs: s, ...details } });
  return [
    figure('overdue page p99, city supervisor (HTTP)', overdueCity, {
      ...data, query: queryCity, explain: planCity, usesIndex: usesIndex(planCity), indexes: indexNames(planCity),
    }),
    figure('overdue page p99, county dept coordinator (HTTP)', overdueCounty, {
      query: queryCounty, explain: planCounty, usesIndex: usesIndex(planCounty), indexes: indexNames(planCounty),
    }),
    ...(overdueDeep ? [figure(`overdue page ${deepPage} p99, city (HTTP)`, overdueDeep, {})] : []),
    infoFigure({ id: 'B3', name: 'overdue page p50, city (HTTP)', value: overdueCity.p50, unit: 'ms', reference: { name: 'case by primary key p50', value: pk.p50, unit: 'ms' } }),
    infoFigure({ id: 'B3', name: 'overdue EXPLAIN uses an index (city/county)', value: Number(usesIndex(planCity)) + Number(usesIndex(planCounty)), unit: 'of 2', details: { city: indexNames(planCity), county: indexNames(planCounty) } }),
    infoFigure({ id: 'B3', name: 'stuck page p99, city (HTTP)', value: stuckCity.p99, unit: 'ms', reference, ratio: round(stuckCity.p99 / pk.p99, 1), details: { latencyMs: stuckCity } }),
    infoFigure({ id: 'B3', name: 'summary p99, city (HTTP)', value: summaryCity.p99, unit: 'ms', reference, ratio: round(summaryCity.p99 / pk.p99, 1), details: { latencyMs: summaryCity } }),
    infoFigure({ id: 'B3', name: 'summary p99, county dept (HTTP)', value: summaryCounty.p99, unit: 'ms', reference, ratio: round(summaryCounty.p99 / pk.p99, 1), details: { latencyMs: summaryCounty } }),
    infoFigure({ id: 'B3', name: 'dashboard trend 12 weeks p99, city (HTTP)', value: trend12.p99, unit: 'ms', reference, ratio: round(trend12.p99 / pk.p99, 1), details: { latencyMs: trend12 } }),
    infoFigure({ id: 'B3', name: 'dashboard trend 52 weeks p99, city (HTTP)', value: trend52.p99, unit: 'ms', reference, ratio: round(trend52.p99 / pk.p99, 1), details: { latencyMs: trend52 } }),
    infoFigure({ id: 'B3', name: 'cases behind the overdue figure p99, city (HTTP)', value: figureOverdue.p99, unit: 'ms', reference, ratio: round(figureOverdue.p99 / pk.p99, 1), details: { latencyMs: figureOverdue } }),
  ];
};
