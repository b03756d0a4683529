/** Dates as staff read them: always Asia/Shanghai, whatever the device's time zone. */
import { HOLIDAY_CALENDAR, shanghaiDate, workingDaysBetween } from '../../../domain/calendar';

const TZ = 'Asia/Shanghai';
const dateTime = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const dateOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const timeOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hour12: false });
const weekday = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, weekday: 'short' });

/** 2026/12/03 10:00 in Beijing time. */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** 2026/12/03. */
export function formatDate(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : '—';
}

/** 周四 10:00. */
export function formatDayTime(iso: string): string {
  const d = new Date(iso);
  return `${weekday.format(d)} ${timeOnly.format(d)}`;
}

/** The Shanghai calendar day (YYYY-MM-DD) of an instant. */
export { shanghaiDate };

/**
 * A wall-clock time picked on the device, read as Beijing time: the picker's year…minute become
 * `YYYY-MM-DDTHH:mm:00+08:00`, so a phone set to another zone still books the time the worker meant.
 */
export function shanghaiInstant(parts: { year: number; month: number; day: number; hour: number; minute: number }): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${parts.year}-${p(parts.month)}-${p(parts.day)}T${p(parts.hour)}:${p(parts.minute)}:00+08:00`;
}

/** The Beijing wall-clock parts of an instant (to put a stored time back into a picker). */
export function shanghaiParts(iso: string): { year: number; month: number; day: number; hour: number; minute: number } {
  const shifted = new Date(new Date(iso).getTime() + 8 * 3_600_000);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(), hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes() };
}

/**
 * A deadline in working days, as staff say it: 剩余 3 个工作日 / 今日到期 / 已超期 2 个工作日
 * (the national holiday calendar of domain/calendar.ts, make-up working days included).
 */
export function deadlineText(dueAt: string | null | undefined, now = new Date()): { text: string; tone: 'ok' | 'soon' | 'late' } | undefined {
  if (!dueAt) return undefined;
  const due = new Date(dueAt);
  if (due.getTime() < now.getTime()) {
    const late = workingDaysBetween(due, now, HOLIDAY_CALENDAR);
    return { text: late > 0 ? `已超期 ${late} 个工作日` : '已超期', tone: 'late' };
  }
  const left = workingDaysBetween(now, due, HOLIDAY_CALENDAR);
  if (left <= 0) return { text: '今日到期', tone: 'soon' };
  return { text: `剩余 ${left} 个工作日`, tone: left <= 1 ? 'soon' : 'ok' };
}
