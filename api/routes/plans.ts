/**
 * /v1/plans: ongoing service plans (items 5, 6, 7, 11, 12). Coordinators enrol and withdraw, provider
 * staff (workers) record sessions, everyone in scope reads. Reads combine the workflow's state (the
 * current period and its progress) with the read model (assessment, past periods, lists).
 */
import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { planPeriods, plans, planSessions } from '../../db/schema';
import { isDateString } from '../../domain/calendar';
import { findItem } from '../../domain/catalog';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { EVIDENCE_KINDS, PLAN_STATUSES } from '../../domain/vocabulary';
import {
  getPlanStateQuery, PLAN_STEP_NOT_ALLOWED, planWorkflowId, recordSessionUpdate, withdrawPlanUpdate, type PlanState,
} from '../../workflows/planContract';
import type { AppDeps } from '../types';
import { mayUnmask } from '../audit';
import { currentUser, inDepartmentScope, inScope, requireRole, scopeWhere, type AuthUser } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { readIdempotencyKey } from '../idempotency';
import { presentPlan, presentPlanRow, presentSession } from '../presenters/plan';
import { badRequest, conflict, notFound } from '../problem';
import { enrolPlan, enrolPlanBody, PLAN_ITEMS } from '../services/enrolPlan';

const idParams = z.object({ id: z.string().min(1).max(64) });
const day = z.string().refine(isDateString, '应为 YYYY-MM-DD 格式的日期');

export const recordSessionBody = z.object({
  date: day,
  /** Minutes, or class hours for home schooling (e.g. 1.5). */
  units: z.number().positive('服务时长必须大于0').max(1440),
  providerStaff: z.string().trim().min(1, '不能为空').max(100),
  content: z.string().trim().min(1, '不能为空').max(2000),
  evidence: z.array(z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, '应为文件的 sha256'), kind: z.enum(EVIDENCE_KINDS) }).strict()).max(20).optional(),
}).strict();

export const withdrawBody = z.object({ reason: z.string().trim().min(1, '请填写退出原因').max(500) }).strict();

const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listPlansQuery = z.object({
  county: z.enum(COUNTY_CODES).optional(),
  department: z.enum(DEPARTMENT_CODES).optional(),
  itemCode: z.enum(PLAN_ITEMS).optional(),
  status: z.enum(PLAN_STATUSES).optional(),
  subjectId: z.string().min(1).max(64).optional(),
  /** The verdict of the last checked period. */
  lastCompliant: boolQuery.optional(),
  /** Plans whose shortfall is escalated now (level ≥ 1). */
  escalated: boolQuery.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
}).strict();

/** The rejection reason of a plan update, or undefined when the failure is something else. */
function rejectionReason(e: unknown): string | undefined {
  if (e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure && e.cause.type === PLAN_STEP_NOT_ALLOWED) return e.cause.message;
  return undefined;
}

export async function planRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  /** A plan the user may see: the workflow's state (or the last snapshot once it is gone) and the read-model row. */
  async function loadPlan(user: AuthUser, id: string): Promise<{ row?: typeof plans.$inferSelect; state: PlanState }> {
    const [row] = await db.select().from(plans).where(eq(plans.id, id)).limit(1);
    let state: PlanState | undefined;
    try {
      state = await deps.temporal.workflow.getHandle(planWorkflowId(id)).query(getPlanStateQuery);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError || (e as Error).name === 'WorkflowNotFoundError') && !row) throw e;
      const snap = row?.state as PlanState | undefined;
      if (!snap?.input) throw notFound('服务计划');
      state = snap;
    }
    if (!inScope(user, state.input.county, state.input.department)) throw notFound('服务计划');
    return { row, state };
  }

  async function pastPeriods(id: string) {
    return db.select().from(planPeriods).where(eq(planPeriods.planId, id)).orderBy(asc(planPeriods.startDate));
  }

  r.post('/plans', {
    schema: {
      tags: ['plans'],
      summary: '登记持续性服务计划（家庭康复、送康复上门、送教上门、家政服务、居家就业）',
      description: '按服务事项校验评估结果、服务提供方与开始日期，启动服务计划工作流；由摸底需求（needId）登记时关联该需求。支持 Idempotency-Key。',
      body: enrolPlanBody,
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const { created, state, warnings } = await enrolPlan(
      { db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now, ip: request.ip }, user, request.body, key,
    );
    const [row] = await db.select().from(plans).where(eq(plans.id, state.input.planId)).limit(1);
    return reply.status(created ? 201 : 200).header('location', `/v1/plans/${state.input.planId}`)
      .send({ ...presentPlan(state, row, await pastPeriods(state.input.planId), { birthDerived: mayUnmask(user) }), warnings });
  });

  r.get('/plans', {
    schema: { tags: ['plans'], summary: '服务计划列表（按县区、部门、事项、状态、服务对象、上期是否达标筛选，游标分页）', querystring: listPlansQuery },
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const where: SQL[] = [];
    const scope = scopeWhere(user, plans.county, plans.department);
    if (scope) where.push(scope);
    if (q.county) where.push(eq(plans.county, q.county));
    if (q.department) where.push(eq(plans.department, q.department));
    if (q.itemCode) where.push(eq(plans.itemCode, q.itemCode));
    if (q.status) where.push(eq(plans.status, q.status));
    if (q.subjectId) where.push(eq(plans.subjectId, q.subjectId));
    if (q.lastCompliant !== undefined) where.push(eq(plans.lastPeriodCompliant, q.lastCompliant));
    if (q.escalated !== undefined) where.push(q.escalated ? gt(plans.escalationLevel, 0) : eq(plans.escalationLevel, 0));
    if (q.cursor) {
      const [t, id] = decodeCursor(q.cursor, ['instant', 'key']); // (created_at desc, id desc)
      where.push(sql`(${plans.createdAt}, ${plans.id}) < (${t.toISOString()}::timestamptz, ${id})`);
    }
    const rows = await db.select().from(plans).where(and(...where)).orderBy(desc(plans.createdAt), desc(plans.id)).limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return { items: page.map(presentPlanRow), nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].createdAt, page[page.length - 1].id]) : null };
  });

  r.get('/plans/:id', {
    schema: { tags: ['plans'], summary: '查看服务计划：本期进度（对照服务频次）与历史各期核查结果', params: idParams },
  }, async (request) => {
    const user = currentUser(request);
    const { row, state } = await loadPlan(user, request.params.id);
    return presentPlan(state, row, await pastPeriods(request.params.id), { birthDerived: mayUnmask(user) });
  });

  r.get('/plans/:id/sessions', {
    schema: {
      tags: ['plans'], summary: '服务计划的服务记录（可按周期筛选）', params: idParams,
      querystring: z.object({ period: z.string().regex(/^\d{4}-\d{2}$/, '应为 YYYY-MM').optional() }).strict(),
    },
  }, async (request) => {
    const user = currentUser(request);
    await loadPlan(user, request.params.id);
    const where = [eq(planSessions.planId, request.params.id)];
    if (request.query.period) where.push(eq(planSessions.period, request.query.period));
    const rows = await db.select().from(planSessions).where(and(...where)).orderBy(asc(planSessions.sessionDate), asc(planSessions.createdAt));
    return { items: rows.map(presentSession) };
  });

  r.post('/plans/:id/sessions', {
    schema: {
      tags: ['plans'],
      summary: '登记一次上门服务（日期、时长或课时、服务人员、服务内容、佐证材料）',
      description: '只能登记本期内、不晚于今天的服务；同一服务人员同一天只能登记一次。送教上门按课时（可为 1.5），其他事项按分钟。支持 Idempotency-Key。',
      params: idParams,
      body: recordSessionBody,
    },
    preHandler: requireRole('worker', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const { state } = await loadPlan(user, request.params.id);
    const b = request.body;
    if (state.input.cadence.unit === 'class_hours') {
      if (b.units > 12 || !Number.isInteger(b.units * 2)) throw badRequest('课时无效', [{ path: 'body.units', message: '课时应为 0.5 的整数倍，且不超过 12' }]);
    } else if (!Number.isInteger(b.units)) {
      throw badRequest('时长无效', [{ path: 'body.units', message: '服务时长按分钟计，应为整数' }]);
    }
    if (state.status === 'ended') throw conflict(`服务计划已结束${state.end ? `（${state.end.detail}）` : ''}，不能再登记服务`);
    try {
      const session = await deps.temporal.workflow.getHandle(planWorkflowId(request.params.id)).executeUpdate(recordSessionUpdate, {
        args: [{ actor: user.id, date: b.date, units: b.units, providerStaff: b.providerStaff, content: b.content, evidence: b.evidence ?? [] }],
        ...(key ? { updateId: `session:${user.id}:${key}` } : {}),
      });
      return reply.status(201).send(presentSession(session));
    } catch (e) {
      const reason = rejectionReason(e);
      if (reason) throw conflict(reason);
      if (e instanceof WorkflowNotFoundError) throw conflict('服务计划已结束，不能再登记服务');
      throw e;
    }
  });

  r.post('/plans/:id/withdraw', {
    schema: { tags: ['plans'], summary: '退出服务计划（须填写原因）；本期按比例核查后结束', params: idParams, body: withdrawBody },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const { row } = await loadPlan(user, request.params.id);
    let state: PlanState;
    try {
      state = await deps.temporal.workflow.getHandle(planWorkflowId(request.params.id)).executeUpdate(withdrawPlanUpdate, {
        args: [{ actor: user.id, reason: request.body.reason }],
      });
    } catch (e) {
      const reason = rejectionReason(e);
      if (reason) throw conflict(reason);
      if (e instanceof WorkflowNotFoundError) throw conflict('服务计划已结束');
      throw e;
    }
    return presentPlan(state, row, await pastPeriods(request.params.id), { birthDerived: mayUnmask(user) });
  });

  /** Ongoing needs found by surveys and not yet in a plan, in the user's scope: the coordinator's to-do list. */
  r.get('/plans/pending-needs', {
    schema: {
      tags: ['plans'], summary: '待制定服务计划的持续性需求（来自需求摸底），按摸底时间先后',
      querystring: z.object({
        itemCode: z.enum(PLAN_ITEMS).optional(),
        subjectId: z.string().min(1).max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }).strict(),
    },
    preHandler: requireRole('coordinator', 'supervisor', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    // Scope in SQL (county; department of the item's implementing unit), so the limit counts visible rows only.
    const items_ = PLAN_ITEMS.filter((i) => inDepartmentScope(user, findItem(i)!.actions[0].implementing) && (!q.itemCode || q.itemCode === i));
    const counties = user.cityLevel ? null : user.counties;
    const rows = items_.length === 0 || counties?.length === 0 ? [] : await db.execute<{ id: string; subject_id: string; item_code: string; survey_id: string; county: string }>(sql`
      select n.id, n.subject_id, n.item_code, n.survey_id, s.county
      from needs n join subjects s on s.id = n.subject_id
      where n.ongoing and n.plan_id is null
        and n.item_code in (${sql.join(items_.map((i) => sql`${i}`), sql`, `)})
        ${counties ? sql`and s.county in (${sql.join(counties.map((c) => sql`${c}`), sql`, `)})` : sql``}
        ${q.subjectId ? sql`and n.subject_id = ${q.subjectId}` : sql``}
      order by n.created_at asc, n.id asc limit ${q.limit}`);
    const items = [...rows].map((n) => ({
      needId: n.id, subjectId: n.subject_id, surveyId: n.survey_id, itemCode: n.item_code, county: n.county,
    }));
    return { items };
  });
}
