/**
 * The needs survey (需求摸底), as POST /v1/surveys records it. Records who surveyed whom and when, the eligibility
 * answers and verdict, and the needs found; starts one case per one-off need and records ongoing
 * needs (items 5, 6, 7, 11, 12) for the plans API to pick up. /v1/subjects/:id/needs lists them.
 *
 * Atomicity and retries: the survey row and its need rows are written in one transaction, each
 * one-off need with its case id already fixed (derived from the survey id and the need's index).
 * Cases start after the commit, in index order, through openCase with the key `survey:<id>:<index>`;
 * a need is marked started once its workflow is known to run. A retried POST with the same
 * Idempotency-Key (same body) answers the same survey with 200 and starts only what is still owed,
 * so a crash or a failed start between commit and start is completed by the retry, and nothing is
 * ever started twice (the workflow id is derived from the case id; openCase treats an existing
 * workflow with the same request as success). The same key with a different body is a 409.
 *
 * Decisions:
 * - An ineligible subject's survey (or one whose answers do not settle eligibility) is recorded,
 *   with its needs in the survey, but no need rows are made and nothing starts; `notice` says why.
 * - An empty needs list is allowed: a survey may find no needs, and it still records eligibility.
 * - Answers left out are filled from the subject: the certificate's category and grade, and the
 *   household size from the household links (一户多残 is derived, never asked twice).
 * - surveyedAt may not be in the future (5 minutes of clock skew allowed) nor before the plan's
 *   date (2023-04-21, Asia/Shanghai).
 * - The same item and action twice in one survey is a 400; so is greenChannel on an ongoing item
 *   (the green channel shortens a case's deadlines; plans have none).
 * - The subject's `eligibility` shows the verdict of its latest survey (by surveyedAt).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { cases, needs, plans, subjects, surveys } from '../../db/schema';
import { shanghaiDate, startOfShanghaiDay } from '../../domain/calendar';
import { findAction, findItem } from '../../domain/catalog';
import { assessEligibility, assessItemEligibility, type EligibilityAnswers } from '../../domain/eligibility';
import { ageOn } from '../../domain/idNumber';
import { inCountyScope, type AuthUser } from '../auth';
import type { FoundNeed } from '../presenters/survey';
import type { StoredEligibility } from '../presenters/subject';
import { keyReused } from '../idempotency';
import { badRequest, forbidden, HttpProblem, notFound, type FieldError } from '../problem';
import { effectiveAnswers, eligibilityAnswers } from './eligibility';
import { caseOpeningRefusal } from './casePermissions';
import { caseIdFor, openCase, requestHash, type OpenCaseDeps } from './openCase';
import { text } from './subjects';

/** The plan's date: no survey under it can be older. */
const PLAN_START = startOfShanghaiDay('2023-04-21');
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_NEEDS = 30;

const needBody = z.object({
  itemCode: z.string().min(1).max(64),
  actionCode: z.string().min(1).max(64),
  notes: text(2000).optional(),
  greenChannel: z.boolean().default(false),
}).strict();

export const createSurveyBody = z.object({
  subjectId: z.string().min(1).max(64),
  surveyedAt: z.iso.datetime({ offset: true, error: '应为 ISO 8601 时间，如 2025-03-01T09:30:00+08:00' }),
  answers: eligibilityAnswers,
  needs: z.array(needBody).max(MAX_NEEDS, `一次摸底最多 ${MAX_NEEDS} 项需求`),
}).strict();

type SurveyBody = z.infer<typeof createSurveyBody>;
type SurveyRow = typeof surveys.$inferSelect;
type NeedRow = typeof needs.$inferSelect;

/** The idempotency key of the case a survey's need starts: fixed by the survey id and the need's index. */
export const needCaseKey = (surveyId: string, index: number): string => `survey:${surveyId}:${index}`;

/** The request hash stored with a survey: a retry must match it exactly. */
export const surveyRequestHash = (body: SurveyBody): string => requestHash(body);

export interface SurveyDeps extends OpenCaseDeps {
  /** Where a case start that failed is logged (the request's logger). */
  log: Pick<FastifyBaseLogger, 'error'>;
}

/** A survey as recorded (or found again for a retry), with its need rows. */
export interface RecordedSurvey { created: boolean; survey: SurveyRow; needs: NeedRow[] }

/** A survey's need rows, in index order. */
export async function loadNeeds(db: Db, surveyId: string): Promise<NeedRow[]> {
  return db.select().from(needs).where(eq(needs.surveyId, surveyId)).orderBy(asc(needs.needIndex));
}


/**
 * Starts every one-off need's case that is still owed, in index order. Deterministic: each case's
 * id comes from (survey id, index), so this may run any number of times.
 */
async function completeStarts(deps: SurveyDeps, user: AuthUser, survey: SurveyRow, rows: NeedRow[]): Promise<NeedRow[]> {
  const { db } = deps;
  const failed: number[] = [];
  for (const n of rows) {
    if (n.ongoing || n.caseStartedAt) continue;
    try {
      const { state } = await openCase(deps, user, {
        subjectId: n.subjectId, itemCode: n.itemCode, actionCode: n.actionCode, greenChannel: n.greenChannel,
        ...(n.notes ? { notes: n.notes } : {}), surveyId: survey.id,
      }, needCaseKey(survey.id, n.needIndex), `body.needs.${n.needIndex}`);
      if (state.input.caseId !== n.caseId) throw new Error(`case id mismatch for need ${n.id}`);
      await db.update(needs).set({ caseStartedAt: deps.now(), updatedAt: deps.now() }).where(eq(needs.id, n.id));
    } catch (err) {
      deps.log.error({ err, surveyId: survey.id, needIndex: n.needIndex }, 'case start failed');
      failed.push(n.needIndex);
    }
  }
  if (failed.length > 0) {
    throw new HttpProblem(503, '服务暂不可用 Service Unavailable',
      '摸底已记录，但部分案件未能启动：请使用相同的 Idempotency-Key 重试，已启动的不会重复 The survey is recorded; retry with the same Idempotency-Key to start the remaining cases',
      undefined, { surveyId: survey.id, pendingNeeds: failed });
  }
  return loadNeeds(db, survey.id);
}

/** A retried request: same key and body → the same survey (finishing owed starts); another body → 409. */
async function replay(deps: SurveyDeps, user: AuthUser, existing: SurveyRow, hash: string): Promise<RecordedSurvey> {
  if (existing.requestHash !== hash) {
    throw keyReused({ method: 'POST', path: '/v1/surveys', createdAt: existing.createdAt });
  }
  const rows = await completeStarts(deps, user, existing, await loadNeeds(deps.db, existing.id));
  return { created: false, survey: existing, needs: rows };
}

/**
 * Records a survey and starts what it owes (see the module comment); a retry with the same key answers
 * the first survey (`created: false`).
 */
export async function recordSurvey(deps: SurveyDeps, user: AuthUser, b: SurveyBody, key: string | undefined): Promise<RecordedSurvey> {
  const { db } = deps;
  const hash = surveyRequestHash(b);
  const findByKey = async () => key
    ? (await db.select().from(surveys).where(and(eq(surveys.surveyedBy, user.id), eq(surveys.idempotencyKey, key))).limit(1))[0]
    : undefined;

  const prior = await findByKey();
  if (prior) return replay(deps, user, prior, hash);

  const errors: FieldError[] = [];
  const [subject] = await db.select().from(subjects).where(eq(subjects.id, b.subjectId)).limit(1);
  if (!subject || !inCountyScope(user, subject.county)) {
    errors.push({ path: 'body.subjectId', message: '服务对象不存在或不在您的权限范围内', code: 'not_found' });
  }
  const surveyedAt = new Date(b.surveyedAt);
  const now = deps.now();
  if (surveyedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) errors.push({ path: 'body.surveyedAt', message: '摸底时间不能晚于当前时间', code: 'future' });
  if (surveyedAt < PLAN_START) errors.push({ path: 'body.surveyedAt', message: '摸底时间不能早于实施方案印发日期 2023-04-21', code: 'too_early' });
  const found: FoundNeed[] = [];
  const seen = new Map<string, number>();
  const refusals: string[] = [];
  b.needs.forEach((n, i) => {
    const item = findItem(n.itemCode);
    if (!item) {
      errors.push({ path: `body.needs.${i}.itemCode`, message: `服务事项 ${n.itemCode} 不在服务目录中`, code: 'unknown_item' });
      return;
    }
    const fa = findAction(n.itemCode, n.actionCode);
    if (!fa) {
      errors.push({ path: `body.needs.${i}.actionCode`, message: `办理事项 ${n.actionCode} 不属于服务事项 ${item.label}`, code: 'unknown_action' });
      return;
    }
    if (item.ongoing && n.greenChannel) {
      errors.push({ path: `body.needs.${i}.greenChannel`, message: `${item.label}是持续性服务，按服务计划办理，不适用绿色通道`, code: 'ongoing_item' });
    }
    // A one-off need opens a case: the same rule as POST /v1/cases (api/services/casePermissions.ts).
    const refusal = item.ongoing ? undefined : caseOpeningRefusal(user, { department: fa.action.implementing, greenChannel: n.greenChannel });
    if (refusal) refusals.push(`body.needs.${i}: ${refusal}`);
    const k = `${n.itemCode}/${n.actionCode}`;
    const first = seen.get(k);
    if (first !== undefined) errors.push({ path: `body.needs.${i}`, message: `与第 ${first + 1} 项需求重复（${fa.action.label}）`, code: 'duplicate' });
    else seen.set(k, i);
    found.push({ itemCode: n.itemCode, actionCode: n.actionCode, ongoing: item.ongoing, greenChannel: n.greenChannel, ...(n.notes ? { notes: n.notes } : {}) });
  });
  if (errors.length > 0) throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  if (refusals.length > 0) throw forbidden(refusals.join('; '));

  const answers = await effectiveAnswers(db, subject!, b.answers as EligibilityAnswers);
  const eligibility = assessEligibility(answers);
  // One rule per item: each need is judged by its own item's rule (a child's age on the survey day).
  const age = ageOn(subject!.birthDate, shanghaiDate(surveyedAt));
  for (const f of found) f.eligibility = assessItemEligibility(f.itemCode, answers, { age });
  const surveyId = randomUUID();
  const inserted = await db.transaction(async (tx) => {
    const [row] = await tx.insert(surveys).values({
      id: surveyId, subjectId: subject!.id, surveyedBy: user.id, surveyedAt, answers, eligibility, needs: found,
      idempotencyKey: key ?? null, requestHash: hash, createdAt: now, updatedAt: now,
    }).onConflictDoNothing({ target: [surveys.surveyedBy, surveys.idempotencyKey] }).returning();
    if (!row) return undefined; // a concurrent request with the same key won
    const owed = found.map((f, i) => ({ f, i })).filter(({ f }) => f.eligibility?.eligible);
    if (owed.length > 0) {
      await tx.insert(needs).values(owed.map(({ f, i }) => ({
        id: randomUUID(), surveyId, subjectId: subject!.id, itemCode: f.itemCode, actionCode: f.actionCode, needIndex: i,
        ongoing: f.ongoing, greenChannel: f.greenChannel, notes: f.notes ?? null,
        caseId: f.ongoing ? null : caseIdFor(user.id, needCaseKey(surveyId, i)), planId: null, createdAt: now, updatedAt: now,
      })));
    }
    // The subject shows the verdict of its latest survey.
    const [current] = await tx.select({ e: subjects.eligibility }).from(subjects).where(eq(subjects.id, subject!.id)).for('update');
    const prev = current?.e as StoredEligibility | null;
    if (!prev || new Date(prev.surveyedAt) <= surveyedAt) {
      const stored: StoredEligibility = { surveyId, surveyedAt: surveyedAt.toISOString(), ...eligibility, answers };
      await tx.update(subjects).set({ eligibility: stored, updatedAt: now }).where(eq(subjects.id, subject!.id));
    }
    return row;
  });
  if (!inserted) {
    const winner = await findByKey();
    if (!winner) throw new Error('survey idempotency conflict without a row');
    return replay(deps, user, winner, hash);
  }
  const rows = await completeStarts(deps, user, inserted, await loadNeeds(db, surveyId));
  return { created: true, survey: inserted, needs: rows };
}

/** A survey the user may see (its subject in scope), or 404. */
export async function findSurvey(db: Db, user: AuthUser, id: string): Promise<RecordedSurvey> {
  const [s] = await db.select().from(surveys).where(eq(surveys.id, id)).limit(1);
  if (!s) throw notFound('摸底记录');
  const [subject] = await db.select({ county: subjects.county }).from(subjects).where(eq(subjects.id, s.subjectId)).limit(1);
  if (!subject || !inCountyScope(user, subject.county)) throw notFound('摸底记录');
  return { created: false, survey: s, needs: await loadNeeds(db, s.id) };
}

/** A subject's needs, oldest first, with the status of their case or plan. */
export async function subjectNeeds(db: Db, subjectId: string) {
  const rows = await db.select({ need: needs, caseStatus: cases.status, planStatus: plans.status }).from(needs)
    .leftJoin(cases, eq(cases.id, needs.caseId))
    .leftJoin(plans, eq(plans.id, needs.planId))
    .where(eq(needs.subjectId, subjectId))
    .orderBy(asc(needs.createdAt), asc(needs.surveyId), asc(needs.needIndex));
  return rows;
}
