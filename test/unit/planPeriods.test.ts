import { describe, expect, it } from 'vitest';
import { findItem, type Cadence } from '../../domain/catalog';
import { makeIdNumber } from '../../domain/idNumber';
import {
  ageOutDate, birthdayOfAge, checkCadence, naturalPeriod, nextMonthKey, periodEndsAt, periodKeyOf, periodProgress, planPeriod, requiredSessions,
} from '../../domain/planPeriods';

const cadence = (item: string): Cadence => findItem(item)!.cadence!;
const CHILD = cadence('CHILD_REHAB');
const SCHOOL = cadence('HOME_SCHOOLING');
const HOUSE = cadence('HOUSEKEEPING');

describe('period boundaries', () => {
  it('a monthly period is the calendar month in Asia/Shanghai and ends at 24:00 +08:00', () => {
    const p = planPeriod(CHILD, '2027-02', { startDate: '2026-01-01' })!;
    expect(p).toMatchObject({ key: '2027-02', start: '2027-02-01', end: '2027-02-28', naturalDays: 28, coveredDays: 28, partial: false });
    expect(periodEndsAt(p).toISOString()).toBe('2027-02-28T16:00:00.000Z');
    expect(periodKeyOf(CHILD, '2026-12-31')).toBe('2026-12');
    expect(nextMonthKey('2026-12')).toBe('2027-01');
  });

  it('a weekly period is made of whole ISO weeks, each belonging to the month its Monday is in', () => {
    // 2026-11-30 is a Monday: its week (to 12-06) belongs to November, so December starts on Monday 12-07.
    expect(naturalPeriod(SCHOOL, '2026-11')).toEqual({ start: '2026-11-02', end: '2026-12-06' });
    expect(naturalPeriod(SCHOOL, '2026-12')).toEqual({ start: '2026-12-07', end: '2027-01-03' });
    expect(periodKeyOf(SCHOOL, '2026-12-03')).toBe('2026-11');
    expect(periodKeyOf(SCHOOL, '2027-01-03')).toBe('2026-12');
    const p = planPeriod(SCHOOL, '2026-12', { startDate: '2026-11-01' })!;
    expect(p.weeks!.map((w) => [w.start, w.end])).toEqual([
      ['2026-12-07', '2026-12-13'], ['2026-12-14', '2026-12-20'], ['2026-12-21', '2026-12-27'], ['2026-12-28', '2027-01-03'],
    ]);
    // Consecutive periods tile the calendar: no gap, no overlap.
    for (const key of ['2026-01', '2026-06', '2026-11', '2027-02']) {
      expect(naturalPeriod(SCHOOL, nextMonthKey(key)).start).toBe(addOne(naturalPeriod(SCHOOL, key).end));
    }
  });

  it('clips a period to the plan start and last day and marks the partial weeks unchecked', () => {
    const p = planPeriod(SCHOOL, '2026-12', { startDate: '2026-12-09', lastDay: '2026-12-24' })!;
    expect(p).toMatchObject({ start: '2026-12-09', end: '2026-12-24', partial: true, coveredDays: 16 });
    expect(p.weeks!.map((w) => [w.coveredDays, w.checked])).toEqual([[5, false], [7, true], [4, false], [0, false]]);
    expect(planPeriod(CHILD, '2026-12', { startDate: '2027-01-05' })).toBeUndefined();
  });
});

describe('cadence check', () => {
  const month = planPeriod(CHILD, '2026-12', { startDate: '2026-01-01' })!;
  const days = (...ds: number[]) => ds.map((d) => ({ date: `2026-12-${String(d).padStart(2, '0')}`, units: 60 }));

  it('children’s rehabilitation: exactly 4 sessions in the month is compliant, 3 is not, with the shortfall in Chinese', () => {
    const four = checkCadence(CHILD, month, days(1, 8, 15, 22));
    expect(four).toMatchObject({ compliant: true, sessions: 4, required: 4, shortfall: null, summary: '4/4 次' });
    const three = checkCadence(CHILD, month, days(1, 8, 15));
    expect(three.compliant).toBe(false);
    expect(three.shortfall).toBe('2026-12 未达到“每月不少于4次”：应不少于4次，实际3次，差1次');
  });

  it('ignores sessions outside the period', () => {
    const v = checkCadence(CHILD, month, [...days(1, 8, 15), { date: '2026-11-30', units: 60 }, { date: '2027-01-01', units: 60 }]);
    expect(v).toMatchObject({ compliant: false, sessions: 3 });
  });

  it('a partial month is checked pro rata, rounding down', () => {
    const p = planPeriod(CHILD, '2026-12', { startDate: '2026-12-17' })!; // 15 of 31 days
    expect(requiredSessions(CHILD, p)).toBe(1);
    expect(checkCadence(CHILD, p, []).shortfall).toBe('2026-12 未达到“每月不少于4次”：本期服务15天（12月17日至12月31日，全月31天），按比例应不少于1次，实际0次，差1次');
    expect(checkCadence(CHILD, p, days(20)).compliant).toBe(true);
    const short = planPeriod(CHILD, '2026-12', { startDate: '2026-12-28' })!; // 4 of 31 days: nothing is owed
    expect(checkCadence(CHILD, short, [])).toMatchObject({ compliant: true, required: 0 });
  });

  it('home schooling: a week with a single 1.5-hour session is not compliant', () => {
    const p = planPeriod(SCHOOL, '2026-12', { startDate: '2026-01-01' })!;
    const sessions = [
      { date: '2026-12-07', units: 2 }, { date: '2026-12-16', units: 1.5 }, { date: '2026-12-23', units: 2.5 }, { date: '2027-01-02', units: 2 },
    ];
    const v = checkCadence(SCHOOL, p, sessions);
    expect(v.compliant).toBe(false);
    expect(v.weeks!.map((w) => w.compliant)).toEqual([true, false, true, true]);
    expect(v.summary).toBe('3/4 周达标');
    expect(v.shortfall).toBe('2026-12 未达到“每周不少于1次，每次不少于2课时”：第2周（12月14日至12月20日）共1次，最长一次1.5课时，未达到每次不少于2课时');
    // Two short sessions do not add up to one long one: each time must be at least 2 class hours.
    const two = checkCadence(SCHOOL, p, [...sessions, { date: '2026-12-17', units: 1 }]);
    expect(two.weeks![1].compliant).toBe(false);
    const fixed = checkCadence(SCHOOL, p, [...sessions, { date: '2026-12-18', units: 2 }]);
    expect(fixed).toMatchObject({ compliant: true, shortfall: null, weeksChecked: 4, weeksCompliant: 4 });
  });

  it('a partial week cannot fail; an empty full week is named', () => {
    const p = planPeriod(HOUSE, '2026-12', { startDate: '2026-12-16' })!;
    const v = checkCadence(HOUSE, p, [{ date: '2026-12-22', units: 90 }]);
    expect(v.weeks!.map((w) => w.checked)).toEqual([false, false, true, true]);
    expect(v.compliant).toBe(false);
    expect(v.shortfall).toContain('第4周（12月28日至01月03日）无服务记录');
  });

  it('reports progress against the cadence for the current period', () => {
    expect(periodProgress(CHILD, month, days(1, 8, 15), '2026-12-20').label).toBe('3/4 次');
    const p = planPeriod(SCHOOL, '2026-12', { startDate: '2026-01-01' })!;
    const prog = periodProgress(SCHOOL, p, [{ date: '2026-12-15', units: 1.5 }], '2026-12-16');
    expect(prog.label).toBe('本周 1.5/2 课时');
    expect(prog.week).toMatchObject({ index: 2, start: '2026-12-14', qualifying: 0 });
  });
});

describe('age-out', () => {
  it('is the 7th birthday, read from the ID number', () => {
    const id = makeIdNumber({ regionCode: '640104', birthDate: '2020-03-15', sequence: 12 });
    expect(ageOutDate(id)).toBe('2027-03-15');
    expect(ageOutDate('2020-03-15')).toBe('2027-03-15');
  });

  it('a 29 February birthday ages out on 1 March in a common year', () => {
    expect(birthdayOfAge('2020-02-29', 7)).toBe('2027-03-01');
    expect(birthdayOfAge('2020-02-29', 8)).toBe('2028-02-29');
  });

  it('the period of the 7th birthday ends the day before it', () => {
    const p = planPeriod(CHILD, '2027-03', { startDate: '2026-01-01', lastDay: '2027-03-14' })!;
    expect(p).toMatchObject({ end: '2027-03-14', coveredDays: 14, partial: true });
    expect(requiredSessions(CHILD, p)).toBe(1); // floor(4 × 14 / 31)
  });
});

function addOne(d: string): string {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
}
