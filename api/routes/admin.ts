/**
 * Bad states made visible to admins (beside GET /v1/supervision/failing for failing workflows):
 * - GET /admin/reconciliation — the latest reconciliation runs (nightly Schedule, or `npm run admin --
 *   reconcile`) and the differences the latest found between the read model and the workflows (a
 *   projection lagging behind shows here as a row or events the workflow has and the read model lacks);
 * - GET /admin/schedules — each Temporal Schedule: last and next run, and why it did not run as it should.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findingsOf, latestRuns } from '../../db/queries/reconciliation';
import type { AppDeps } from '../types';
import { currentUser, inScope, requireRole } from '../auth';
import { countyL, departmentL } from '../export/labels';
import { problemResponses } from '../schemas/common';
import { reconciliationView, scheduleList } from '../schemas/admin';
import { scheduleHealth } from '../services/scheduleHealth';

export async function adminRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/reconciliation', {
    schema: {
      tags: ['admin'], summary: '对账结果：读模型与工作流状态的差异（最近几次运行，及最近一次的差异明细）',
      querystring: z.object({ runs: z.coerce.number().int().min(1).max(100).default(10), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: { 200: reconciliationView, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request) => {
    const user = currentUser(request);
    const runs = await latestRuns(deps.db, request.query.runs);
    const latest = runs[0] ? await findingsOf(deps.db, [runs[0].id], 5000) : [];
    // A finding with no known scope (its case is gone from the read model) is shown to city-level admins.
    const visible = latest.filter((f) => (f.county && f.department ? inScope(user, f.county, f.department) : user.cityLevel)).slice(0, request.query.limit);
    return {
      asOf: deps.now().toISOString(),
      runs: runs.map((x) => ({ ...x, startedAt: x.startedAt.toISOString(), finishedAt: x.finishedAt?.toISOString() ?? null })),
      findings: visible.map((f) => ({
        runId: f.runId, kind: f.kind, id: f.entityId, county: f.county ? countyL(f.county) : null, department: f.department ? departmentL(f.department) : null,
        field: f.field, readModel: f.readModel, workflow: f.workflow, repaired: f.repaired, foundAt: f.foundAt.toISOString(),
      })),
    };
  });

  r.get('/admin/schedules', {
    schema: {
      tags: ['admin'], summary: '计划任务运行情况：上次、下次运行时间，未按时运行、已暂停、上次失败等问题',
      response: { 200: scheduleList, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async () => {
    const now = deps.now();
    return { asOf: now.toISOString(), items: await scheduleHealth(deps.temporal, now) };
  });
}
