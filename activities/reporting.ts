/**
 * Activities the reporting Schedules run: share a month's ledgers with the same-level DPF (frozen
 * with a content hash), and the quarterly statistics tables — draft, remind, and after the quarter
 * mark the missing ones late and share the city sums. Each takes its time (`at`) from the workflow,
 * so a retry does the same thing, and each is idempotent.
 */
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';
import { shareMonth } from '../db/queries/ledger';
import { closeQuarter, draftCountyTables, remindUnsubmitted } from '../db/queries/statistics';

/** Shares every county department's ledger of `month` (empty ledgers too); already-shared months are left as they are. */
export async function shareLedgerMonth(db: Db, input: { month: string; at: string; by?: string }) {
  return shareMonth(db, input.month, new Date(input.at), input.by ?? 'schedule');
}

/** Drafts (or refreshes) every county department's table of `quarter` that is not submitted yet. */
export async function draftQuarterlyTables(db: Db, input: { quarter: string; at: string }): Promise<{ quarter: string; drafted: number }> {
  return { quarter: input.quarter, drafted: await draftCountyTables(db, input.quarter, new Date(input.at)) };
}

/**
 * Reminds every county department that has not submitted (the reminder is recorded on its
 * submission row and in the audit log, where the console and notifications pick it up).
 */
export async function remindQuarterlyTables(db: Db, input: { quarter: string; at: string; workingDaysLeft: number }) {
  const reminded = await remindUnsubmitted(db, input.quarter, new Date(input.at));
  if (reminded.length) {
    await db.insert(auditLog).values(reminded.map((r) => ({
      at: new Date(input.at), userId: null, action: 'report.remind', resourceType: 'report_submission',
      resourceId: `${input.quarter}/${r.county}/${r.department}`, detail: { workingDaysLeft: input.workingDaysLeft },
    })));
  }
  return { quarter: input.quarter, reminded: reminded.length };
}

/** After the quarter: marks county tables not submitted as late and shares the city sums with the city DPF. */
export async function closeQuarterlyTables(db: Db, input: { quarter: string; at: string }) {
  return { quarter: input.quarter, ...(await closeQuarter(db, input.quarter, new Date(input.at))) };
}

/** The reporting activities, as createActivities spreads them in. */
export function reportingActivities(db: Db) {
  return {
    shareLedgerMonth: (input: Parameters<typeof shareLedgerMonth>[1]) => shareLedgerMonth(db, input),
    draftQuarterlyTables: (input: Parameters<typeof draftQuarterlyTables>[1]) => draftQuarterlyTables(db, input),
    remindQuarterlyTables: (input: Parameters<typeof remindQuarterlyTables>[1]) => remindQuarterlyTables(db, input),
    closeQuarterlyTables: (input: Parameters<typeof closeQuarterlyTables>[1]) => closeQuarterlyTables(db, input),
  };
}
