/**
 * Periods and cadence checks of ongoing service plans (items 5, 6, 7, 11, 12). Pure: dates are
 * 'YYYY-MM-DD' strings in Asia/Shanghai, instants come from domain/calendar.ts.
 *
 * Decisions (the seed is silent on them):
 * - A plan's period is a month, keyed 'YYYY-MM'. For a monthly cadence it is the calendar month.
 * - For a weekly cadence (送教上门, 家政服务) the period is made of whole ISO weeks, Monday–Sunday in
 *   Asia/Shanghai, and a week belongs to the month in which its Monday falls. So the period '2026-12'
 *   runs from Monday 2026-12-07 to Sunday 2027-01-03 (the week of Monday 2026-11-30 is November's):
 *   every day belongs to exactly one week and every week to exactly one period, and no week is ever
 *   split between two checks.
 * - A period is clipped to the plan's first and last day of service (start date; end date, the day
 *   before a child's 7th birthday, or the day of withdrawal).
 * - Partial periods are checked pro rata: a monthly cadence requires floor(minSessions × covered days
 *   / days in the month) sessions (rounding down: a provider is never held to a visit the plan gave no
 *   time for). For a weekly cadence only the weeks the plan covers entirely (all seven days) are
 *   checked; sessions in a partial week still count and show, but a partial week cannot fail.
 * - Every session counts once; a session shorter than the cadence's minimum length (e.g. 1.5 of 2
 *   class hours) does not count towards the cadence.
 */
import { addDaysToDate, dayOfWeek, isDateString, startOfShanghaiDay, weekStart } from './calendar';
import type { Cadence } from './catalog';
import { parseIdNumber } from './idNumber';

/** One ISO week (Monday–Sunday) of a weekly-cadence period. */
export interface PlanWeek {
  /** 1-based number of the week inside its period. */
  index: number;
  start: string;
  end: string;
  /** Days of the week on which the plan is in service (0–7). */
  coveredDays: number;
  /** True when the week is checked against the cadence (the plan covers all seven days). */
  checked: boolean;
}

/** One period of a plan, clipped to the plan's days of service. */
export interface PlanPeriod {
  /** 'YYYY-MM': the month the period belongs to. */
  key: string;
  /** The whole period's first and last day (a calendar month, or whole weeks for weekly cadences). */
  naturalStart: string;
  naturalEnd: string;
  /** The days of this period the plan is in service, inclusive. */
  start: string;
  end: string;
  naturalDays: number;
  coveredDays: number;
  /** True when the plan covers fewer days than the whole period (checked pro rata). */
  partial: boolean;
  /** Weekly cadences only: the period's weeks. */
  weeks?: PlanWeek[];
}

/** The plan's days of service: from the start date to the last day (inclusive), if there is one. */
export interface PlanBounds {
  startDate: string;
  lastDay?: string;
}

/** A recorded session, as far as the cadence is concerned. */
export interface SessionUnits {
  date: string;
  units: number;
}

/** One checked week of a weekly-cadence period. */
export interface WeekVerdict extends PlanWeek {
  sessions: number;
  qualifying: number;
  /** The longest single session of the week (units). */
  longest: number;
  compliant: boolean;
}

/** The outcome of checking a period against its cadence. */
export interface PeriodVerdict {
  compliant: boolean;
  /** Sessions recorded in the period. */
  sessions: number;
  /** Sessions long enough to count. */
  qualifying: number;
  /** Total units (minutes or class hours) recorded. */
  units: number;
  /** Sessions the period required (monthly cadences; pro rata when partial). */
  required: number;
  /** Weeks checked and weeks compliant (weekly cadences). */
  weeksChecked?: number;
  weeksCompliant?: number;
  weeks?: WeekVerdict[];
  /** The shortfall in Chinese for the ledger and the supervisor; null when compliant. */
  shortfall: string | null;
  /** A one-line summary in Chinese: '4/4 次', '5/5 周达标'. */
  summary: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function assertDate(d: string, what: string): void {
  if (!isDateString(d)) throw new RangeError(`${what} is not a YYYY-MM-DD date: ${d}`);
}

/** Days from a to b inclusive (0 when b < a). */
export function daysInclusive(a: string, b: string): number {
  if (b < a) return 0;
  return Math.round((startOfShanghaiDay(b).getTime() - startOfShanghaiDay(a).getTime()) / 86_400_000) + 1;
}

/** The month after 'YYYY-MM'. */
export function nextMonthKey(key: string): string {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  return m === 12 ? `${String(y + 1).padStart(4, '0')}-01` : `${key.slice(0, 4)}-${String(m + 1).padStart(2, '0')}`;
}

/** The first Monday on or after a date. */
function mondayOnOrAfter(d: string): string {
  return addDaysToDate(d, (8 - dayOfWeek(d)) % 7);
}

/** The key ('YYYY-MM') of the period a date falls in: its month, or for weekly cadences the month of its week's Monday. */
export function periodKeyOf(cadence: Pick<Cadence, 'period'>, date: string): string {
  assertDate(date, 'date');
  return (cadence.period === 'week' ? weekStart(date) : date).slice(0, 7);
}

/** The whole period 'YYYY-MM' before clipping: the calendar month, or the weeks whose Monday lies in the month. */
export function naturalPeriod(cadence: Pick<Cadence, 'period'>, key: string): { start: string; end: string } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(key)) throw new RangeError(`not a YYYY-MM period key: ${key}`);
  const first = `${key}-01`;
  const nextFirst = `${nextMonthKey(key)}-01`;
  if (cadence.period === 'week') {
    return { start: mondayOnOrAfter(first), end: addDaysToDate(mondayOnOrAfter(nextFirst), -1) };
  }
  return { start: first, end: addDaysToDate(nextFirst, -1) };
}

/**
 * The period 'key' of a plan, clipped to the plan's days of service; undefined when the plan is not
 * in service on any day of it.
 */
export function planPeriod(cadence: Pick<Cadence, 'period'>, key: string, bounds: PlanBounds): PlanPeriod | undefined {
  assertDate(bounds.startDate, 'startDate');
  if (bounds.lastDay !== undefined) assertDate(bounds.lastDay, 'lastDay');
  const nat = naturalPeriod(cadence, key);
  const start = bounds.startDate > nat.start ? bounds.startDate : nat.start;
  const end = bounds.lastDay !== undefined && bounds.lastDay < nat.end ? bounds.lastDay : nat.end;
  if (end < start) return undefined;
  const naturalDays = daysInclusive(nat.start, nat.end);
  const coveredDays = daysInclusive(start, end);
  const period: PlanPeriod = {
    key, naturalStart: nat.start, naturalEnd: nat.end, start, end, naturalDays, coveredDays, partial: coveredDays < naturalDays,
  };
  if (cadence.period === 'week') {
    const weeks: PlanWeek[] = [];
    for (let monday = nat.start, i = 1; monday <= nat.end; monday = addDaysToDate(monday, 7), i++) {
      const sunday = addDaysToDate(monday, 6);
      const covered = daysInclusive(monday > start ? monday : start, sunday < end ? sunday : end);
      weeks.push({ index: i, start: monday, end: sunday, coveredDays: covered, checked: covered === 7 });
    }
    period.weeks = weeks;
  }
  return period;
}

/** The instant at which a period's last day of service ends (24:00 Asia/Shanghai): when it is checked. */
export function periodEndsAt(period: Pick<PlanPeriod, 'end'>): Date {
  return startOfShanghaiDay(addDaysToDate(period.end, 1));
}

/** The Chinese name of a cadence's unit. */
export function unitLabel(cadence: Pick<Cadence, 'unit'>): string {
  return cadence.unit === 'class_hours' ? '课时' : cadence.unit === 'minutes' ? '分钟' : '次';
}

const md = (d: string) => `${d.slice(5, 7)}月${d.slice(8, 10)}日`;
const num = (n: number) => String(Math.round(n * 100) / 100);

/** Sessions a monthly period requires: the cadence's minimum, pro rata (rounded down) when the plan covers only part of the month. */
export function requiredSessions(cadence: Pick<Cadence, 'minSessions'>, period: Pick<PlanPeriod, 'coveredDays' | 'naturalDays' | 'partial'>): number {
  if (!period.partial) return cadence.minSessions;
  return Math.floor((cadence.minSessions * period.coveredDays) / period.naturalDays);
}

/** True when a session is long enough to count towards the cadence. */
function qualifies(cadence: Pick<Cadence, 'minUnitsPerSession'>, s: SessionUnits): boolean {
  return s.units > 0 && (cadence.minUnitsPerSession === undefined || s.units >= cadence.minUnitsPerSession);
}

/**
 * Checks a period's sessions against the cadence: how many sessions were needed and given, whether it
 * is compliant, and the shortfall explained in Chinese (the words that go into the ledger's remarks).
 * Sessions outside the period are ignored.
 */
export function checkCadence(cadence: Cadence, period: PlanPeriod, sessions: readonly SessionUnits[]): PeriodVerdict {
  const inPeriod = sessions.filter((s) => DATE_RE.test(s.date) && period.start <= s.date && s.date <= period.end);
  const units = inPeriod.reduce((sum, s) => sum + s.units, 0);
  const qualifying = inPeriod.filter((s) => qualifies(cadence, s)).length;
  const unit = unitLabel(cadence);
  const minLen = cadence.minUnitsPerSession !== undefined ? `每次不少于${num(cadence.minUnitsPerSession)}${unit}` : '';

  if (cadence.period === 'week') {
    const weeks: WeekVerdict[] = (period.weeks ?? []).map((w) => {
      const own = inPeriod.filter((s) => w.start <= s.date && s.date <= w.end);
      const q = own.filter((s) => qualifies(cadence, s)).length;
      const longest = own.reduce((m, s) => Math.max(m, s.units), 0);
      return { ...w, sessions: own.length, qualifying: q, longest, compliant: !w.checked || q >= cadence.minSessions };
    });
    const checked = weeks.filter((w) => w.checked);
    const failing = checked.filter((w) => !w.compliant);
    const compliant = failing.length === 0;
    const reasons = failing.map((w) => {
      const where = `第${w.index}周（${md(w.start)}至${md(w.end)}）`;
      if (w.sessions === 0) return `${where}无服务记录`;
      if (w.qualifying === 0 && minLen) return `${where}共${w.sessions}次，最长一次${num(w.longest)}${unit}，未达到${minLen}`;
      return `${where}达标${w.qualifying}次，应不少于${cadence.minSessions}次`;
    });
    return {
      compliant,
      sessions: inPeriod.length,
      qualifying,
      units,
      required: checked.length * cadence.minSessions,
      weeksChecked: checked.length,
      weeksCompliant: checked.length - failing.length,
      weeks,
      shortfall: compliant ? null : `${period.key} 未达到“${cadence.label}”：${reasons.join('；')}`,
      summary: `${checked.length - failing.length}/${checked.length} 周达标`,
    };
  }

  const required = requiredSessions(cadence, period);
  const compliant = qualifying >= required;
  let shortfall: string | null = null;
  if (!compliant) {
    const basis = period.partial
      ? `本期服务${period.coveredDays}天（${md(period.start)}至${md(period.end)}，全月${period.naturalDays}天），按比例应不少于${required}次`
      : `应不少于${required}次`;
    const short = inPeriod.length > qualifying && minLen ? `（其中${inPeriod.length - qualifying}次未达到${minLen}）` : '';
    shortfall = `${period.key} 未达到“${cadence.label}”：${basis}，实际${qualifying}次${short}，差${required - qualifying}次`;
  }
  return { compliant, sessions: inPeriod.length, qualifying, units, required, shortfall, summary: `${qualifying}/${required} 次` };
}

/** Progress of the current period against the cadence, for the plan view (e.g. '3/4 次', '本周 1.5/2 课时'). */
export interface PeriodProgress {
  label: string;
  done: number;
  required: number;
  /** Weekly cadences: the current week and its longest session. */
  week?: { index: number; start: string; end: string; longest: number; qualifying: number; checked: boolean };
}

/** How far the current period has come, as of `today`. */
export function periodProgress(cadence: Cadence, period: PlanPeriod, sessions: readonly SessionUnits[], today: string): PeriodProgress {
  const v = checkCadence(cadence, period, sessions);
  if (cadence.period === 'week') {
    const w = v.weeks?.find((x) => x.start <= today && today <= x.end) ?? v.weeks?.[v.weeks.length - 1];
    if (!w) return { label: v.summary, done: 0, required: 0 };
    const need = cadence.minUnitsPerSession;
    const label = need !== undefined
      ? `本周 ${num(w.longest)}/${num(need)} ${unitLabel(cadence)}`
      : `本周 ${w.qualifying}/${cadence.minSessions} 次`;
    return {
      label, done: w.qualifying, required: cadence.minSessions,
      week: { index: w.index, start: w.start, end: w.end, longest: w.longest, qualifying: w.qualifying, checked: w.checked },
    };
  }
  return { label: `${v.qualifying}/${v.required} 次`, done: v.qualifying, required: v.required };
}

/** The date on which someone born on `birthDate` turns `years` (a 29 February birthday falls on 1 March in other years, as ageOn counts it). */
export function birthdayOfAge(birthDate: string, years: number): string {
  assertDate(birthDate, 'birthDate');
  const y = Number(birthDate.slice(0, 4)) + years;
  const md2 = birthDate.slice(5);
  const candidate = `${String(y).padStart(4, '0')}-${md2}`;
  return isDateString(candidate) ? candidate : `${String(y).padStart(4, '0')}-03-01`;
}

/** Children's home rehabilitation covers ages 0–6: it stops on the 7th birthday. */
export const CHILD_REHAB_AGE_OUT = 7;

/** The age-out date (the 7th birthday) of a child, from the birth date in the ID number. */
export function ageOutDate(idNumberOrBirthDate: string, years = CHILD_REHAB_AGE_OUT): string {
  if (DATE_RE.test(idNumberOrBirthDate)) return birthdayOfAge(idNumberOrBirthDate, years);
  const parsed = parseIdNumber(idNumberOrBirthDate);
  if (!parsed.ok) throw new RangeError(`invalid ID number: ${parsed.message}`);
  return birthdayOfAge(parsed.value.birthDate, years);
}
