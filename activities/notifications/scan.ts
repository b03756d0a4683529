/**
 * The time-based notifications, found by scanning the read model (the notificationScan Schedule runs
 * it hourly, the notificationDigest one daily; temporal/schedules.ts). Every notification's event key
 * is built from what it is about (the case, the step and its deadline, the visit, the quarter…), so a
 * scan run again — the next hour, or a retried activity — writes nothing twice.
 *
 * - visit due tomorrow: a case at its visit step whose last visit is scheduled for tomorrow (Asia/Shanghai);
 * - step due within one working day: an open step (not on hold, not overdue) whose deadline is at or
 *   before the end of the next working day (domain/calendar addWorkingDays(now, 1));
 * - supplement due: documents accepted as missing whose deadline falls in the same window;
 * - plan period falling short: an active plan of an enforced cadence whose current month has sessions
 *   missing in its last 7 days, or whose current week (not a school holiday week) still lacks its
 *   session from its Friday on;
 * - quarterly table due: a county table the reporting Schedule reminded (each reminder once), and late:
 *   a county table marked late;
 * - the supervisors' daily digest: for each supervisor, the open, overdue, due-soon and unassigned cases
 *   and the escalations of the last day in their scope.
 */
import type { Db } from '../../db/client';
import { effectiveCalendar } from '../../db/queries/calendar';
import { writeNotifications } from '../../db/queries/notifications';
import { addDaysToDate, addWorkingDays, dayOfWeek, shanghaiDate, startOfShanghaiDay } from '../../domain/calendar';
import { loadPolicy } from '../../db/queries/policy';
import { daysInclusive, periodProgress } from '../../domain/planPeriods';
import { isSchoolHolidayWeek, type SchoolHolidays } from '../../domain/policy';
import type { PlanState } from '../../workflows/planContract';
import { countyLabel, type CountyCode } from '../../domain/counties';
import { departmentLabel, type DepartmentCode } from '../../domain/departments';
import { caseOwner, maskName, shanghaiMinute, type NotificationDraft } from '../../domain/notifications';
import { CASE_STEP_LABELS, type CaseStep } from '../../domain/vocabulary';

interface DueCaseRow {
  id: string; county: string; department: string; assignee: string | null; step: CaseStep; name: string;
  due_at: Date | null; supplement_due_at: Date | null; visit_n: number | null; visit_at: string | null;
}

const caseLink = (id: string) => `/cases/${encodeURIComponent(id)}`;
const where = (county: string, department: string) => {
  try {
    return `${countyLabel(county as CountyCode).label}${departmentLabel(department as DepartmentCode).label}`;
  } catch {
    return `${county} ${department}`;
  }
};

/** The case notifications due at `at`: visits tomorrow, steps and supplements due within one working day. */
async function dueCaseDrafts(db: Db, at: Date): Promise<NotificationDraft[]> {
  const calendar = await effectiveCalendar(db);
  const horizon = addWorkingDays(at, 1, calendar);
  const tomorrow = addDaysToDate(shanghaiDate(at), 1);
  const [tStart, tEnd] = [startOfShanghaiDay(tomorrow), startOfShanghaiDay(addDaysToDate(tomorrow, 1))];
  const rows = await db.$client<DueCaseRow[]>`
    select c.id, c.county, c.department, c.assignee, c.step, s.name, c.due_at, c.supplement_due_at,
      (c.state->'visits'->-1->>'n')::int as visit_n, c.state->'visits'->-1->>'scheduledAt' as visit_at
    from cases c join subjects s on s.id = c.subject_id
    where c.status = 'open' and not c.on_hold and (
      (not c.overdue and c.step <> 'ledger' and c.due_at > ${at.toISOString()}::timestamptz and c.due_at <= ${horizon.toISOString()}::timestamptz)
      or (c.state->'supplement'->>'status' = 'pending' and c.supplement_due_at > ${at.toISOString()}::timestamptz and c.supplement_due_at <= ${horizon.toISOString()}::timestamptz)
      or (c.step = 'visit' and c.state->'visits'->-1->>'outcome' is null
          and (c.state->'visits'->-1->>'scheduledAt')::timestamptz >= ${tStart.toISOString()}::timestamptz
          and (c.state->'visits'->-1->>'scheduledAt')::timestamptz < ${tEnd.toISOString()}::timestamptz))`;
  return rows.flatMap((r) => {
    const base = { caseId: r.id, link: caseLink(r.id) };
    const line = `案件编号：${r.id}；服务对象：${maskName(r.name)}`;
    const out: NotificationDraft[] = [];
    const due = r.due_at ? new Date(r.due_at) : null;
    if (due && due > at && due <= horizon && r.step !== 'ledger') {
      out.push({
        ...base, eventKey: `case:${r.id}:step_due:${r.step}:${due.toISOString()}`, kind: 'step_due', audiences: [caseOwner(r)],
        title: '办理期限临近', body: `${line}。“${CASE_STEP_LABELS[r.step] ?? r.step}”步骤将于 ${shanghaiMinute(due)} 到期，请在一个工作日内办理。`,
      });
    }
    const sup = r.supplement_due_at ? new Date(r.supplement_due_at) : null;
    if (sup && sup > at && sup <= horizon) {
      out.push({
        ...base, eventKey: `case:${r.id}:supplement_due:${sup.toISOString()}`, kind: 'supplement_due', audiences: [caseOwner(r)],
        title: '容缺材料即将到期', body: `${line}。容缺受理的材料须于 ${shanghaiMinute(sup)} 前补交。`,
      });
    }
    if (r.step === 'visit' && r.visit_at && r.assignee) {
      const visitAt = new Date(r.visit_at);
      if (visitAt >= tStart && visitAt < tEnd) {
        out.push({
          ...base, eventKey: `case:${r.id}:visit_due:${r.visit_n}:${visitAt.toISOString()}`, kind: 'visit_due', audiences: [caseOwner(r)],
          title: '明日上门', body: `${line}。已预约 ${shanghaiMinute(visitAt)} 上门办理。`,
        });
      }
    }
    return out;
  });
}

/** Days before a monthly period's end from which a shortfall is warned of; weekly periods: from Friday (ISO day 5). */
export const AT_RISK_DAYS_LEFT = 7;
const AT_RISK_WEEKDAY = 5;

/** Active plans whose current period is falling short (enforced cadences only; local ones are advisory). */
async function planAtRiskDrafts(db: Db, at: Date): Promise<NotificationDraft[]> {
  const rules = await loadPolicy(db);
  const today = shanghaiDate(at);
  const rows = await db.$client<Array<{ id: string; county: string; department: string; item_code: string; name: string; state: PlanState }>>`
    select p.id, p.county, p.department, p.item_code, s.name, p.state from plans p join subjects s on s.id = p.subject_id
    where p.status = 'active' and p.current_period is not null`;
  return rows.flatMap((p): NotificationDraft[] => {
    const rule = rules.find((r) => r.key === `cadence.${p.item_code}`);
    const period = p.state.period;
    const cadence = p.state.input?.cadence;
    if (!rule?.enforced || !period || !cadence || today < period.start || today > period.end) return [];
    const sessions = (p.state.sessions ?? []).map((x) => ({ date: x.date, units: x.units }));
    const progress = periodProgress(cadence, period, sessions, today);
    const base = {
      kind: 'plan_period_at_risk' as const, planId: p.id, link: `/plans/${encodeURIComponent(p.id)}`, title: '服务计划本期进度不足',
      audiences: [{ kind: 'county_coordinators' as const, county: p.county, department: p.department }],
    };
    const line = `服务计划编号：${p.id}；服务对象：${maskName(p.name)}`;
    if (cadence.period === 'week') {
      const w = progress.week;
      const holidays = (rules.find((r) => r.key === `schoolHolidays.${p.item_code}`)?.value ?? {}) as SchoolHolidays;
      if (!w || !w.checked || isSchoolHolidayWeek(holidays, w.start) || dayOfWeek(today) < AT_RISK_WEEKDAY || w.qualifying >= cadence.minSessions) return [];
      return [{ ...base, eventKey: `plan:${p.id}:week:${w.start}:at_risk`, body: `${line}。本周（${w.start} 起）尚未完成规定的服务（${progress.label}），请督促服务机构在本周内安排。` }];
    }
    const daysLeft = daysInclusive(today, period.end);
    if (daysLeft > AT_RISK_DAYS_LEFT || progress.done >= progress.required) return [];
    return [{ ...base, eventKey: `plan:${p.id}:${period.key}:at_risk`, body: `${line}。${period.key} 期已服务 ${progress.label}，距本期结束还有 ${daysLeft} 天，请督促服务机构按频次安排。` }];
  });
}

/** Quarterly tables reminded (each reminder once) or marked late. */
async function reportDrafts(db: Db): Promise<NotificationDraft[]> {
  const rows = await db.$client<Array<{ quarter: string; county: string; department: string; reminders: number; late: boolean }>>`
    select quarter, county, department, reminders, late from report_submissions
    where level = 'county' and status <> 'submitted' and (reminders > 0 or late)`;
  return rows.flatMap((r): NotificationDraft[] => {
    const coordinators = { kind: 'county_coordinators' as const, county: r.county, department: r.department };
    const link = `/reports/quarterly?quarter=${r.quarter}`;
    if (r.late) {
      return [{
        eventKey: `report:${r.quarter}:${r.county}:${r.department}:late`, kind: 'report_late' as const, link,
        audiences: [coordinators, { kind: 'county_lead' as const, county: r.county, department: r.department }],
        title: '季度统计表逾期未报', body: `${where(r.county, r.department)} ${r.quarter} 工作情况统计表未在季度结束前报送，已标记逾期，请尽快报送。`,
      }];
    }
    return [{
      eventKey: `report:${r.quarter}:${r.county}:${r.department}:due:${r.reminders}`, kind: 'report_due' as const, link, audiences: [coordinators],
      title: '季度统计表待报送', body: `${where(r.county, r.department)} ${r.quarter} 工作情况统计表尚未报送，请在季度结束前报送市级部门。`,
    }];
  });
}

/** Writes the time-based notifications due at `at` (idempotent); returns how many rows were new. */
export async function scanNotifications(db: Db, input: { at: string }): Promise<{ written: number }> {
  const at = new Date(input.at);
  const drafts = [...await dueCaseDrafts(db, at), ...await planAtRiskDrafts(db, at), ...await reportDrafts(db)];
  return { written: await db.transaction((tx) => writeNotifications(tx, drafts, at)) };
}

interface DigestCounts { open: number; overdue: number; dueSoon: number; unassigned: number; escalated: number }

/** Writes each active supervisor's daily digest of `at`'s day (Asia/Shanghai; once per day). */
export async function writeDigests(db: Db, input: { at: string }): Promise<{ written: number }> {
  const at = new Date(input.at);
  const horizon = addWorkingDays(at, 1, await effectiveCalendar(db));
  const since = new Date(at.getTime() - 86_400_000);
  const groups = await db.$client<Array<{ county: string; department: string } & DigestCounts>>`
    with open_cases as (
      select county, department,
        count(*)::int as open,
        count(*) filter (where overdue)::int as overdue,
        count(*) filter (where not overdue and not on_hold and due_at > ${at.toISOString()}::timestamptz and due_at <= ${horizon.toISOString()}::timestamptz)::int as "dueSoon",
        count(*) filter (where assignee is null)::int as unassigned
      from cases where status = 'open' group by county, department
    ), escalations as (
      select c.county, c.department, count(*)::int as escalated
      from case_events e join cases c on c.id = e.case_id
      where e.type = 'escalated' and e.at > ${since.toISOString()}::timestamptz and e.at <= ${at.toISOString()}::timestamptz
      group by c.county, c.department
    )
    select county, department, coalesce(o.open, 0) as open, coalesce(o.overdue, 0) as overdue, coalesce(o."dueSoon", 0) as "dueSoon",
      coalesce(o.unassigned, 0) as unassigned, coalesce(x.escalated, 0) as escalated
    from open_cases o full join escalations x using (county, department)`;
  const supervisors = await db.$client<Array<{ id: string; counties: string[]; departments: string[]; city_level: boolean }>>`
    select id, counties, departments, city_level from users where role = 'supervisor' and not disabled`;
  const day = shanghaiDate(at);
  const drafts: NotificationDraft[] = supervisors.map((u) => {
    const mine = groups.filter((g) => (u.city_level || u.counties.includes(g.county)) && (u.departments.length === 0 || u.departments.includes(g.department)));
    const sum = (k: keyof DigestCounts) => mine.reduce((n, g) => n + g[k], 0);
    return {
      eventKey: `digest:${day}`, kind: 'daily_digest', audiences: [{ kind: 'user', userId: u.id }], link: '/supervision',
      title: `每日督办摘要（${day}）`,
      body: `辖区内在办案件 ${sum('open')} 件，其中超期 ${sum('overdue')} 件、一个工作日内到期 ${sum('dueSoon')} 件、未分派 ${sum('unassigned')} 件；近24小时督办升级 ${sum('escalated')} 次。`,
    };
  });
  return { written: await db.transaction((tx) => writeNotifications(tx, drafts, at)) };
}
