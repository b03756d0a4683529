/** /v1/cases: open a case (starts its workflow), read one (workflow query + read model), list them. */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { CATALOG_VERSION, findAction } from '../../domain/catalog';
import { cases, subjects } from '../../db/schema';
import { caseWorkflowId, getCaseStateQuery, SA, TASK_QUEUE, type CaseInput, type CaseState } from '../../workflows/contract';
import type { AppDeps } from '../app';
import { currentUser, inScope, requireRole, type AuthUser } from '../auth';
import { presentCase } from '../presenters/case';
import { badRequest, conflict, notFound } from '../problem';

export const createCaseBody = z.object({
  subjectId: z.string().min(1).max(64),
  itemCode: z.string().min(1).max(64),
  actionCode: z.string().min(1).max(64),
  greenChannel: z.boolean().default(false),
  notes: z.string().max(2000).optional(),
}).strict();

const idempotencyKey = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** The case id for a request: derived from the Idempotency-Key (so a retry maps to the same workflow) or fresh. */
export function caseIdFor(userId: string, key: string | undefined): string {
  if (!key) return randomUUID();
  const h = createHash('sha256').update(`case:${userId}:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** sha256 of a canonical JSON body: tells a retried request from a reused key. */
export const requestHash = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** Reads the Idempotency-Key header, validated. */
export function readIdempotencyKey(headers: Record<string, unknown>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = idempotencyKey.safeParse(raw);
  if (!parsed.success) throw badRequest('Idempotency-Key 无效', [{ path: 'headers.idempotency-key', message: parsed.error.issues[0].message }]);
  return parsed.data;
}

export async function caseRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  /** Loads a case the user may see: the read model row and the workflow's own state. */
  async function loadCase(user: AuthUser, id: string): Promise<{ row?: typeof cases.$inferSelect; state: CaseState }> {
    const [row] = await deps.db.select().from(cases).where(eq(cases.id, id)).limit(1);
    let state: CaseState;
    try {
      state = await deps.temporal.workflow.getHandle(caseWorkflowId(id)).query(getCaseStateQuery);
    } catch (e) {
      if (e instanceof WorkflowNotFoundError || (e as Error).name === 'WorkflowNotFoundError') throw notFound('案件');
      if (!row) throw e;
      state = row.state as unknown as CaseState;
    }
    if (!inScope(user, state.input.county, state.input.department)) throw notFound('案件');
    return { row, state };
  }

  r.post('/cases', {
    schema: { tags: ['cases'], summary: '开案：为服务对象的一项服务需求启动案件', body: createCaseBody },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const body = request.body;
    const key = readIdempotencyKey(request.headers);
    const found = findAction(body.itemCode, body.actionCode);
    if (!found) {
      throw badRequest('服务事项或办理事项不存在', [{ path: 'body.actionCode', message: `${body.itemCode}/${body.actionCode} 不在服务目录中` }]);
    }
    if (found.item.ongoing) {
      throw badRequest('持续性服务事项请通过服务计划办理', [{ path: 'body.itemCode', message: `${body.itemCode} 是持续性服务，请使用 /v1/plans` }]);
    }
    const [subject] = await deps.db.select().from(subjects).where(eq(subjects.id, body.subjectId)).limit(1);
    if (!subject || !inScope(user, subject.county)) {
      throw badRequest('服务对象不存在', [{ path: 'body.subjectId', message: '服务对象不存在或不在您的权限范围内' }]);
    }
    const department = found.action.implementing;
    const caseId = caseIdFor(user.id, key);
    const hash = requestHash(body);
    const input: CaseInput = {
      caseId,
      subjectId: subject.id,
      itemCode: found.item.code,
      actionCode: found.action.code,
      county: subject.county,
      department,
      catalogVersion: CATALOG_VERSION,
      greenChannel: body.greenChannel,
      openedAt: deps.now().toISOString(),
      openedBy: user.id,
      requestHash: hash,
      notes: body.notes,
    };
    try {
      await deps.temporal.workflow.start('serviceCase', {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE ?? TASK_QUEUE,
        workflowId: caseWorkflowId(caseId),
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SA.county, value: input.county },
          { key: SA.department, value: input.department },
          { key: SA.item, value: input.itemCode },
          { key: SA.step, value: 'assignment' },
          { key: SA.greenChannel, value: input.greenChannel },
          { key: SA.overdue, value: false },
        ],
      });
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      const existing = await deps.temporal.workflow.getHandle(caseWorkflowId(caseId)).query(getCaseStateQuery);
      if (existing.input.requestHash !== hash) {
        throw conflict('该 Idempotency-Key 已用于另一请求 This Idempotency-Key was used for a different request', { caseId });
      }
      return reply.status(200).header('location', `/v1/cases/${caseId}`).send(presentCase(existing, undefined, user));
    }
    const state = await deps.temporal.workflow.getHandle(caseWorkflowId(caseId)).query(getCaseStateQuery).catch(() => undefined);
    return reply
      .status(201)
      .header('location', `/v1/cases/${caseId}`)
      .send(presentCase(state ?? { input, status: 'open', step: 'assignment', greenChannel: input.greenChannel, onHold: false, overdue: false, escalationLevel: 0, events: [] }, undefined, user));
  });

  r.get('/cases/:id', {
    schema: { tags: ['cases'], summary: '查看案件（工作流状态与读模型）', params: z.object({ id: z.string().min(1).max(64) }) },
  }, async (request) => {
    const user = currentUser(request);
    const { row, state } = await loadCase(user, request.params.id);
    return presentCase(state, row, user);
  });
}
