/**
 * The official verdict of a plan period, as the policy rules in force make it (domain/policy.ts):
 * - item 7 (送教上门, plan "原则上每周不少于1次"): weeks of the configured school winter and summer
 *   holidays are not checked, so a holiday week without a session is no shortfall;
 * - a cadence that is a local rule (items 5, 11, 12 by default) is advisory until an admin enforces
 *   it: a period short of it is shown as short of the local recommendation, never as 未达标, and
 *   is not recorded as escalated.
 * Used by the ledger and plan-period activities (the workflow's own verdict is their input).
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { loadPolicy } from '../db/queries/policy';
import { plans, planSessions } from '../db/schema';
import type { Cadence } from '../domain/catalog';
import { checkCadence, planPeriod, type PlanPeriod } from '../domain/planPeriods';
import { isSchoolHolidayWeek, type SchoolHolidays } from '../domain/policy';
import type { PlanState } from '../workflows/planContract';

export interface OfficialVerdict {
  compliant: boolean;
  shortfall: string;
  /** Short of a local rule that is not enforced: no official 未达标. */
  advisory: boolean;
  /** School-holiday weeks left unchecked (item 7). */
  holidayWeeks: number;
}

type PlanRow = typeof plans.$inferSelect;

export async function officialPeriodVerdict(
  db: Db, plan: PlanRow, given: { period: string; compliant: boolean; shortfall?: string | null }, period?: PlanPeriod,
): Promise<OfficialVerdict> {
  const rules = await loadPolicy(db);
  const state = plan.state as Partial<PlanState>;
  const cadence: Cadence | undefined = state.input?.cadence;
  let compliant = given.compliant;
  let shortfall = given.shortfall ?? '';
  let holidayWeeks = 0;
  const holidays = (rules.find((r) => r.key === `schoolHolidays.${plan.itemCode}`)?.value ?? {}) as SchoolHolidays;
  if (!compliant && cadence?.period === 'week' && Object.keys(holidays).length > 0) {
    const p = period ?? planPeriod(cadence, given.period, { startDate: plan.startDate, ...(state.end?.lastDay ?? plan.endDate ? { lastDay: state.end?.lastDay ?? plan.endDate! } : {}) });
    if (p?.weeks) {
      const weeks = p.weeks.map((w) => (w.checked && isSchoolHolidayWeek(holidays, w.start) ? (holidayWeeks++, { ...w, checked: false }) : w));
      if (holidayWeeks > 0) {
        const sessions = await db.select({ date: planSessions.sessionDate, units: planSessions.units }).from(planSessions)
          .where(and(eq(planSessions.planId, plan.id), eq(planSessions.period, given.period)));
        const v = checkCadence(cadence, { ...p, weeks }, sessions);
        compliant = v.compliant;
        shortfall = [v.shortfall ?? '', `寒暑假 ${holidayWeeks} 周不计`].filter(Boolean).join('；');
      }
    }
  }
  const rule = rules.find((r) => r.key === `cadence.${plan.itemCode}`);
  return { compliant, shortfall, advisory: !compliant && rule !== undefined && !rule.enforced, holidayWeeks };
}
