/**
 * B5 statistics: the city's quarterly statistics table (GET /v1/reports/quarterly?level=city, every
 * department, summed over the six counties) over the 1,000,000-case read model. Target: under 0.5 s
 * (issue 15 point 8). Reference measured in the same run: one sequential scan of the cases table
 * (select count(*)), so the ratio says how many full scans the table costs. Also reported: one county's
 * table, the first request (which counts the ended quarter and stores it: db/queries/statistics.ts), and
 * the recount itself (countQuarter, what a read costs when rows timed before the quarter's end were
 * written after it was counted).
 */
import { countQuarter, quarterStatistics } from '../db/queries/statistics';
import type { Benchmark } from './context';
import { NOW, QUARTER, readModel } from './readModel';
import { getJson, readApi, timeRuns } from './readApi';
import { boundFigure, infoFigure } from './report';
import { round, summarize } from './stats';

export const b5Statistics: Benchmark = async (ctx) => {
  const rm = await readModel(ctx);
  const api = await readApi(ctx);
  const runs = ctx.opts.quick ? 3 : 7;
  const sql = rm.db.$client;
  // Start from nothing stored, so the first request counts the quarter as it would right after the quarter ends.
  await sql`delete from quarter_statistics where quarter = ${QUARTER}`;

  // The first (cold) run is reported apart; the figure is the median of the warm runs.
  const t0 = process.hrtime.bigint();
  const city = await getJson(api.url, `/v1/reports/quarterly?quarter=${QUARTER}&level=city`, api.supervisor.token);
  const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cityRuns = summarize(await timeRuns(runs, () => getJson(api.url, `/v1/reports/quarterly?quarter=${QUARTER}&level=city`, api.supervisor.token), 0));
  const countyRuns = summarize(await timeRuns(runs, () => getJson(api.url, `/v1/reports/quarterly?quarter=${QUARTER}&level=county&county=640104`, api.supervisor.token), 1));
  const queryRuns = summarize(await timeRuns(runs, () => quarterStatistics(rm.db, QUARTER, NOW), 1));
  const recountRuns = summarize(await timeRuns(ctx.opts.quick ? 2 : 3, () => countQuarter(rm.db, QUARTER, NOW), 0));
  const scan = summarize(await timeRuns(runs, () => sql`select count(*) from cases`, 1));

  const sumOf = (t: any, k: string) => Number(t?.totals?.[k] ?? 0);
  const totals = {
    casesOpened: city.tables.reduce((s: number, t: unknown) => s + sumOf(t, 'casesOpened'), 0),
    casesCompleted: city.tables.reduce((s: number, t: unknown) => s + sumOf(t, 'casesCompleted'), 0),
    pending: city.tables.reduce((s: number, t: unknown) => s + sumOf(t, 'pending'), 0),
    planPeriods: city.tables.reduce((s: number, t: unknown) => s + sumOf(t, 'planPeriods'), 0),
  };
  if (totals.casesOpened === 0) ctx.note('B5: the city table counted no case opened in the quarter (check the generated dates)');
  const seconds = round(cityRuns.p50 / 1000, 3);
  const reference = { name: 'full scan of cases', value: round(scan.p50 / 1000, 3), unit: 's' };
  return [
    boundFigure({
      id: 'B5', name: `quarterly table, city (${QUARTER}, HTTP)`, value: seconds, unit: 's', max: 0.5, reference,
      ratio: round(cityRuns.p50 / scan.p50, 1),
      details: { cases: rm.counts.cases, quarter: QUARTER, now: NOW.toISOString(), coldMs: round(coldMs), runsMs: cityRuns, tables: city.tables.length, totals, queryMs: queryRuns, recountMs: recountRuns, scanMs: scan },
    }),
    infoFigure({ id: 'B5', name: 'quarterly table, city: first request (counts and stores the ended quarter)', value: round(coldMs / 1000, 3), unit: 's', reference, ratio: round(coldMs / scan.p50, 1) }),
    infoFigure({ id: 'B5', name: 'quarterly table, city: slowest warm run', value: round(cityRuns.max / 1000, 3), unit: 's' }),
    infoFigure({ id: 'B5', name: 'recount of the quarter (countQuarter, no HTTP)', value: round(recountRuns.p50 / 1000, 3), unit: 's', reference, ratio: round(recountRuns.p50 / scan.p50, 1) }),
    infoFigure({ id: 'B5', name: 'quarterly table, one county (HTTP)', value: round(countyRuns.p50 / 1000, 3), unit: 's', reference, ratio: round(countyRuns.p50 / scan.p50, 1) }),
  ];
};
