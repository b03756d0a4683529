/** Liveness and readiness: /healthz says the process is up, /readyz that Temporal and PostgreSQL answer. */
import type { FastifyInstance } from 'fastify';
import { pingDb } from '../../db/client';
import type { AppDeps } from '../types';
import { liveness, readiness } from '../schemas/health';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true, response: { 200: liveness } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true, response: { 200: readiness, 503: readiness.describe('PostgreSQL 或 Temporal 未就绪') } } }, async (_request, reply) => {
    const [postgres, temporal] = await Promise.all([
      pingDb(deps.db),
      deps.temporal.workflowService.getSystemInfo({}).then(() => true, () => false),
    ]);
    const ready = postgres && temporal;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { postgres, temporal } });
  });
}
