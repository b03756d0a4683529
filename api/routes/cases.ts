/** /v1/cases: open a case (starts its workflow), read one (workflow query + read model). */
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { cases } from '../../db/schema';
import { caseWorkflowId, getCaseStateQuery, type CaseState } from '../../workflows/contract';
import type { AppDeps } from '../app';
import { currentUser, inScope, requireRole, type AuthUser } from '../auth';
import { presentCase } from '../presenters/case';
import { readIdempotencyKey } from '../idempotency';
import { openCase } from '../services/openCase';
import { notFound } from '../problem';

export const createCaseBody = z.object({
  subjectId: z.string().min(1).max(64),
  itemCode: z.string().min(1).max(64),
  actionCode: z.string().min(1).max(64),
  greenChannel: z.boolean().default(false),
  notes: z.string().max(2000).optional(),
}).strict();

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
    const key = readIdempotencyKey(request.headers);
    const { created, state } = await openCase(
      { db: deps.db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now },
      user, request.body, key,
    );
    return reply.status(created ? 201 : 200).header('location', `/v1/cases/${state.input.caseId}`).send(presentCase(state, undefined, user));
  });

  r.get('/cases/:id', {
    schema: { tags: ['cases'], summary: '查看案件（工作流状态与读模型）', params: z.object({ id: z.string().min(1).max(64) }) },
  }, async (request) => {
    const user = currentUser(request);
    const { row, state } = await loadCase(user, request.params.id);
    return presentCase(state, row, user);
  });
}
