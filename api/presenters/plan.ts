/** How a plan looks over HTTP: codes travel with their Chinese labels. */
import { addDaysToDate } from '../../domain/calendar';
import { CADENCE_UNIT_LABELS, findAction, findItem } from '../../domain/catalog';
import { countyLabel, LEADERSHIP_OFFICE, type CountyCode } from '../../domain/counties';
import { departmentLabel, type DepartmentCode } from '../../domain/departments';
import { checkCadence } from '../../domain/planPeriods';
import { labelOf as lbl, PLAN_STATUS_LABELS } from '../../domain/vocabulary';
import type { planPeriods, plans, planSessions } from '../../db/schema';
import type { PlanEndReason, PlanSession, PlanState } from '../../workflows/planContract';
import { PROVIDER_TYPE_LABELS } from '../services/enrolPlan';

/**
 * The current period's weeks (weekly cadences) with their sessions so far: a week that has ended has its
 * verdict (a whole week with no qualifying session already falls short, before the period is checked);
 * the week in progress, those to come and a week the plan covers only in part (never checked) have none.
 */
function weeksSoFar(state: PlanState) {
  const p = state.period;
  if (!p?.weeks) return null;
  const weeks = checkCadence(state.input.cadence, p, state.sessions).weeks ?? [];
  return weeks.map(({ compliant, ...w }) => (w.checked && w.end < state.today ? { ...w, compliant } : w));
}

const PLAN_END_REASON_LABELS: Readonly<Record<PlanEndReason, string>> = { end_date: '计划到期', withdrawn: '退出服务', aged_out: '超龄终止（年满7周岁）' };
/** The end detail of an aged-out plan for callers that may not see the date it names. */
const AGED_OUT_DETAIL = '儿童年满7周岁，超出0–6岁残疾儿童送康复上门服务范围，服务自动终止';

/** Where an escalation went: the county department, or the leadership group's office. */
export function escalationTarget(code: string | null, county: string) {
  if (!code) return null;
  if (code === LEADERSHIP_OFFICE.code) return { ...LEADERSHIP_OFFICE };
  const dept = departmentLabel(code as DepartmentCode);
  return { code, label: `${countyLabel(county as CountyCode).label}${dept.label}` };
}

const provider = (p: { type: string; name: string }) => ({ type: lbl(p.type, PROVIDER_TYPE_LABELS), name: p.name });

export function presentSession(s: PlanSession | typeof planSessions.$inferSelect) {
  const isRow = 'sessionDate' in s;
  return {
    id: s.id,
    period: s.period,
    date: isRow ? s.sessionDate : s.date,
    units: Number(s.units),
    unit: lbl(s.unit, CADENCE_UNIT_LABELS),
    providerStaff: s.providerStaff,
    content: s.content ?? '',
    evidence: s.evidence,
    recordedBy: s.recordedBy,
    recordedAt: isRow ? s.createdAt.toISOString() : s.recordedAt,
  };
}

/** A checked period's verdict in short: how many sessions counted against how many were required, and what was missing. */
export function presentVerdict(p: Pick<typeof planPeriods.$inferSelect, 'period' | 'partial' | 'sessions' | 'qualifying' | 'required' | 'compliant' | 'shortfall'>) {
  const shortfall = p.shortfall as { text?: string; summary?: string };
  return {
    period: p.period,
    partial: p.partial,
    sessions: p.sessions,
    qualifying: p.qualifying,
    required: p.required,
    compliant: p.compliant,
    verdict: p.compliant ? { code: 'compliant', label: '达标' } : { code: 'shortfall', label: '未达标' },
    shortfall: shortfall.text ?? null,
  };
}

export function presentPeriod(p: typeof planPeriods.$inferSelect, county: string) {
  return {
    ...presentVerdict(p),
    startDate: p.startDate,
    endDate: p.endDate,
    units: Number(p.units),
    weeks: p.weeks,
    escalatedTo: escalationTarget(p.escalatedTo, county),
    checkedAt: p.checkedAt.toISOString(),
  };
}

export interface PlanViewOptions {
  /**
   * Whether the caller may see a child's birth date and what derives from it (api/audit.ts mayUnmask):
   * the 7th birthday (`ageOutOn`), and the day before it where it ends a period or the plan. The masked
   * ID number hides exactly the birth date, so a role that may not unmask must not rebuild it from here.
   */
  birthDerived: boolean;
}

/**
 * Hides a child's age-out date from callers that may not see birth dates: the 7th birthday and the last
 * day of service before it become null (the month stays visible in the period key), and the plan's
 * end detail loses its date.
 */
function ageOutRedactor(ageOutOn: string | undefined, o: PlanViewOptions) {
  const hidden = new Set(ageOutOn && !o.birthDerived ? [ageOutOn, addDaysToDate(ageOutOn, -1)] : []);
  return {
    date: (d: string | null): string | null => (d !== null && hidden.has(d) ? null : d),
    active: hidden.size > 0,
  };
}

/** The plan view: the workflow's state (current period and progress), the read model's past periods and assessment. */
export function presentPlan(state: PlanState, row: typeof plans.$inferSelect | undefined, periods: Array<typeof planPeriods.$inferSelect>, o: PlanViewOptions) {
  const { input } = state;
  const item = findItem(input.itemCode);
  const found = findAction(input.itemCode, input.actionCode);
  const p = state.period;
  const redact = ageOutRedactor(input.ageOutOn, o);
  return {
    id: input.planId,
    subjectId: input.subjectId,
    needId: input.needId ?? null,
    status: lbl(state.status, PLAN_STATUS_LABELS),
    item: { code: input.itemCode, label: item?.label ?? input.itemCode },
    action: { code: input.actionCode, label: found?.action.label ?? input.actionCode },
    county: countyLabel(input.county as CountyCode),
    department: departmentLabel(input.department as DepartmentCode),
    catalogVersion: input.catalogVersion,
    cadence: input.cadence,
    provider: provider(input.provider),
    assessment: row?.assessment ?? null,
    startDate: input.startDate,
    endDate: input.endDate ?? null,
    ageOutOn: redact.active ? null : input.ageOutOn ?? null,
    today: state.today,
    currentPeriod: p && state.status !== 'ended' ? {
      period: p.key,
      startDate: p.start,
      endDate: redact.date(p.end),
      partial: p.partial,
      progress: state.progress,
      weeks: weeksSoFar(state),
      sessions: state.sessions.map(presentSession),
    } : null,
    pastPeriods: periods.map((x) => ({ ...presentPeriod(x, input.county), endDate: redact.date(x.endDate) })),
    totals: state.carry.totals,
    escalation: state.escalationLevel > 0 ? {
      level: state.escalationLevel,
      target: escalationTarget(state.escalationLevel >= 2 ? LEADERSHIP_OFFICE.code : input.department, input.county),
    } : null,
    end: state.end ? {
      ...state.end,
      lastDay: redact.date(state.end.lastDay),
      detail: redact.active && state.end.reason === 'aged_out' ? AGED_OUT_DETAIL : state.end.detail,
      reason: lbl(state.end.reason, PLAN_END_REASON_LABELS),
    } : null,
    enrolledAt: input.enrolledAt,
    enrolledBy: input.enrolledBy,
    readModel: row ? { lastEventSeq: row.lastEventSeq, status: row.status, updatedAt: row.updatedAt.toISOString() } : null,
  };
}

/**
 * One row of the plan list (read model only), with the subject's name and the verdicts of the last
 * checked periods (no dates: a child's last period may end the day before a birthday the caller may not see).
 */
export function presentPlanRow(row: typeof plans.$inferSelect, subjectName: string | null, periods: ReadonlyArray<Parameters<typeof presentVerdict>[0]>) {
  const item = findItem(row.itemCode);
  const state = row.state as Partial<PlanState>;
  return {
    id: row.id,
    subjectId: row.subjectId,
    status: lbl(row.status, PLAN_STATUS_LABELS),
    item: { code: row.itemCode, label: item?.label ?? row.itemCode },
    county: countyLabel(row.county as CountyCode),
    department: departmentLabel(row.department as DepartmentCode),
    provider: provider(row.provider as { type: string; name: string }),
    startDate: row.startDate,
    endDate: row.endDate,
    currentPeriod: row.currentPeriod,
    progress: row.status === 'active' ? state.progress ?? null : null,
    lastPeriodCompliant: row.lastPeriodCompliant,
    escalationLevel: row.escalationLevel,
    endReason: row.endReason ? lbl(row.endReason, PLAN_END_REASON_LABELS) : null,
    subjectName,
    recentPeriods: periods.map(presentVerdict),
    createdAt: row.createdAt.toISOString(),
  };
}
