/**
 * The workflows the reporting Temporal Schedules run (temporal/schedules.ts).
 *
 * - shareMonthlyLedgers: on the 1st of each month, shares the previous month's ledger of every
 *   county department with the same-level DPF (frozen with a content hash).
 * - quarterlyStatistics, phase 'draft': runs daily in the last weeks of each quarter; drafts (or
 *   refreshes) every county department's statistics table not submitted yet, and sends reminders
 *   when {@link REMIND_AT_WORKING_DAYS_LEFT} working days are left.
 * - quarterlyStatistics, phase 'close': just after the quarter ends; marks county tables still
 *   not submitted as late and shares the city sums with the city DPF.
 *
 * Months and quarters are Asia/Shanghai ones, taken from workflow time (the Schedule's fire time)
 * unless the input names one (a manual trigger for a past period).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { monthOf, monthRange, quarterOf, quarterRange, shanghaiDate, startOfShanghaiDay, workingDaysBetween } from '../domain/calendar';

const { shareLedgerMonth, draftQuarterlyTables, remindQuarterlyTables, closeQuarterlyTables } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumInterval: '5 minutes' },
});

/** Working days left in the quarter when reminders go out: a week before the end, and on the last working day. */
export const REMIND_AT_WORKING_DAYS_LEFT: readonly number[] = [5, 1];

/** The month before the one containing `now` (Asia/Shanghai). */
export function previousMonth(now: Date): string {
  return monthOf(new Date(monthRange(monthOf(now)).start.getTime() - 1));
}

/** The quarter before the one containing `now` (Asia/Shanghai). */
export function previousQuarter(now: Date): string {
  return quarterOf(new Date(quarterRange(quarterOf(now)).start.getTime() - 1));
}

/** Working days left in `quarter` counting today (the last working day of the quarter has 1 left). */
export function workingDaysLeft(quarter: string, now: Date): number {
  return workingDaysBetween(startOfShanghaiDay(shanghaiDate(now)), quarterRange(quarter).end);
}

export interface ShareMonthlyLedgersInput { month?: string }

/** Shares last month's ledgers (or `month`'s). */
export async function shareMonthlyLedgers(input: ShareMonthlyLedgersInput = {}) {
  const now = new Date();
  const month = input.month ?? previousMonth(now);
  return shareLedgerMonth({ month, at: now.toISOString(), by: 'schedule' });
}

export interface QuarterlyStatisticsInput { phase: 'draft' | 'close'; quarter?: string }

/** Drafts and reminds before the quarter's end, or closes the quarter after it. */
export async function quarterlyStatistics(input: QuarterlyStatisticsInput) {
  const now = new Date();
  const at = now.toISOString();
  if (input.phase === 'close') {
    const quarter = input.quarter ?? previousQuarter(now);
    return { phase: 'close' as const, ...(await closeQuarterlyTables({ quarter, at })) };
  }
  const quarter = input.quarter ?? quarterOf(now);
  const left = workingDaysLeft(quarter, now);
  const { drafted } = await draftQuarterlyTables({ quarter, at });
  const reminded = REMIND_AT_WORKING_DAYS_LEFT.includes(left)
    ? (await remindQuarterlyTables({ quarter, at, workingDaysLeft: left })).reminded
    : 0;
  return { phase: 'draft' as const, quarter, workingDaysLeft: left, drafted, reminded };
}
