/**
 * /v1/cases: open a case (starts its workflow), list cases (read model), read one (workflow query +
 * read model), move it through its steps (workflow updates), and upload / download its evidence.
 *
 * Roles (who may do what; everything is scope-checked, and a case outside the scope is 404):
 * - open: coordinator, admin
 * - assign / reassign: coordinator (the department lead), supervisor
 * - schedule-visit, visit-report, supplement, deliver, confirm-receipt, evidence upload: the assigned
 *   worker, or a coordinator
 * - review: reviewer
 * - cancel, hold, resume, green-channel: coordinator, supervisor
 * - read, list, download evidence: any role in scope
 *
 * Steps: the workflow's validator decides whether a step is allowed now (409 with its Chinese reason);
 * the API first checks what it alone can see (the body's shape, uploaded files, users) and answers 400
 * with field paths. The update id is derived from the Idempotency-Key (`<userId>:<key>`), so a retried
 * request is answered as the first one was and never applies a step twice.
 */
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { caseEvidence, EVIDENCE_TYPES, EvidenceRejected, openEvidence, storeEvidence, type EvidenceStore } from '../services/evidence';
import { evidenceStorageFor } from '../services/evidenceStorage';
import { isDateString } from '../../domain/calendar';
import { ITEM_CODES } from '../../domain/catalog';
import {
  CANCEL_REASONS, CASE_ACTION_LABELS, VISIT_OUTCOMES, type CaseAction,
} from '../../domain/caseFlow';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { CASE_STATUS_LABELS, CASE_STATUSES, CASE_STEPS, DELIVERY_METHODS, EVIDENCE_KINDS } from '../../domain/vocabulary';
import { cases, subjects, users, type CaseRow } from '../../db/schema';
import { subjectContactColumns } from '../../db/queries/workbench';
import {
  assignUpdate, cancelCaseUpdate, caseWorkflowId, confirmReceiptUpdate, deliverUpdate, getCaseStateQuery, greenChannelUpdate,
  holdUpdate, resumeUpdate, reviewUpdate, scheduleVisitUpdate, supplementUpdate, visitReportUpdate,
  type CaseState,
} from '../../workflows/contract';
import type { AppDeps } from '../types';
import { audit, revealPersonalData } from '../audit';
import { currentUser, inScope, requireRole, ROLE_LABELS, scopeWhere, type AuthUser } from '../auth';
import { presentCase, presentCaseRow } from '../presenters/case';
import { presentSubjectContact } from '../presenters/subject';
import { decodeCursor, encodeCursor } from '../cursor';
import { readIdempotencyKey } from '../idempotency';
import { actionRefusal, ASSIGNEE_ROLES, assigneeRefusal, CASE_ACTION_ROLES, mayBeAssigned } from '../services/casePermissions';
import { eligibilityAnswers, eligibilityOverride } from '../services/eligibility';
import { openCase, type OpenCaseRequest } from '../services/openCase';
import { badRequest, conflict, forbidden, HttpProblem, notFound } from '../problem';
import { sendUpdate, unavailable } from '../workflowUpdates';
import { assigneeList, caseList, caseView, storedEvidence } from '../schemas/cases';
import { fileResponse, problemResponses } from '../schemas/common';

/** How long reading a case waits for its workflow before the read model answers. */
const QUERY_DEADLINE_MS = 5_000;


export const createCaseBody = z.object({
  subjectId: z.string().min(1).max(64),
  itemCode: z.string().min(1).max(64),
  actionCode: z.string().min(1).max(64),
  greenChannel: z.boolean().default(false),
  notes: z.string().max(2000).optional(),
  /** Eligibility answers over the surveyed ones, e.g. otherDifficulty with its reason. */
  answers: eligibilityAnswers.optional(),
  /** A coordinator opens despite the item's eligibility rule refusing, with the reason (audited, counted). */
  override: eligibilityOverride.optional(),
  /**
   * 绿色通道+容缺后补 at 申请受理 (plan 四（三）): accepted now with these documents missing, to be supplied by
   * the date. Only with greenChannel, and not before today (Asia/Shanghai): api/services/openCase.ts checks both.
   */
  acceptWithMissing: z.object({
    missing: z.array(z.string().trim().min(1).max(100)).min(1, '请列明后补的材料').max(20)
      .refine((m) => new Set(m).size === m.length, '材料名称不能重复'),
    supplementDueDate: z.string().refine(isDateString, '须为 YYYY-MM-DD 日期'),
  }).strict().optional().describe('容缺受理（绿色通道+容缺后补）：受理时缺少的材料与补交期限'),
}).strict();

const caseParams = z.object({ id: z.string().min(1).max(64) });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '须为 64 位小写十六进制 sha256');
const evidenceRef = z.object({ sha256, kind: z.enum(EVIDENCE_KINDS) }).strict();
const text = (max: number) => z.string().trim().min(1).max(max);

export const assignBody = z.object({ assignee: z.string().min(1).max(64), note: z.string().max(500).optional() }).strict();
export const scheduleVisitBody = z.object({ scheduledAt: z.iso.datetime({ offset: true }), note: z.string().max(500).optional() }).strict();
export const visitReportBody = z.object({
  outcome: z.enum(VISIT_OUTCOMES),
  evidence: z.array(evidenceRef).max(50).default([]),
  notes: z.string().max(2000).optional(),
}).strict();
export const reviewBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve'), note: z.string().max(500).optional() }).strict(),
  z.object({
    decision: z.literal('approve_with_missing'),
    missing: z.array(text(100)).min(1).max(20),
    supplementDueDate: z.string().refine(isDateString, '须为 YYYY-MM-DD 日期'),
    note: z.string().max(500).optional(),
  }).strict(),
  z.object({ decision: z.literal('return'), reason: text(500) }).strict(),
  z.object({ decision: z.literal('reject'), reason: text(500) }).strict(),
]);
export const supplementBody = z.object({ documents: z.array(text(100)).min(1).max(20), evidence: z.array(evidenceRef).max(50).optional() }).strict();
export const deliverBody = z.object({
  method: z.enum(DELIVERY_METHODS),
  trackingNumber: z.string().trim().min(4).max(40).regex(/^[A-Za-z0-9-]+$/, '快递单号只能包含字母、数字和连字符').optional(),
}).strict().refine((b) => b.method !== 'express' || b.trackingNumber, { path: ['trackingNumber'], message: '快递送达须填写快递单号' });
export const confirmReceiptBody = z.object({ receivedAt: z.iso.datetime({ offset: true }).optional(), note: z.string().max(500).optional() }).strict();
export const cancelBody = z.object({ reason: z.enum(CANCEL_REASONS), detail: z.string().max(500).optional() }).strict()
  .refine((b) => b.reason !== 'other' || (b.detail && b.detail.trim()), { path: ['detail'], message: '原因为“其他”时须填写说明' });
export const holdBody = z.object({ reason: text(500) }).strict();
const emptyBody = z.object({}).strict().optional();

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');
export const listQuery = z.object({
  county: z.enum(COUNTY_CODES).optional(),
  department: z.enum(DEPARTMENT_CODES).optional(),
  item: z.enum(ITEM_CODES).optional(),
  action: z.string().min(1).max(64).optional(),
  status: z.enum(CASE_STATUSES).optional(),
  step: z.enum(CASE_STEPS).optional(),
  assignee: z.string().min(1).max(64).optional(),
  overdue: boolString.optional(),
  greenChannel: boolString.optional(),
  subjectId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
  /** Full phones of the listed subjects (roles that may unmask a list; audited). */
  unmask: z.enum(['true', 'false']).optional(),
}).strict();

/** A worker may act on a case only when it is assigned to them (coordinators on any case in scope). */
function forbiddenUnlessAssignee(user: AuthUser, action: CaseAction | 'upload_evidence', state: CaseState): void {
  const why = assigneeRefusal(user, action, state);
  if (why) throw forbidden(why);
}

/** The preHandler admitting the roles of a step (api/services/casePermissions CASE_ACTION_ROLES). */
const rolesOf = (action: CaseAction | 'upload_evidence') => requireRole(...CASE_ACTION_ROLES[action]);

type Deps = AppDeps & { now: () => Date };

export async function caseRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const store: EvidenceStore = { db: deps.db, storage: evidenceStorageFor(deps.config), maxBytes: deps.config.UPLOAD_LIMIT_BYTES };
  app.addHook('onClose', () => store.storage.close());
  // Multipart only for this plugin's routes (the evidence upload).
  await app.register(multipart, { limits: { fileSize: deps.config.UPLOAD_LIMIT_BYTES, files: 1, fields: 0, parts: 2 } });

  /** Loads a case the user may see: the read model row and the workflow's own state (404 outside the scope). */
  async function loadCase(user: AuthUser, id: string): Promise<{ row?: CaseRow; state: CaseState }> {
    const [row] = await deps.db.select().from(cases).where(eq(cases.id, id)).limit(1);
    if (row && !inScope(user, row.county, row.department)) throw notFound('案件');
    let state: CaseState;
    try {
      // Bounded: a workflow whose task is failing does not answer queries; the read model then answers.
      state = await deps.temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => deps.temporal.workflow.getHandle(caseWorkflowId(id)).query(getCaseStateQuery));
    } catch (e) {
      if (!row) {
        if (e instanceof WorkflowNotFoundError || (e as Error).name === 'WorkflowNotFoundError') throw notFound('案件');
        throw unavailable('案件的办理流程暂时无法读取，请稍后重试');
      }
      // The workflow is gone (e.g. past the namespace's retention) or not answering: the read model keeps its last state.
      state = row.state as unknown as CaseState;
    }
    // A row without its workflow's state (imported, or written by hand) cannot be shown as a case.
    if (!state?.input || !Array.isArray(state.events)) throw conflict('该案件没有办理流程记录，无法显示办理情况，请联系管理员');
    if (!inScope(user, state.input.county, state.input.department)) throw notFound('案件');
    return { row, state };
  }

  /** The read model row after a transition (the handler awaited its projection, so it is current). */
  async function rowOf(id: string): Promise<CaseRow | undefined> {
    const [row] = await deps.db.select().from(cases).where(eq(cases.id, id)).limit(1);
    return row;
  }

  /**
   * A case the user may act on, from the read model alone (404 outside the scope): a step needs no
   * workflow query, its update's validator sees the workflow's own state.
   */
  async function loadForStep(user: AuthUser, id: string): Promise<CaseState> {
    const row = await rowOf(id);
    if (!row || !inScope(user, row.county, row.department)) throw notFound('案件');
    const state = row.state as unknown as Partial<CaseState> | null;
    // A row without its workflow's state (imported, or written by hand) has no workflow to send a step to.
    if (!state?.input || !Array.isArray(state.events)) throw conflict('该案件没有办理流程记录，不能在系统中办理此步骤，请联系管理员');
    return state as CaseState;
  }

  /**
   * Sends one step to the case's workflow as one update and answers with the case after it (failures:
   * api/workflowUpdates). A case that has ended answers 409, except a retry of the very request that
   * ended it, which gets the first answer again.
   */
  async function step<A>(request: FastifyRequest, state: CaseState, what: CaseAction, update: UpdateDefinition<CaseState, [A]>, args: A) {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const updateId = key ? `${user.id}:${key}` : randomUUID();
    const id = state.input.caseId;
    const handle = deps.temporal.workflow.getHandle(caseWorkflowId(id));
    const next = await sendUpdate(deps.temporal, handle, update, { args: [{ ...args, actorRole: user.role }], updateId }, {
      fallbackReason: `不能${CASE_ACTION_LABELS[what]}`,
      deadlineMs: deps.config.UPDATE_TIMEOUT_MS,
      onEnded: async () => {
        const final = await handle.query(getCaseStateQuery).catch(async () => ((await rowOf(id))?.state as unknown as CaseState | undefined) ?? state);
        if (final?.events?.some((ev) => ev.data?.updateId === updateId)) return final;
        // Ended, or (a read-model row whose workflow is gone) no longer running at all.
        if (!final?.status || final.status === 'open') throw conflict(`该案件的办理流程已不存在，不能${CASE_ACTION_LABELS[what]}，请联系管理员`);
        throw conflict(`案件${CASE_STATUS_LABELS[final.status] ?? final.status}，不能${CASE_ACTION_LABELS[what]}`);
      },
    });
    return presentCase(next, await rowOf(id), user);
  }

  /** Checks that evidence files were uploaded to this case (400 naming the missing ones). */
  async function checkEvidence(caseId: string, refs: Array<{ sha256: string }>, field: string): Promise<void> {
    const known = await caseEvidence(deps.db, caseId, [...new Set(refs.map((e) => e.sha256))]);
    const errors = refs.flatMap((e, i) => (known.has(e.sha256) ? [] : [{ path: `body.${field}.${i}.sha256`, message: '该文件未上传到本案件' }]));
    if (errors.length > 0) throw badRequest('佐证材料未上传', errors);
  }

  /** Common route options of a step. */
  const stepSchema = <B extends z.ZodType>(summary: string, body: B) => ({
    tags: ['cases'], summary, params: caseParams, body, response: { 200: caseView, ...problemResponses },
  });

  // ---- open, list, read ----
  r.post('/cases', {
    schema: {
      tags: ['cases'], summary: '开案：为服务对象的一项服务需求启动案件', body: createCaseBody,
      response: { 200: caseView.describe('同一 Idempotency-Key 的重试：首次开的案件'), 201: caseView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const key = readIdempotencyKey(request.headers);
    const { created, state } = await openCase(
      { db: deps.db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now, ip: request.ip },
      user, request.body as OpenCaseRequest, key,
    );
    return reply.status(created ? 201 : 200).header('location', `/v1/cases/${state.input.caseId}`).send(presentCase(state, undefined, user));
  });

  r.get('/cases', {
    schema: { tags: ['cases'], summary: '案件列表（读模型；筛选、游标分页；绿色通道优先，其次按期限；assignee=me 为本人经办；服务对象电话默认脱敏）', querystring: listQuery, response: { 200: caseList, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const conds: SQL[] = [];
    const scope = scopeWhere(user, cases.county, cases.department);
    if (scope) conds.push(scope);
    if (q.county) conds.push(eq(cases.county, q.county));
    if (q.department) conds.push(eq(cases.department, q.department));
    if (q.item) conds.push(eq(cases.itemCode, q.item));
    if (q.action) conds.push(eq(cases.actionCode, q.action));
    if (q.status) conds.push(eq(cases.status, q.status));
    if (q.step) conds.push(eq(cases.step, q.step));
    if (q.assignee) conds.push(eq(cases.assignee, q.assignee === 'me' ? user.id : q.assignee));
    if (q.overdue !== undefined) conds.push(eq(cases.overdue, q.overdue));
    if (q.greenChannel !== undefined) conds.push(eq(cases.greenChannel, q.greenChannel));
    if (q.subjectId) conds.push(eq(cases.subjectId, q.subjectId));
    const orderKey = sql`((not ${cases.greenChannel}), coalesce(${cases.dueAt}, 'infinity'::timestamptz), ${cases.id})`;
    if (q.cursor) {
      // The keyset of the list order: green channel first, then due time (none last), then id.
      const [green, dueAt, id] = decodeCursor(q.cursor, ['bool', 'instantOrNull', 'key']);
      const due = dueAt === null ? sql`'infinity'::timestamptz` : sql`${dueAt.toISOString()}::timestamptz`;
      conds.push(sql`${orderKey} > (${!green}, ${due}, ${id})`);
    }
    const rows = await deps.db.select({ c: cases, s: subjectContactColumns }).from(cases)
      .leftJoin(subjects, eq(subjects.id, cases.subjectId))
      .where(conds.length > 0 ? and(...conds) : undefined)
      .orderBy(sql`(not ${cases.greenChannel})`, sql`coalesce(${cases.dueAt}, 'infinity'::timestamptz)`, cases.id)
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1)?.c;
    const shown = [...new Set(page.flatMap((r) => (r.s?.id ? [r.s.id] : [])))];
    const unmasked = shown.length > 0 && await revealPersonalData(deps.db, request, user, shown.length === 1 ? { type: 'subjects', id: shown[0] } : { type: 'subjects', ids: shown });
    return {
      items: page.map((r) => presentCaseRow(r.c, r.s?.id ? presentSubjectContact(r.s, unmasked) : null)),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.greenChannel, last.dueAt, last.id]) : null,
    };
  });

  r.get('/cases/:id', {
    schema: { tags: ['cases'], summary: '查看案件（工作流状态与读模型）', params: caseParams, response: { 200: caseView, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const { row, state } = await loadCase(user, request.params.id);
    return presentCase(state, row, user);
  });

  r.get('/cases/:id/assignees', {
    schema: {
      tags: ['cases'], summary: '可分派的工作人员：本县（市）区本部门在职的上门工作人员和协调员，及其在办案件数', params: caseParams,
      response: { 200: assigneeList, ...problemResponses },
    },
    preHandler: rolesOf('assign'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    // Candidates by role, then the one rule the assign step checks (mayBeAssigned).
    const candidates = (await deps.db.select().from(users).where(and(eq(users.disabled, false), inArray(users.role, [...ASSIGNEE_ROLES]))))
      .filter((u) => mayBeAssigned(u, state.input));
    const open = candidates.length === 0 ? [] : await deps.db.select({ assignee: cases.assignee, n: sql<number>`count(*)::int` }).from(cases)
      .where(and(eq(cases.status, 'open'), inArray(cases.assignee, candidates.map((u) => u.id))))
      .groupBy(cases.assignee);
    const openOf = new Map(open.map((o) => [o.assignee, Number(o.n)]));
    const items = candidates.map((u) => ({
      id: u.id, username: u.username, displayName: u.displayName, role: { code: u.role, label: ROLE_LABELS[u.role] },
      open: openOf.get(u.id) ?? 0, current: u.id === state.assignee,
    }));
    // Workers first, the least loaded first.
    items.sort((a, b) => Number(a.role.code !== 'worker') - Number(b.role.code !== 'worker') || a.open - b.open || a.displayName.localeCompare(b.displayName, 'zh-CN'));
    return { items };
  });

  // ---- the steps ----

  r.post('/cases/:id/assign', {
    schema: stepSchema('分派或改派工作人员（部门负责人）', assignBody),
    preHandler: rolesOf('assign'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    const [assignee] = await deps.db.select().from(users).where(eq(users.id, request.body.assignee)).limit(1);
    if (!assignee || !mayBeAssigned(assignee, state.input)) {
      throw badRequest('工作人员无效', [{ path: 'body.assignee', message: '须为本县（市）区本部门在职的上门工作人员或协调员' }]);
    }
    return step(request, state, 'assign', assignUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/schedule-visit', {
    schema: stepSchema('预约（或改约）上门时间', scheduleVisitBody),
    preHandler: rolesOf('schedule_visit'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    forbiddenUnlessAssignee(user, 'schedule_visit', state);
    return step(request, state, 'schedule_visit', scheduleVisitUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/visit-report', {
    schema: stepSchema('登记上门结果：已办理（附佐证材料）、无人在家或拒绝办理', visitReportBody),
    preHandler: rolesOf('visit_report'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    forbiddenUnlessAssignee(user, 'visit_report', state);
    const body = request.body;
    await checkEvidence(state.input.caseId, body.evidence, 'evidence');
    return step(request, state, 'visit_report', visitReportUpdate, { actor: user.id, ...body });
  });

  r.post('/cases/:id/review', {
    schema: stepSchema('审核：通过、容缺受理（后补材料）、退回补充材料或不予办理', reviewBody),
    preHandler: rolesOf('review'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    return step(request, state, 'review', reviewUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/supplement', {
    schema: stepSchema('登记补交的容缺材料', supplementBody),
    preHandler: rolesOf('supplement'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    forbiddenUnlessAssignee(user, 'supplement', state);
    await checkEvidence(state.input.caseId, request.body.evidence ?? [], 'evidence');
    return step(request, state, 'supplement', supplementUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/deliver', {
    schema: stepSchema('登记送达：电子证照、邮寄、快递（附单号）或当面送达', deliverBody),
    preHandler: rolesOf('deliver'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    forbiddenUnlessAssignee(user, 'deliver', state);
    return step(request, state, 'deliver', deliverUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/confirm-receipt', {
    schema: stepSchema('确认签收', confirmReceiptBody),
    preHandler: rolesOf('confirm_receipt'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    forbiddenUnlessAssignee(user, 'confirm_receipt', state);
    return step(request, state, 'confirm_receipt', confirmReceiptUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/cancel', {
    schema: stepSchema('撤销案件（迁出、死亡、本人放弃或其他原因）', cancelBody),
    preHandler: rolesOf('cancel'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    return step(request, state, 'cancel', cancelCaseUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/hold', {
    schema: stepSchema('暂停案件（期限停止计算）', holdBody),
    preHandler: rolesOf('hold'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    return step(request, state, 'hold', holdUpdate, { actor: user.id, ...request.body });
  });

  r.post('/cases/:id/resume', {
    schema: stepSchema('恢复案件（期限顺延暂停的工作时间）', emptyBody),
    preHandler: rolesOf('resume'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    return step(request, state, 'resume', resumeUpdate, { actor: user.id });
  });

  r.post('/cases/:id/green-channel', {
    schema: stepSchema('开启绿色通道（缩短期限、优先办理）', emptyBody),
    preHandler: rolesOf('green_channel'),
  }, async (request) => {
    const user = currentUser(request);
    const state = await loadForStep(user, request.params.id);
    return step(request, state, 'green_channel', greenChannelUpdate, { actor: user.id });
  });

  // ---- evidence ----
  r.post('/cases/:id/evidence', {
    schema: {
      tags: ['cases'], summary: '上传佐证材料（multipart/form-data，字段 file；照片、录像、PDF）', params: caseParams, consumes: ['multipart/form-data'],
      response: { 201: storedEvidence, ...problemResponses },
    },
    preHandler: rolesOf('upload_evidence'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const { state } = await loadCase(user, request.params.id);
    const refusal = actionRefusal(user, 'upload_evidence', state);
    if (refusal) throw refusal.status === 403 ? forbidden(refusal.reason) : conflict(refusal.reason);
    if (!request.isMultipart()) throw badRequest('须以 multipart/form-data 上传', [{ path: 'body.file', message: '须以 multipart/form-data 上传文件' }]);
    let file;
    try {
      file = await request.file();
    } catch (e) {
      throw uploadProblem(e, deps.config.UPLOAD_LIMIT_BYTES);
    }
    if (!file) throw badRequest('缺少文件', [{ path: 'body.file', message: '缺少文件' }]);
    try {
      const stored = await storeEvidence(store, { caseId: state.input.caseId, uploadedBy: user.id, contentType: file.mimetype, stream: file.file });
      return reply.status(201).header('location', `/v1/cases/${state.input.caseId}/evidence/${stored.sha256}`).send(stored);
    } catch (e) {
      throw uploadProblem(e, deps.config.UPLOAD_LIMIT_BYTES);
    }
  });

  r.get('/cases/:id/evidence/:sha256', {
    schema: {
      tags: ['cases'], summary: '查看佐证材料（在页面中显示；?download=true 下载为附件）', params: caseParams.extend({ sha256: z.string().min(1).max(64) }),
      querystring: z.object({ download: z.enum(['true', 'false']).optional() }).strict(),
      response: { 200: fileResponse('佐证材料文件（上传时的类型）', Object.keys(EVIDENCE_TYPES)), ...problemResponses },
    },
  }, async (request, reply) => {
    const user = currentUser(request);
    const { state } = await loadCase(user, request.params.id);
    const found = await openEvidence(store, state.input.caseId, request.params.sha256);
    if (found === 'missing') {
      request.log.error({ caseId: state.input.caseId, sha256: request.params.sha256, store: store.storage.kind }, 'evidence file recorded but not in the store');
      throw new HttpProblem(404, '未找到 Not Found', '佐证材料的文件不在存储中（已登记但文件缺失），请联系运维人员');
    }
    if (!found) throw notFound('佐证材料');
    // Photos and videos of a person at home are personal data: every download is audited.
    await audit(deps.db, {
      user, action: 'evidence.download', resourceType: 'cases', resourceId: state.input.caseId, ip: request.ip, detail: { sha256: found.sha256 },
    });
    return reply
      .header('content-type', found.contentType)
      .header('content-length', String(found.size))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      // Shown in the page (the console's image, video and PDF viewer: only these types are accepted, sniffed
      // at upload, and sent with nosniff and the CSP), or saved as a file when asked.
      .header('content-disposition', `${request.query.download === 'true' ? 'attachment' : 'inline'}; filename="${found.sha256}"`)
      .send(found.stream);
  });
}

/** An upload failure as a problem: too large is 413, a refused type 415, anything else the client sent 400. */
function uploadProblem(e: unknown, limit: number): unknown {
  if (e instanceof EvidenceRejected) {
    if (e.reason === 'too_large') return new HttpProblem(413, '文件过大 Payload Too Large', e.message);
    if (e.reason === 'type_not_allowed' || e.reason === 'content_mismatch') return new HttpProblem(415, '不支持的文件类型 Unsupported Media Type', e.message);
    return badRequest(e.message, [{ path: 'body.file', message: e.message }]);
  }
  const code = (e as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpProblem(413, '文件过大 Payload Too Large', `文件超过大小上限 ${limit} 字节`);
  if (typeof code === 'string' && code.startsWith('FST_')) return badRequest((e as Error).message, [{ path: 'body.file', message: (e as Error).message }]);
  return e;
}
