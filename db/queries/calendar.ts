/**
 * The working-day calendar in force: the code's table (domain/calendar.ts HOLIDAY_CALENDAR) with the
 * latest admin-entered version of each year laid over it (holiday_calendars). Cases take it when they
 * open; PUT /v1/calendar/:year sends it to the running ones.
 */
import { desc, eq } from 'drizzle-orm';
import { HOLIDAY_CALENDAR, mergeCalendars, type HolidayPeriod, type HolidayYear, type MakeUpWorkday } from '../../domain/calendar';
import type { Db } from '../client';
import { holidayCalendars } from '../schema';
import { canonicalJson } from './ledger';

export type CalendarVersion = typeof holidayCalendars.$inferSelect;

const toYear = (r: CalendarVersion): HolidayYear => ({
  year: r.year, source: r.source, holidays: r.holidays as HolidayPeriod[], makeUpWorkdays: r.makeUpWorkdays as MakeUpWorkday[],
});

/** The latest entered version of every year. */
export async function enteredYears(db: Db): Promise<CalendarVersion[]> {
  return db.selectDistinctOn([holidayCalendars.year]).from(holidayCalendars).orderBy(holidayCalendars.year, desc(holidayCalendars.version));
}

/** The calendar in force (code years, entered years over them). */
export async function effectiveCalendar(db: Db): Promise<HolidayYear[]> {
  return mergeCalendars(HOLIDAY_CALENDAR, (await enteredYears(db)).map(toYear));
}

/** Every entered version of a year, newest first. */
export async function calendarHistory(db: Db, year: number): Promise<CalendarVersion[]> {
  return db.select().from(holidayCalendars).where(eq(holidayCalendars.year, year)).orderBy(desc(holidayCalendars.version));
}

/**
 * Stores a year's schedule as its next version; `created` is false when it equals the latest version
 * (nothing is stored then). Concurrent saves of one year: the primary key lets one win, the other retries.
 */
export async function saveCalendarYear(db: Db, y: HolidayYear, by: string, at: Date): Promise<{ version: number; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const [latest] = await db.select().from(holidayCalendars).where(eq(holidayCalendars.year, y.year)).orderBy(desc(holidayCalendars.version)).limit(1);
    if (latest && canonicalJson(toYear(latest)) === canonicalJson(y)) return { version: latest.version, created: false };
    const version = (latest?.version ?? 0) + 1;
    const [row] = await db.insert(holidayCalendars).values({
      year: y.year, version, source: y.source, holidays: y.holidays, makeUpWorkdays: y.makeUpWorkdays, enteredBy: by, enteredAt: at,
    }).onConflictDoNothing().returning({ version: holidayCalendars.version });
    if (row) return { version: row.version, created: true };
  }
  throw new Error(`calendar ${y.year}: concurrent saves did not settle`);
}
