/**
 * The working-day calendar of mainland China, in Asia/Shanghai time.
 *
 * Asia/Shanghai is UTC+8 all year (no DST since 1991), so everything here is fixed-offset
 * arithmetic on UTC milliseconds: no Intl, no time-zone database, deterministic in Temporal
 * workflow code. Calendar days are passed around as 'YYYY-MM-DD' strings.
 *
 * Holidays and make-up working days (调休上班) come from the State Council General Office's
 * yearly notices (国务院办公厅关于…部分节假日安排的通知). Adding a year is adding one object to
 * {@link HOLIDAY_CALENDAR}. Outside the covered years, Monday–Friday are working days.
 *
 * The day-counting helpers take the calendar as an optional last argument (default: the official
 * one), so a long-running case can keep the calendar it started with, and tests can pass their own.
 */

const DAY_MS = 86_400_000;
const OFFSET_MS = 8 * 3_600_000; // UTC+8
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;
const QUARTER_RE = /^(\d{4})-Q([1-4])$/;

/** One public holiday period, inclusive on both ends. */
export interface HolidayPeriod {
  name: string;
  from: string;
  to: string;
}

/** A weekend day that is a working day because of a holiday swap (调休上班). */
export interface MakeUpWorkday {
  date: string;
  /** The holiday the day was swapped for. */
  for: string;
}

/** One year's official schedule. */
export interface HolidayYear {
  year: number;
  /** Where the dates come from. */
  source: string;
  holidays: HolidayPeriod[];
  makeUpWorkdays: MakeUpWorkday[];
}

/** Official holidays and make-up working days, one object per year. */
export const HOLIDAY_CALENDAR: readonly HolidayYear[] = deepFreeze([
  {
    year: 2025,
    source: '国办发明电〔2024〕12号 国务院办公厅关于2025年部分节假日安排的通知',
    holidays: [
      { name: '元旦', from: '2025-01-01', to: '2025-01-01' },
      { name: '春节', from: '2025-01-28', to: '2025-02-04' },
      { name: '清明节', from: '2025-04-04', to: '2025-04-06' },
      { name: '劳动节', from: '2025-05-01', to: '2025-05-05' },
      { name: '端午节', from: '2025-05-31', to: '2025-06-02' },
      { name: '国庆节、中秋节', from: '2025-10-01', to: '2025-10-08' },
    ],
    makeUpWorkdays: [
      { date: '2025-01-26', for: '春节' }, // Sunday
      { date: '2025-02-08', for: '春节' }, // Saturday
      { date: '2025-04-27', for: '劳动节' }, // Sunday
      { date: '2025-09-28', for: '国庆节、中秋节' }, // Sunday
      { date: '2025-10-11', for: '国庆节、中秋节' }, // Saturday
    ],
  },
  {
    year: 2026,
    source: '国务院办公厅关于2026年部分节假日安排的通知（2025年11月发布）',
    holidays: [
      { name: '元旦', from: '2026-01-01', to: '2026-01-03' },
      { name: '春节', from: '2026-02-15', to: '2026-02-23' },
      { name: '清明节', from: '2026-04-04', to: '2026-04-06' },
      { name: '劳动节', from: '2026-05-01', to: '2026-05-05' },
      { name: '端午节', from: '2026-06-19', to: '2026-06-21' },
      { name: '中秋节', from: '2026-09-25', to: '2026-09-27' },
      { name: '国庆节', from: '2026-10-01', to: '2026-10-07' },
    ],
    makeUpWorkdays: [
      { date: '2026-01-04', for: '元旦' }, // Sunday
      { date: '2026-02-14', for: '春节' }, // Saturday
      { date: '2026-02-28', for: '春节' }, // Saturday
      { date: '2026-05-09', for: '劳动节' }, // Saturday
      { date: '2026-09-20', for: '国庆节' }, // Sunday
      { date: '2026-10-10', for: '国庆节' }, // Saturday
    ],
  },
]);

/** The years whose official schedule is in {@link HOLIDAY_CALENDAR}. */
export const CALENDAR_YEARS: readonly number[] = Object.freeze(HOLIDAY_CALENDAR.map((y) => y.year));

/** The lookup tables of one calendar: holiday names by date, and the make-up working days. */
interface CalendarIndex {
  holidays: ReadonlyMap<string, string>;
  makeUpDays: ReadonlySet<string>;
}

// Cached per calendar object, so a calendar passed in (e.g. the one a workflow started with) is indexed once.
const INDEXES = new WeakMap<readonly HolidayYear[], CalendarIndex>();

function calendarIndex(calendar: readonly HolidayYear[]): CalendarIndex {
  let idx = INDEXES.get(calendar);
  if (!idx) {
    const holidays = new Map<string, string>();
    for (const y of calendar) {
      for (const h of y.holidays) {
        for (let d = h.from; d <= h.to; d = addDaysToDate(d, 1)) holidays.set(d, h.name);
      }
    }
    idx = { holidays, makeUpDays: new Set(calendar.flatMap((y) => y.makeUpWorkdays.map((w) => w.date))) };
    INDEXES.set(calendar, idx);
  }
  return idx;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Day number (days since 1970-01-01) of a valid 'YYYY-MM-DD', or throws RangeError. */
function dayNumber(dateStr: string): number {
  const m = DATE_RE.exec(dateStr);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${dateStr}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`not a calendar date: ${dateStr}`);
  }
  return ms / DAY_MS;
}

function fromDayNumber(n: number): string {
  const dt = new Date(n * DAY_MS);
  return `${pad(dt.getUTCFullYear(), 4)}-${pad(dt.getUTCMonth() + 1)}-${pad(dt.getUTCDate())}`;
}

function assertInstant(instant: Date): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) throw new RangeError('invalid Date');
}

/** True when `s` is a real calendar date written 'YYYY-MM-DD'; for validating input before calling the helpers. */
export function isDateString(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    dayNumber(s);
    return true;
  } catch {
    return false;
  }
}

/** The Asia/Shanghai calendar date ('YYYY-MM-DD') containing `instant`, the day users think in. */
export function shanghaiDate(instant: Date): string {
  assertInstant(instant);
  return fromDayNumber(Math.floor((instant.getTime() + OFFSET_MS) / DAY_MS));
}

/** The instant at which `dateStr` begins in Asia/Shanghai (00:00+08:00 = 16:00Z the day before). */
export function startOfShanghaiDay(dateStr: string): Date {
  return new Date(dayNumber(dateStr) * DAY_MS - OFFSET_MS);
}

/** Calendar-day arithmetic on 'YYYY-MM-DD' (n may be negative), independent of time zones. */
export function addDaysToDate(dateStr: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`day count must be an integer: ${n}`);
  return fromDayNumber(dayNumber(dateStr) + n);
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
export function dayOfWeek(dateStr: string): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((dayNumber(dateStr) + 3) % 7) + 7) % 7) + 1;
}

/** The Monday of the ISO week containing `dateStr`, the key for weekly cadences (e.g. 送教上门). */
export function weekStart(dateStr: string): string {
  return addDaysToDate(dateStr, 1 - dayOfWeek(dateStr));
}

/** The holiday name if `dateStr` is an official public holiday (in a covered year), else undefined. */
export function holidayName(dateStr: string, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): string | undefined {
  dayNumber(dateStr);
  return calendarIndex(calendar).holidays.get(dateStr);
}

/**
 * Whether government offices work on `dateStr`: holidays are off, make-up days (调休上班) are on,
 * otherwise Monday–Friday. Years outside {@link CALENDAR_YEARS} fall back to plain Monday–Friday.
 */
export function isWorkingDay(dateStr: string, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): boolean {
  const dow = dayOfWeek(dateStr);
  const idx = calendarIndex(calendar);
  if (idx.holidays.has(dateStr)) return false;
  if (idx.makeUpDays.has(dateStr)) return true;
  return dow <= 5;
}

/**
 * The deadline instant n working days after `from`: the END (24:00 Asia/Shanghai = 16:00Z) of the
 * n-th working day after the day containing `from`. The day of `from` itself never counts, so a
 * request made late on a working day still gets n full days. n = 0 gives the end of `from`'s day.
 */
export function addWorkingDays(from: Date, n: number, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): Date {
  assertInstant(from);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`working-day count must be a non-negative integer: ${n}`);
  let day = shanghaiDate(from);
  let left = n;
  while (left > 0) {
    day = addDaysToDate(day, 1);
    if (isWorkingDay(day, calendar)) left--;
  }
  return startOfShanghaiDay(addDaysToDate(day, 1));
}

/**
 * Whole working days elapsed between two instants: the working days lying entirely within
 * [from, to] (0 when to ≤ from). Inverse of {@link addWorkingDays} whenever `from` is not exactly
 * midnight: workingDaysBetween(t, addWorkingDays(t, n)) === n. Used for overdue and duration figures.
 */
export function workingDaysBetween(from: Date, to: Date, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): number {
  assertInstant(from);
  assertInstant(to);
  if (to.getTime() <= from.getTime()) return 0;
  // First day whose start is at or after `from`.
  let day = shanghaiDate(from);
  if (startOfShanghaiDay(day).getTime() < from.getTime()) day = addDaysToDate(day, 1);
  let count = 0;
  while (startOfShanghaiDay(addDaysToDate(day, 1)).getTime() <= to.getTime()) {
    if (isWorkingDay(day, calendar)) count++;
    day = addDaysToDate(day, 1);
  }
  return count;
}

/** The Asia/Shanghai month ('YYYY-MM') containing `instant`: the monthly ledger-sharing period. */
export function monthOf(instant: Date): string {
  return shanghaiDate(instant).slice(0, 7);
}

/** The Asia/Shanghai quarter ('YYYY-Qn') containing `instant`: the statistics-table reporting period. */
export function quarterOf(instant: Date): string {
  const d = shanghaiDate(instant);
  return `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`;
}

/** A half-open range of instants [start, end). */
export interface InstantRange {
  start: Date;
  end: Date;
}

function monthStartDate(year: number, month: number): string {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  return `${pad(y, 4)}-${pad(m)}-01`;
}

/** The instants of a month 'YYYY-MM', half-open, on Asia/Shanghai day boundaries, for period queries. */
export function monthRange(month: string): InstantRange {
  const m = MONTH_RE.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new RangeError(`not a YYYY-MM month: ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { start: startOfShanghaiDay(monthStartDate(y, mo)), end: startOfShanghaiDay(monthStartDate(y, mo + 1)) };
}

/** The quarter before `quarter` ('2026-Q1' → '2025-Q4'). */
export function previousQuarter(quarter: string): string {
  const year = Number(quarter.slice(0, 4));
  const n = Number(quarter.slice(6));
  return n === 1 ? `${year - 1}-Q4` : `${year}-Q${n - 1}`;
}

/** The instants of a quarter 'YYYY-Qn', half-open, on Asia/Shanghai day boundaries, for period queries. */
export function quarterRange(quarter: string): InstantRange {
  const m = QUARTER_RE.exec(quarter);
  if (!m) throw new RangeError(`not a YYYY-Qn quarter: ${quarter}`);
  const y = Number(m[1]);
  const firstMonth = (Number(m[2]) - 1) * 3 + 1;
  return { start: startOfShanghaiDay(monthStartDate(y, firstMonth)), end: startOfShanghaiDay(monthStartDate(y, firstMonth + 3)) };
}

/**
 * What is wrong with a year's schedule entered by an admin (empty when it is sound), as
 * `{ path, message }` with Chinese messages: every date real and in the year (a holiday may run
 * into the next January), a holiday's end not before its start, no two holidays overlapping, every
 * make-up working day a Saturday or Sunday that is not itself a holiday, and no date twice.
 */
export function holidayYearProblems(y: HolidayYear): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const inYear = (d: string) => d.startsWith(`${y.year}-`);
  const taken = new Map<string, number>();
  y.holidays.forEach((h, i) => {
    if (!isDateString(h.from)) out.push({ path: `holidays.${i}.from`, message: '应为 YYYY-MM-DD 格式的日期' });
    if (!isDateString(h.to)) out.push({ path: `holidays.${i}.to`, message: '应为 YYYY-MM-DD 格式的日期' });
    if (!isDateString(h.from) || !isDateString(h.to)) return;
    if (!inYear(h.from)) out.push({ path: `holidays.${i}.from`, message: `假期应从 ${y.year} 年内开始` });
    if (h.to < h.from) out.push({ path: `holidays.${i}.to`, message: '结束日期不能早于开始日期' });
    else if (h.to > `${y.year + 1}-01-31` || dayNumber(h.to) - dayNumber(h.from) > 15) out.push({ path: `holidays.${i}.to`, message: '假期过长（不超过16天）' });
    else {
      for (let d = h.from; d <= h.to; d = addDaysToDate(d, 1)) {
        const other = taken.get(d);
        if (other !== undefined) {
          out.push({ path: `holidays.${i}`, message: `与第 ${other + 1} 个假期重叠（${d}）` });
          break;
        }
        taken.set(d, i);
      }
    }
  });
  const seen = new Set<string>();
  y.makeUpWorkdays.forEach((w, i) => {
    if (!isDateString(w.date)) {
      out.push({ path: `makeUpWorkdays.${i}.date`, message: '应为 YYYY-MM-DD 格式的日期' });
      return;
    }
    if (!inYear(w.date)) out.push({ path: `makeUpWorkdays.${i}.date`, message: `调休上班日应在 ${y.year} 年内` });
    if (dayOfWeek(w.date) < 6) out.push({ path: `makeUpWorkdays.${i}.date`, message: '调休上班日应为周六或周日（工作日本来就上班）' });
    if (taken.has(w.date)) out.push({ path: `makeUpWorkdays.${i}.date`, message: '调休上班日不能同时是假期' });
    if (seen.has(w.date)) out.push({ path: `makeUpWorkdays.${i}.date`, message: '日期重复' });
    seen.add(w.date);
  });
  return out;
}

/** The code's table with the given years laid over it (a year given replaces the code's year), sorted by year. */
export function mergeCalendars(base: readonly HolidayYear[], entered: readonly HolidayYear[]): HolidayYear[] {
  const byYear = new Map<number, HolidayYear>(base.map((y) => [y.year, y]));
  for (const y of entered) byYear.set(y.year, y);
  return [...byYear.values()].sort((a, b) => a.year - b.year)
    .map((y) => ({ ...y, holidays: y.holidays.map((h) => ({ ...h })), makeUpWorkdays: y.makeUpWorkdays.map((w) => ({ ...w })) }));
}

/** Days before a new year within which admins are warned that its calendar is missing. */
export const CALENDAR_WARNING_DAYS = 60;

/**
 * Warnings for admins (Chinese): the current year without a calendar (every weekday counts as a
 * working day), or the next year starting within {@link CALENDAR_WARNING_DAYS} days without one.
 */
export function calendarWarnings(calendar: readonly HolidayYear[], today: string): Array<{ year: number; startsOn: string; daysLeft: number; message: string }> {
  const years = new Set(calendar.map((y) => y.year));
  const year = Number(today.slice(0, 4));
  const out: Array<{ year: number; startsOn: string; daysLeft: number; message: string }> = [];
  if (!years.has(year)) {
    out.push({ year, startsOn: `${year}-01-01`, daysLeft: 0, message: `${year} 年的节假日安排尚未录入：目前周一至周五均按工作日计算期限，请尽快录入` });
  }
  const next = `${year + 1}-01-01`;
  const daysLeft = dayNumber(next) - dayNumber(today);
  if (!years.has(year + 1) && daysLeft <= CALENDAR_WARNING_DAYS) {
    out.push({ year: year + 1, startsOn: next, daysLeft, message: `${year + 1} 年将于 ${daysLeft} 天后开始，其节假日安排尚未录入：请在国务院办公厅通知发布后录入` });
  }
  return out;
}
