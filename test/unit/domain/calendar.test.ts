import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  addDaysToDate,
  addWorkingDays,
  CALENDAR_YEARS,
  dayOfWeek,
  HOLIDAY_CALENDAR,
  holidayName,
  isWorkingDay,
  monthOf,
  monthRange,
  quarterOf,
  quarterRange,
  shanghaiDate,
  startOfShanghaiDay,
  weekStart,
  workingDaysBetween,
  calendarWarnings,
  holidayYearProblems,
  mergeCalendars,
  type HolidayYear,
} from '../../../domain/calendar';

/** An instant at the given Shanghai wall-clock time. */
const at = (local: string) => new Date(`${local}+08:00`);
/** The deadline instant 'end of day d' in Shanghai. */
const endOf = (d: string) => startOfShanghaiDay(addDaysToDate(d, 1));

describe('Shanghai dates', () => {
  it('uses UTC+8 boundaries', () => {
    expect(shanghaiDate(new Date('2025-12-31T15:59:59.999Z'))).toBe('2025-12-31');
    expect(shanghaiDate(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01');
    expect(startOfShanghaiDay('2026-01-01').toISOString()).toBe('2025-12-31T16:00:00.000Z');
  });
  it('rejects non-dates', () => {
    expect(() => startOfShanghaiDay('2025-02-29')).toThrow(RangeError);
    expect(() => isWorkingDay('2025/01/01')).toThrow(RangeError);
  });
  it('does calendar arithmetic across months, years and leap days', () => {
    expect(addDaysToDate('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDaysToDate('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDaysToDate('2026-03-01', -1)).toBe('2026-02-28');
  });
  it('finds the Monday of the week', () => {
    expect(dayOfWeek('2026-10-01')).toBe(4);
    expect(weekStart('2026-10-01')).toBe('2026-09-28');
    expect(weekStart('2026-10-04')).toBe('2026-09-28'); // Sunday belongs to the week before
    expect(weekStart('2026-10-05')).toBe('2026-10-05');
  });
});

describe('holiday data', () => {
  it('covers 2025 and 2026', () => {
    expect(CALENDAR_YEARS).toEqual([2025, 2026]);
  });
  it('make-up working days all fall on weekends and holidays never overlap them', () => {
    for (const y of HOLIDAY_CALENDAR) {
      for (const w of y.makeUpWorkdays) {
        expect(dayOfWeek(w.date), w.date).toBeGreaterThanOrEqual(6);
        expect(holidayName(w.date)).toBeUndefined();
        expect(w.date.startsWith(String(y.year))).toBe(true);
      }
      for (const h of y.holidays) expect(h.from <= h.to).toBe(true);
    }
  });
  it('has the official holiday lengths', () => {
    const days = (year: number, name: string) => {
      const h = HOLIDAY_CALENDAR.find((y) => y.year === year)!.holidays.find((x) => x.name === name)!;
      let n = 0;
      for (let d = h.from; d <= h.to; d = addDaysToDate(d, 1)) n++;
      return n;
    };
    expect(days(2025, '春节')).toBe(8);
    expect(days(2025, '国庆节、中秋节')).toBe(8);
    expect(days(2026, '春节')).toBe(9);
    expect(days(2026, '国庆节')).toBe(7);
    expect(days(2026, '元旦')).toBe(3);
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2025-01-01', false, 'New Year (Wed)'],
    ['2025-01-26', true, 'make-up Sunday before Spring Festival'],
    ['2025-01-28', false, 'Spring Festival eve'],
    ['2025-02-04', false, 'last day of Spring Festival (Tue)'],
    ['2025-02-05', true, 'back to work'],
    ['2025-02-08', true, 'make-up Saturday'],
    ['2025-04-04', false, 'Qingming (Fri)'],
    ['2025-04-27', true, 'make-up Sunday for Labour Day'],
    ['2025-05-05', false, 'Labour Day (Mon)'],
    ['2025-06-02', false, 'Dragon Boat (Mon)'],
    ['2025-09-28', true, 'make-up Sunday for National Day'],
    ['2025-10-08', false, 'National Day + Mid-Autumn'],
    ['2025-10-11', true, 'make-up Saturday'],
    ['2025-10-12', false, 'ordinary Sunday'],
    ['2026-01-02', false, 'New Year (Fri)'],
    ['2026-01-04', true, 'make-up Sunday'],
    ['2026-02-14', true, 'make-up Saturday before Spring Festival'],
    ['2026-02-16', false, 'Spring Festival eve (Mon)'],
    ['2026-02-23', false, 'last day of Spring Festival (Mon)'],
    ['2026-02-24', true, 'back to work'],
    ['2026-02-28', true, 'make-up Saturday after Spring Festival'],
    ['2026-04-06', false, 'Qingming (Mon)'],
    ['2026-05-05', false, 'Labour Day (Tue)'],
    ['2026-05-09', true, 'make-up Saturday'],
    ['2026-06-19', false, 'Dragon Boat (Fri)'],
    ['2026-09-20', true, 'make-up Sunday'],
    ['2026-09-25', false, 'Mid-Autumn (Fri)'],
    ['2026-10-07', false, 'National Day (Wed)'],
    ['2026-10-10', true, 'make-up Saturday'],
    ['2026-10-12', true, 'ordinary Monday'],
  ])('%s → %s (%s)', (d, expected) => {
    expect(isWorkingDay(d)).toBe(expected);
  });
  it('falls back to Monday–Friday outside the covered years', () => {
    expect(isWorkingDay('2027-01-01')).toBe(true); // a Friday; no data for 2027 yet
    expect(isWorkingDay('2027-01-02')).toBe(false);
    expect(isWorkingDay('2024-10-01')).toBe(true);
  });
});

describe('addWorkingDays', () => {
  it.each([
    ['2026-09-30T10:00', 1, '2026-10-08'],
    ['2026-09-30T23:59', 1, '2026-10-08'],
    ['2026-09-29T09:00', 1, '2026-09-30'],
    ['2026-10-09T09:00', 1, '2026-10-10'], // make-up Saturday counts
    ['2026-02-13T15:00', 1, '2026-02-14'], // Friday before Spring Festival → make-up Saturday
    ['2026-02-13T15:00', 2, '2026-02-24'],
    ['2026-02-13T15:00', 5, '2026-02-27'],
    ['2026-02-13T15:00', 6, '2026-02-28'], // make-up Saturday
    ['2026-02-13T15:00', 7, '2026-03-02'],
    ['2025-01-24T12:00', 1, '2025-01-26'], // Friday → make-up Sunday
    ['2025-01-24T12:00', 2, '2025-01-27'],
    ['2025-01-24T12:00', 3, '2025-02-05'],
    ['2025-09-26T12:00', 5, '2025-10-10'], // Fri → Sun 28, Mon–Tue 29–30, Thu 9, Fri 10
    ['2025-12-31T12:00', 1, '2026-01-04'], // New Year 1–3 off, Sunday 4 is a make-up working day
    ['2025-12-31T12:00', 2, '2026-01-05'],
  ])('from %s by %i → end of %s', (from, n, day) => {
    expect(addWorkingDays(at(from), n).toISOString()).toBe(endOf(day).toISOString());
  });
  it('lands on 16:00Z, the Shanghai midnight', () => {
    expect(addWorkingDays(at('2026-09-30T10:00'), 1).toISOString()).toBe('2026-10-08T16:00:00.000Z');
  });
  it('with n = 0 gives the end of the same day, and rejects negatives and fractions', () => {
    expect(addWorkingDays(at('2026-10-01T08:00'), 0).toISOString()).toBe(endOf('2026-10-01').toISOString());
    expect(() => addWorkingDays(at('2026-10-01T08:00'), -1)).toThrow(RangeError);
    expect(() => addWorkingDays(at('2026-10-01T08:00'), 1.5)).toThrow(RangeError);
  });
  it('property: the deadline is the end of a working day and is inverted by workingDaysBetween', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2024-12-01T00:00:00Z'), max: Date.parse('2027-01-31T00:00:00Z') }),
        fc.integer({ min: 1, max: 30 }),
        (ms, n) => {
          const from = new Date(ms);
          fc.pre(startOfShanghaiDay(shanghaiDate(from)).getTime() !== ms);
          const due = addWorkingDays(from, n);
          const lastDay = shanghaiDate(new Date(due.getTime() - 1));
          expect(isWorkingDay(lastDay)).toBe(true);
          expect(startOfShanghaiDay(shanghaiDate(due)).getTime()).toBe(due.getTime());
          expect(workingDaysBetween(from, due)).toBe(n);
          expect(workingDaysBetween(from, new Date(due.getTime() - 1))).toBe(n - 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('workingDaysBetween', () => {
  it('counts only fully elapsed working days', () => {
    expect(workingDaysBetween(at('2026-09-30T10:00'), at('2026-10-08T23:00'))).toBe(0);
    expect(workingDaysBetween(at('2026-09-30T10:00'), at('2026-10-09T00:00'))).toBe(1);
    // Overdue count from a deadline (a Shanghai midnight): the day after it counts once over.
    expect(workingDaysBetween(endOf('2026-10-08'), endOf('2026-10-10'))).toBe(2);
    expect(workingDaysBetween(endOf('2026-02-13'), endOf('2026-02-28'))).toBe(6);
  });
  it('is 0 when to is not after from', () => {
    expect(workingDaysBetween(at('2026-03-10T10:00'), at('2026-03-01T10:00'))).toBe(0);
  });
});

describe('months and quarters', () => {
  it('assigns instants to Shanghai months and quarters', () => {
    expect(monthOf(new Date('2026-03-31T16:30:00Z'))).toBe('2026-04');
    expect(quarterOf(new Date('2026-03-31T16:30:00Z'))).toBe('2026-Q2');
    expect(quarterOf(at('2026-12-31T23:59'))).toBe('2026-Q4');
    expect(quarterOf(at('2026-01-01T00:00'))).toBe('2026-Q1');
  });
  it('gives half-open ranges on Shanghai boundaries', () => {
    expect(monthRange('2026-02')).toEqual({ start: new Date('2026-01-31T16:00:00Z'), end: new Date('2026-02-28T16:00:00Z') });
    expect(monthRange('2026-12')).toEqual({ start: new Date('2026-11-30T16:00:00Z'), end: new Date('2026-12-31T16:00:00Z') });
    expect(quarterRange('2026-Q4')).toEqual({ start: new Date('2026-09-30T16:00:00Z'), end: new Date('2026-12-31T16:00:00Z') });
    expect(quarterRange('2025-Q1')).toEqual({ start: new Date('2024-12-31T16:00:00Z'), end: new Date('2025-03-31T16:00:00Z') });
  });
  it('rejects malformed periods', () => {
    expect(() => monthRange('2026-13')).toThrow(RangeError);
    expect(() => quarterRange('2026-Q5')).toThrow(RangeError);
  });
  it('property: every instant lies in its own month and quarter range', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }), (ms) => {
        const t = new Date(ms);
        for (const r of [monthRange(monthOf(t)), quarterRange(quarterOf(t))]) {
          expect(r.start.getTime()).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(r.end.getTime());
        }
      }),
    );
  });
});

describe('entered calendars (issue 15 point 6)', () => {
  const y2027: HolidayYear = {
    year: 2027, source: 'test', holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }], makeUpWorkdays: [{ date: '2027-01-09', for: '元旦' }],
  };

  it('a sound year has no problems; each unsound date is named', () => {
    expect(holidayYearProblems(y2027)).toEqual([]);
    expect(holidayYearProblems({ ...y2027, makeUpWorkdays: [{ date: '2027-01-04', for: '元旦' }] })[0]).toMatchObject({ path: 'makeUpWorkdays.0.date' });
    expect(holidayYearProblems({ ...y2027, makeUpWorkdays: [{ date: '2027-01-02', for: '元旦' }] }).map((p) => p.message)).toContain('调休上班日不能同时是假期');
    expect(holidayYearProblems({ ...y2027, holidays: [{ name: 'x', from: '2027-01-01', to: '2027-03-01' }] })[0].path).toBe('holidays.0.to');
  });

  it('an entered year replaces the code\'s year and extends the table; days count with it', () => {
    const merged = mergeCalendars(HOLIDAY_CALENDAR, [y2027]);
    expect(merged.map((y) => y.year)).toEqual([2025, 2026, 2027]);
    expect(isWorkingDay('2027-01-01')).toBe(true); // the code's table ends with 2026: a Friday counts
    expect(isWorkingDay('2027-01-01', merged)).toBe(false);
    expect(isWorkingDay('2027-01-09', merged)).toBe(true); // a Saturday made a working day
  });

  it('warns for the current year without a calendar, and for the next within 60 days', () => {
    expect(calendarWarnings(HOLIDAY_CALENDAR, '2026-10-01')).toEqual([]);
    expect(calendarWarnings(HOLIDAY_CALENDAR, '2026-11-02').map((w) => [w.year, w.daysLeft])).toEqual([[2027, 60]]);
    expect(calendarWarnings(mergeCalendars(HOLIDAY_CALENDAR, [y2027]), '2026-12-31')).toEqual([]);
    expect(calendarWarnings(HOLIDAY_CALENDAR, '2027-03-01').map((w) => w.year)).toEqual([2027]);
  });
});
