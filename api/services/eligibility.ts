/**
 * Eligibility at every path that starts a service: the needs survey (POST /v1/surveys), a case
 * (POST /v1/cases, through openCase) and a plan (POST /v1/plans, through enrolPlan). All three ask
 * domain/eligibility.ts's one rule per item, on the same facts:
 *   the subject's record (certificate category and grade, household size)
 *   ⊕ the answers of the survey the case comes from, or else of the subject's latest survey
 *   ⊕ answers given with the request (e.g. an other special difficulty and its reason).
 *
 * A refusal is a 409 with the reason in Chinese. A coordinator may open despite it with a written
 * reason (`override.reason`): the decision is audited (eligibility.override) and counted in the
 * quarterly statistics, as is the open ground (其他特殊困难). Every opened case or plan records its
 * ground in eligibility_decisions.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { householdSizes } from '../../db/queries/subjects';
import { eligibilityDecisions, subjects, surveys } from '../../db/schema';
import {
  assessItemEligibility, itemEligibilityRule, type EligibilityAnswers, type EligibilityResult,
} from '../../domain/eligibility';
import { ageOn } from '../../domain/idNumber';
import { audit } from '../audit';
import { ROLE_LABELS, type AuthUser } from '../auth';
import type { StoredEligibility } from '../presenters/subject';
import { conflict, forbidden } from '../problem';

/** The survey's eligibility answers (every one optional: surveys are often incomplete). */
export const eligibilityAnswers = z.object({
  disabilityCategory: z.number().int().min(1).max(7).optional(),
  disabilityGrade: z.number().int().min(1).max(4).optional(),
  limitedMobility: z.boolean().optional(),
  noCapableCarer: z.boolean().optional(),
  householdDisabledCount: z.number().int().min(1).max(30).optional(),
  elderlyParentCarer: z.boolean().optional(),
  schizophrenia: z.boolean().optional(),
  blind: z.boolean().optional(),
  markedDisability: z.boolean().optional(),
  otherDifficulty: z.string().trim().min(1, '请写明其他特殊困难的原因').max(500).optional(),
}).strict();

/** A coordinator's decision to serve despite a refusal. */
export const eligibilityOverride = z.object({ reason: z.string().trim().min(4, '请写明理由（至少4个字）').max(500) }).strict();

/** The ground a case or plan was opened on. */
export type EligibilityGround = 'item_target' | 'programme_group' | 'other_difficulty' | 'override';
export const ELIGIBILITY_GROUND_LABELS: Readonly<Record<EligibilityGround, string>> = Object.freeze({
  item_target: '符合本事项服务对象', programme_group: '属于方案所列服务对象', other_difficulty: '其他特殊困难（已写明原因）', override: '协调员说明理由后办理',
});

/** Roles that may serve despite a refusal. */
const OVERRIDE_ROLES = ['coordinator'] as const;

type SubjectRow = typeof subjects.$inferSelect;

/** Answers with what the subject's record already says filled in (the given answers win). */
export async function effectiveAnswers(db: Db, subject: SubjectRow, given: EligibilityAnswers): Promise<EligibilityAnswers> {
  const a = { ...given } as EligibilityAnswers;
  if (a.disabilityCategory === undefined && subject.disabilityCategory) a.disabilityCategory = subject.disabilityCategory as EligibilityAnswers['disabilityCategory'];
  if (a.disabilityGrade === undefined && subject.disabilityGrade && a.disabilityCategory === (subject.disabilityCategory ?? undefined)) {
    a.disabilityGrade = subject.disabilityGrade as EligibilityAnswers['disabilityGrade'];
  }
  if (a.householdDisabledCount === undefined) {
    a.householdDisabledCount = subject.householdId ? (await householdSizes(db, [subject.householdId])).get(subject.householdId) ?? 1 : 1;
  }
  return a;
}

/** The answers of a survey, or of the subject's latest survey ({} when never surveyed). */
async function surveyedAnswers(db: Db, subject: SubjectRow, surveyId: string | undefined): Promise<EligibilityAnswers> {
  const stored = subject.eligibility as (StoredEligibility & { answers?: EligibilityAnswers }) | null;
  const id = surveyId ?? stored?.surveyId;
  if (!surveyId && stored?.answers) return stored.answers;
  if (!id) return {};
  const [s] = await db.select({ answers: surveys.answers }).from(surveys).where(eq(surveys.id, id)).limit(1);
  return (s?.answers as EligibilityAnswers | undefined) ?? {};
}

export interface EligibilityRequest {
  itemCode: string;
  /** Answers given with the request, over the surveyed ones. */
  answers?: EligibilityAnswers;
  override?: { reason: string };
  /** The survey the case comes from (its answers are the facts). */
  surveyId?: string;
  /** The day the service starts (for ages), YYYY-MM-DD. */
  on: string;
}

/** What was decided, to record once the case or plan exists. */
export interface EligibilityDecision {
  verdict: EligibilityResult;
  ground: EligibilityGround;
  reason: string | null;
  refusal: string | null;
}

/** The Chinese sentence of a refusal. */
export function refusalText(itemLabel: string, v: EligibilityResult): string {
  const rule = v.reasons.filter((r) => !r.startsWith('符合上门代办'));
  return `不符合${itemLabel}的服务对象条件：${rule.join('；')}`;
}

/**
 * The item's verdict on the facts; a refusal without an allowed override is a 409 (Chinese reason),
 * an override by a role that may not is a 403.
 */
export async function decideEligibility(db: Db, user: AuthUser, subject: SubjectRow, itemLabel: string, req: EligibilityRequest): Promise<EligibilityDecision> {
  const answers = await effectiveAnswers(db, subject, { ...(await surveyedAnswers(db, subject, req.surveyId)), ...(req.answers ?? {}) });
  const ctx = { age: ageOn(subject.birthDate, req.on) };
  const verdict = assessItemEligibility(req.itemCode, answers, ctx);
  if (verdict.eligible) {
    const withoutOther = assessItemEligibility(req.itemCode, { ...answers, otherDifficulty: undefined }, ctx);
    const ground: EligibilityGround = !withoutOther.eligible ? 'other_difficulty' : itemEligibilityRule(req.itemCode).target === 'programme' ? 'programme_group' : 'item_target';
    return { verdict, ground, reason: ground === 'other_difficulty' ? (answers.otherDifficulty ?? '').trim() : null, refusal: null };
  }
  const refusal = refusalText(itemLabel, verdict);
  if (!req.override) {
    throw conflict(`${refusal}。如确有特殊困难，可补充其他特殊困难及原因（answers.otherDifficulty），或由协调员说明理由后办理（override.reason）`, {
      eligibility: { eligible: false, reasons: verdict.reasons, missing: verdict.missing },
    });
  }
  if (!(OVERRIDE_ROLES as readonly string[]).includes(user.role)) {
    throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）不能在不符合条件时办理，需协调员说明理由`);
  }
  return { verdict, ground: 'override', reason: req.override.reason.trim(), refusal };
}

/** Records the decision of an opened case or plan (once) and audits an override. */
export async function recordEligibilityDecision(
  db: Db, user: AuthUser, d: EligibilityDecision,
  ref: { kind: 'case' | 'plan'; id: string; subjectId: string; itemCode: string; county: string; department: string; at: Date; ip?: string },
): Promise<void> {
  const [row] = await db.insert(eligibilityDecisions).values({
    id: `${ref.kind}:${ref.id}`, kind: ref.kind, refId: ref.id, subjectId: ref.subjectId, itemCode: ref.itemCode, county: ref.county,
    department: ref.department, ground: d.ground, groups: d.verdict.groups, reason: d.reason, refusal: d.refusal, decidedBy: user.id, decidedAt: ref.at,
  }).onConflictDoNothing().returning({ id: eligibilityDecisions.id });
  if (row && d.ground === 'override') {
    // The reason may name the person's circumstances: it stays in eligibility_decisions, not in the audit detail.
    await audit(db, { user, action: 'eligibility.override', resourceType: ref.kind === 'case' ? 'cases' : 'plans', resourceId: ref.id, ip: ref.ip, detail: { itemCode: ref.itemCode, decision: row.id } });
  }
}
