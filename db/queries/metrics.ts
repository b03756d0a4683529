/**
 * The figures behind the business gauges on /metrics (api/metrics.ts), read from the read model at
 * scrape time. Labels are county and department codes only, never anything about a person.
 */
import { shanghaiDate, startOfShanghaiDay } from '../../domain/calendar';
import type { Db } from '../client';
import { iso } from './supervision';

export interface ScopeCount { county: string; department: string; value: number }

/** Open and overdue cases per county and department (overdue: open, not on hold, past due — as the supervision pages count it). */
export async function openCaseCounts(db: Db, now: Date): Promise<{ open: ScopeCount[]; overdue: ScopeCount[] }> {
  const rows = await db.$client`
    select county, department, count(*)::int as open,
      count(*) filter (where not on_hold and due_at < ${iso(now)}::timestamptz)::int as overdue
    from cases where status = 'open' group by county, department`;
  return {
    open: rows.map((r) => ({ county: r.county as string, department: r.department as string, value: r.open as number })),
    overdue: rows.map((r) => ({ county: r.county as string, department: r.department as string, value: r.overdue as number })),
  };
}

/** Escalations raised since midnight (Asia/Shanghai), per county and department. */
export async function escalationsToday(db: Db, now: Date): Promise<ScopeCount[]> {
  const since = startOfShanghaiDay(shanghaiDate(now));
  const rows = await db.$client`
    select c.county, c.department, count(*)::int as n
    from case_events e join cases c on c.id = e.case_id
    where e.type = 'escalated' and e.at >= ${iso(since)}::timestamptz
    group by c.county, c.department`;
  return rows.map((r) => ({ county: r.county as string, department: r.department as string, value: r.n as number }));
}
