/** What /v1/policy and /v1/calendar answer: the rules as data (plan or local), and the working-day calendar. No personal data. */
import { z } from 'zod';
import { day, instant, labelled } from './common';

/** A rule as in force (api/routes/policy.ts presentRule). Its value's shape depends on its kind. */
export const policyRuleView = z.object({
  key: z.string(), kind: z.string(), label: z.string(), tag: labelled,
  clause: z.string().nullable().describe('方案条款（方案规定的规则）'), rationale: z.string().nullable().describe('本地设定的理由'),
  value: z.unknown(), version: z.number().int(), setBy: z.string(), setAt: z.string(),
  enforced: z.boolean(), effect: labelled, note: z.string().nullable(),
});
export const policyList = z.object({ rules: z.array(policyRuleView) });
/** A rule just saved; for the step-deadline rule, what reached the running cases. */
export const policySaved = policyRuleView.extend({
  runningCases: z.object({ signalled: z.number().int(), failed: z.number().int(), notice: z.string() }).nullable()
    .describe('办理时限规则：已下发的办理中案件数（其余规则为 null）'),
});
export const policyHistoryView = z.object({
  key: z.string(),
  versions: z.array(z.object({
    key: z.string(), version: z.number().int(), value: z.unknown(), enforced: z.boolean(), note: z.string().nullable(), setBy: z.string(), setAt: z.string(),
  })),
  initial: z.object({ value: z.unknown(), setBy: z.string() }),
});

/** A year's official holidays and make-up working days. */
const holidayYear = {
  year: z.number().int(), source: z.string(),
  holidays: z.array(z.object({ name: z.string(), from: day, to: day })),
  makeUpWorkdays: z.array(z.object({ date: day, for: z.string() })),
};
export const calendarWarning = z.object({ year: z.number().int(), startsOn: day, daysLeft: z.number().int(), message: z.string() });
export const calendarView = z.object({
  years: z.array(z.object({
    ...holidayYear, origin: labelled, version: z.number().int().nullable(), enteredBy: z.string().nullable(), enteredAt: instant.nullable(),
  })),
  warnings: z.array(calendarWarning),
});
export const calendarHistoryView = z.object({
  year: z.number().int(),
  versions: z.array(z.object({ ...holidayYear, version: z.number().int(), enteredBy: z.string(), enteredAt: instant })),
});
export const calendarSaved = z.object({
  year: z.number().int(), version: z.number().int(), created: z.boolean(), signalled: z.number().int(), failed: z.number().int(), notice: z.string(),
});
