/**
 * /v1/plans: ongoing service plans (items 5, 6, 7, 11, 12). Coordinators enrol and withdraw, provider
 * staff (workers) record sessions, everyone in scope reads. Reads combine the workflow's state (the
 * current period and its progress) with the read model (assessment, past periods, lists).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { findPlan, listPlans, pastPeriods, pendingPlanNeeds, planSessionRows, recentPeriods, type PlanRow } from '../../db/queries/plans';
import { plans } from '../../db/schema';
import { isDateString } from '../../domain/calendar';
import { findItem } from '../../domain/catalog';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { EVIDENCE_KINDS, PLAN_STATUSES } from '../../domain/vocabulary';
import { getPlanStateQuery, planWorkflowId, recordSessionUpdate, withdrawPlanUpdate, type PlanState } from '../../workflows/planContract';
import type { AppDeps } from '../types';
import { mayUnmask } from '../audit';
import { currentUser, inDepartmentScope, inScope, requireRole, scopeWhere, type AuthUser } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { readIdempotencyKey } from '../idempotency';
import { presentPlan, presentPlanRow, presentSession } from '../presenters/plan';
import { badRequest, conflict, notFound } from '../problem';
import { sendUpdate } from '../workflowUpdates';
import { enrolPlan, enrolPlanBody, PLAN_ITEMS } from '../services/enrolPlan';
import { problemResponses } from '../schemas/common';
import { pendingNeeds, planList, planView, sessionList, sessionView } from '../schemas/plans';

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

/** How many checked periods each row of the plan list carries. */
const RECENT_PERIODS = 6;

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

export async function planRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  /** A plan the user may see: the workflow's state (or the last snapshot once it is gone) and the read-model row. */
  async function loadPlan(user: AuthUser, id: string): Promise<{ row?: PlanRow; state: PlanState }> {
    const row = await findPlan(db, id);
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

  r.post('/plans', {
    schema: {
      tags: ['plans'],
      summary: '登记持续性服务计划（家庭康复、送康复上门、送教上门、家政服务、居家就业）',
      description: '按服务事项校验评估结果、服务提供方与开始日期，启动服务计划工作流；由摸底需求（needId）登记时关联该需求。支持 Idempotency-Key。',
      body: enrolPlanBody,
      response: { 200: planView.describe('同一 Idempotency-Key 的重试：首次登记的计划'), 201: planView.extend({ warnings: z.array(z.string()).optional().describe('本地设定（仅作提示）的规则未满足时的提醒') }), ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const { created, state, warnings } = await enrolPlan(
      { db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now, ip: request.ip }, user, request.body, key,
    );
    const row = await findPlan(db, state.input.planId);
    return reply.status(created ? 201 : 200).header('location', `/v1/plans/${state.input.planId}`)
      .send({ ...presentPlan(state, row, await pastPeriods(db, state.input.planId), { birthDerived: mayUnmask(user) }), warnings });
  });

  r.get('/plans', {
    schema: { tags: ['plans'], summary: '服务计划列表（按县区、部门、事项、状态、服务对象、上期是否达标筛选，游标分页）；每行带最近 6 期的核查结果', querystring: listPlansQuery, response: { 200: planList, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const after = q.cursor ? decodeCursor(q.cursor, ['instant', 'key']) : undefined; // (created_at desc, id desc)
    const { rows, subjectNames, more } = await listPlans(db, {
      scope: scopeWhere(user, plans.county, plans.department), county: q.county, department: q.department, itemCode: q.itemCode,
      status: q.status, subjectId: q.subjectId, lastCompliant: q.lastCompliant, escalated: q.escalated,
    }, q.limit, after && { createdAt: after[0], id: after[1] });
    const last = rows.at(-1);
    const periods = await recentPeriods(db, rows.map((p) => p.id), RECENT_PERIODS);
    return { items: rows.map((p) => presentPlanRow(p, subjectNames.get(p.id) ?? null, periods.get(p.id) ?? [])), nextCursor: more && last ? encodeCursor([last.createdAt, last.id]) : null };
  });

  r.get('/plans/:id', {
    schema: { tags: ['plans'], summary: '查看服务计划：本期进度（对照服务频次）与历史各期核查结果', params: idParams, response: { 200: planView, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const { row, state } = await loadPlan(user, request.params.id);
    return presentPlan(state, row, await pastPeriods(db, request.params.id), { birthDerived: mayUnmask(user) });
  });

  r.get('/plans/:id/sessions', {
    schema: {
      tags: ['plans'], summary: '服务计划的服务记录（可按周期筛选）', params: idParams,
      querystring: z.object({ period: z.string().regex(/^\d{4}-\d{2}$/, '应为 YYYY-MM').optional() }).strict(),
      response: { 200: sessionList, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    await loadPlan(user, request.params.id);
    return { items: (await planSessionRows(db, request.params.id, request.query.period)).map(presentSession) };
  });

  r.post('/plans/:id/sessions', {
    schema: {
      tags: ['plans'],
      summary: '登记一次上门服务（日期、时长或课时、服务人员、服务内容、佐证材料）',
      description: '只能登记本期内、不晚于今天的服务；同一服务人员同一天只能登记一次。送教上门按课时（可为 1.5），其他事项按分钟。支持 Idempotency-Key。',
      params: idParams,
      body: recordSessionBody,
      response: { 201: sessionView, ...problemResponses },
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
    // Whether a session may be recorded now (started, not ended, inside the period, not twice) is the
    // workflow validator's to say; failures map as for cases (api/workflowUpdates).
    const session = await sendUpdate(deps.temporal, deps.temporal.workflow.getHandle(planWorkflowId(request.params.id)), recordSessionUpdate, {
      args: [{ actor: user.id, date: b.date, units: b.units, providerStaff: b.providerStaff, content: b.content, evidence: b.evidence ?? [] }],
      ...(key ? { updateId: `session:${user.id}:${key}` } : {}),
    }, {
      fallbackReason: '不能登记服务', deadlineMs: deps.config.UPDATE_TIMEOUT_MS,
      onEnded: () => { throw conflict(`服务计划已结束${state.end ? `（${state.end.detail}）` : ''}，不能再登记服务`); },
    });
    return reply.status(201).send(presentSession(session));
  });

  r.post('/plans/:id/withdraw', {
    schema: { tags: ['plans'], summary: '退出服务计划（须填写原因）；本期按比例核查后结束', params: idParams, body: withdrawBody, response: { 200: planView, ...problemResponses } },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const { row, state: before } = await loadPlan(user, request.params.id);
    const handle = deps.temporal.workflow.getHandle(planWorkflowId(request.params.id));
    const state = await sendUpdate(deps.temporal, handle, withdrawPlanUpdate, {
      args: [{ actor: user.id, reason: request.body.reason }],
      // A retry under the same key while the plan still runs gets the first withdrawal's answer from Temporal.
      ...(key ? { updateId: `withdraw:${user.id}:${key}` } : {}),
    }, {
      fallbackReason: '不能退出服务计划', deadlineMs: deps.config.UPDATE_TIMEOUT_MS,
      onEnded: async () => {
        // The plan has ended. A retry of the very request that withdrew it (its first answer was lost) gets that answer again.
        const final = await handle.query(getPlanStateQuery).catch(() => before);
        if (request.idempotency?.retry && final.end?.reason === 'withdrawn' && final.end.by === user.id) return final;
        throw conflict(`服务计划已结束${final.end ? `（${final.end.detail}）` : ''}`);
      },
    });
    return presentPlan(state, row, await pastPeriods(db, request.params.id), { birthDerived: mayUnmask(user) });
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
      response: { 200: pendingNeeds, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'supervisor', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    // Scope in SQL (county; department of the item's implementing unit), so the limit counts visible rows only.
    const items = PLAN_ITEMS.filter((i) => inDepartmentScope(user, findItem(i)!.actions[0].implementing) && (!q.itemCode || q.itemCode === i));
    return { items: await pendingPlanNeeds(db, { items, counties: user.cityLevel ? null : user.counties, subjectId: q.subjectId }, q.limit) };
  });
}
