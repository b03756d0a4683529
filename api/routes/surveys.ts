/**
 * /v1/surveys: the needs survey (需求摸底). Records who surveyed whom and when, the eligibility
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
 * - Each need is judged by its own item's rule (domain/eligibility.ts; plan 三 names several items'
 *   targets, section 二 the rest, with its open list). A need its rule refuses (or cannot settle) is
 *   recorded in the survey with that verdict, but gets no need row and starts nothing; `notice` says why.
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
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { cases, needs, plans, subjects, surveys } from '../../db/schema';
import { shanghaiDate, startOfShanghaiDay } from '../../domain/calendar';
import { findAction, findItem } from '../../domain/catalog';
import { assessEligibility, assessItemEligibility, type EligibilityAnswers, type EligibilityResult } from '../../domain/eligibility';
import { ageOn } from '../../domain/idNumber';
import { currentUser, inCountyScope, requireRole, type AuthUser } from '../auth';
import { readIdempotencyKey } from '../idempotency';
import { presentEligibility, type StoredEligibility } from '../presenters/subject';
import { badRequest, conflict, forbidden, HttpProblem, notFound, type FieldError } from '../problem';
import { caseOpeningRefusal } from '../services/casePermissions';
import { effectiveAnswers, eligibilityAnswers } from '../services/eligibility';
import { caseIdFor, openCase, requestHash } from '../services/openCase';
import type { RouteModule } from '../types';
import { loadSubject, text } from './subjects';

/** The plan's date: no survey under it can be older. */
const PLAN_START = startOfShanghaiDay('2023-04-21');
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_NEEDS = 30;

export { eligibilityAnswers };

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

/** What a survey stores of each need found (also for ineligible subjects, who get no need rows). */
interface FoundNeed {
  itemCode: string; actionCode: string; ongoing: boolean; greenChannel: boolean; notes?: string;
  /** The item's own verdict (domain/eligibility.ts, one rule per item); absent in surveys recorded before it. */
  eligibility?: EligibilityResult;
}

/** The idempotency key of the case a survey's need starts: fixed by the survey id and the need's index. */
export const needCaseKey = (surveyId: string, index: number): string => `survey:${surveyId}:${index}`;

/** The request hash stored with a survey: a retry must match it exactly. */
export const surveyRequestHash = (body: SurveyBody): string => requestHash(body);

export const NEED_STATUS_LABELS: Record<string, string> = {
  case_started: '已启动案件',
  case_pending: '案件待启动',
  awaiting_plan: '待制定服务计划',
  planned: '已纳入服务计划',
  not_started: '未启动',
  closed: '已办结',
};

const CLOSED_CASE_STATUSES = ['closed', 'cancelled', 'rejected'];
const CLOSED_PLAN_STATUSES = ['ended', 'closed', 'cancelled', 'completed', 'terminated'];
const lbl = (code: string) => ({ code, label: NEED_STATUS_LABELS[code] ?? code });

function itemAndAction(itemCode: string, actionCode: string) {
  const found = findAction(itemCode, actionCode);
  return {
    item: { code: itemCode, label: findItem(itemCode)?.label ?? itemCode },
    action: { code: actionCode, label: found?.action.label ?? actionCode },
  };
}

/** The survey as answered over HTTP: its verdict, what it started, and each need's state. */
function presentSurvey(s: SurveyRow, rows: NeedRow[]) {
  const eligibility = s.eligibility as EligibilityResult;
  const found = s.needs as FoundNeed[];
  const byIndex = new Map(rows.map((n) => [n.needIndex, n]));
  const needViews = found.map((f, index) => {
    const n = byIndex.get(index);
    const status = !n ? 'not_started' : n.ongoing ? (n.planId ? 'planned' : 'awaiting_plan') : n.caseStartedAt ? 'case_started' : 'case_pending';
    return {
      index,
      id: n?.id ?? null,
      ...itemAndAction(f.itemCode, f.actionCode),
      ongoing: f.ongoing,
      greenChannel: f.greenChannel,
      notes: f.notes ?? null,
      caseId: n && n.caseStartedAt ? n.caseId : null,
      planId: n?.planId ?? null,
      status: lbl(status),
      eligibility: f.eligibility ? presentEligibility(f.eligibility) : null,
    };
  });
  const started = rows.length > 0;
  const refused = needViews.filter((v) => v.eligibility && !v.eligibility.eligible).length;
  let notice: string;
  if (!started) {
    let why: string;
    if (!eligibility.eligible && (found.length === 0 || refused === found.length || found.some((f) => !f.eligibility))) {
      why = eligibility.missing.length > 0 ? '摸底信息不全，暂不能认定为服务对象' : '经摸底不符合上门代办服务对象条件';
    } else {
      why = '所列需求均不符合该服务事项的服务对象条件';
    }
    notice = found.length === 0 && eligibility.eligible
      ? '符合服务对象条件；本次摸底未发现服务需求 Eligible; no needs found'
      : `${why}：已记录摸底结果，未启动任何服务 Not eligible: the survey is recorded and nothing was started`;
  } else {
    const oneOff = needViews.filter((v) => !v.ongoing && v.id).length;
    const ongoing = needViews.filter((v) => v.ongoing && v.id).length;
    notice = `${eligibility.eligible ? '符合服务对象条件' : '按各服务事项的服务对象条件'}：已启动 ${oneOff} 个案件，${ongoing} 项持续性服务待制定服务计划`
      + (refused > 0 ? `；${refused} 项需求不符合该服务事项的服务对象条件，未启动` : '');
  }
  return {
    id: s.id,
    subjectId: s.subjectId,
    surveyedBy: s.surveyedBy,
    surveyedAt: s.surveyedAt.toISOString(),
    recordedAt: s.createdAt.toISOString(),
    answers: s.answers,
    eligibility: presentEligibility(eligibility),
    started,
    notice,
    needs: needViews,
  };
}

async function loadNeeds(db: Db, surveyId: string): Promise<NeedRow[]> {
  return db.select().from(needs).where(eq(needs.surveyId, surveyId)).orderBy(asc(needs.needIndex));
}

export const surveyRoutes: RouteModule = async (app: FastifyInstance, deps) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const caseDeps = { db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now };

  /**
   * Starts every one-off need's case that is still owed, in index order. Deterministic: each case's
   * id comes from (survey id, index), so this may run any number of times.
   */
  async function completeStarts(request: FastifyRequest, user: AuthUser, survey: SurveyRow, rows: NeedRow[]): Promise<NeedRow[]> {
    const failed: number[] = [];
    for (const n of rows) {
      if (n.ongoing || n.caseStartedAt) continue;
      try {
        const { state } = await openCase(caseDeps, user, {
          subjectId: n.subjectId, itemCode: n.itemCode, actionCode: n.actionCode, greenChannel: n.greenChannel,
          ...(n.notes ? { notes: n.notes } : {}), surveyId: survey.id,
        }, needCaseKey(survey.id, n.needIndex), `body.needs.${n.needIndex}`);
        if (state.input.caseId !== n.caseId) throw new Error(`case id mismatch for need ${n.id}`);
        await db.update(needs).set({ caseStartedAt: deps.now(), updatedAt: deps.now() }).where(eq(needs.id, n.id));
      } catch (err) {
        request.log.error({ err, surveyId: survey.id, needIndex: n.needIndex }, 'case start failed');
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
  async function replay(request: FastifyRequest, user: AuthUser, existing: SurveyRow, hash: string) {
    if (existing.requestHash !== hash) {
      throw conflict('该 Idempotency-Key 已用于另一次摸底 This Idempotency-Key was used for a different survey', { surveyId: existing.id });
    }
    const rows = await completeStarts(request, user, existing, await loadNeeds(db, existing.id));
    return presentSurvey(existing, rows);
  }

  r.post('/surveys', {
    schema: {
      tags: ['surveys'],
      summary: '需求摸底：记录摸底结果与资格认定，一次性需求启动案件，持续性需求待制定服务计划',
      body: createSurveyBody,
    },
    preHandler: requireRole('coordinator', 'worker'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const b = request.body;
    const hash = surveyRequestHash(b);
    const findByKey = async () => key
      ? (await db.select().from(surveys).where(and(eq(surveys.surveyedBy, user.id), eq(surveys.idempotencyKey, key))).limit(1))[0]
      : undefined;

    const prior = await findByKey();
    if (prior) return reply.status(200).header('location', `/v1/surveys/${prior.id}`).send(await replay(request, user, prior, hash));

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
      return reply.status(200).header('location', `/v1/surveys/${winner.id}`).send(await replay(request, user, winner, hash));
    }
    const rows = await completeStarts(request, user, inserted, await loadNeeds(db, surveyId));
    return reply.status(201).header('location', `/v1/surveys/${surveyId}`).send(presentSurvey(inserted, rows));
  });

  r.get('/surveys/:id', {
    schema: { tags: ['surveys'], summary: '查看一次需求摸底', params: z.object({ id: z.string().min(1).max(64) }).strict() },
  }, async (request) => {
    const user = currentUser(request);
    const [s] = await db.select().from(surveys).where(eq(surveys.id, request.params.id)).limit(1);
    if (!s) throw notFound('摸底记录');
    const [subject] = await db.select({ county: subjects.county }).from(subjects).where(eq(subjects.id, s.subjectId)).limit(1);
    if (!subject || !inCountyScope(user, subject.county)) throw notFound('摸底记录');
    return presentSurvey(s, await loadNeeds(db, s.id));
  });

  r.get('/subjects/:id/needs', {
    schema: {
      tags: ['surveys'],
      summary: '服务对象的服务需求（默认仅未办结的；含案件编号或服务计划编号）',
      params: z.object({ id: z.string().min(1).max(64) }).strict(),
      querystring: z.object({ status: z.enum(['open', 'all']).default('open') }).strict(),
    },
  }, async (request) => {
    const user = currentUser(request);
    const subject = await loadSubject(db, user, request.params.id);
    const rows = await db.select({ need: needs, caseStatus: cases.status, planStatus: plans.status }).from(needs)
      .leftJoin(cases, eq(cases.id, needs.caseId))
      .leftJoin(plans, eq(plans.id, needs.planId))
      .where(eq(needs.subjectId, subject.id))
      .orderBy(asc(needs.createdAt), asc(needs.surveyId), asc(needs.needIndex));
    const items = rows.map(({ need: n, caseStatus, planStatus }) => {
      const closed = n.ongoing ? !!planStatus && CLOSED_PLAN_STATUSES.includes(planStatus) : !!caseStatus && CLOSED_CASE_STATUSES.includes(caseStatus);
      const status = closed ? 'closed' : n.ongoing ? (n.planId ? 'planned' : 'awaiting_plan') : n.caseStartedAt ? 'case_started' : 'case_pending';
      return {
        id: n.id,
        surveyId: n.surveyId,
        index: n.needIndex,
        ...itemAndAction(n.itemCode, n.actionCode),
        ongoing: n.ongoing,
        greenChannel: n.greenChannel,
        notes: n.notes,
        caseId: n.caseStartedAt ? n.caseId : null,
        caseStatus: caseStatus ?? null,
        planId: n.planId,
        planStatus: planStatus ?? null,
        status: lbl(status),
        open: !closed,
        createdAt: n.createdAt.toISOString(),
      };
    });
    return { items: request.query.status === 'all' ? items : items.filter((i) => i.open) };
  });
};

