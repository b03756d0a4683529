/**
 * Liveness and readiness: /healthz says the process is up; /readyz that PostgreSQL and Temporal answer
 * and that a worker polls the task queue, for workflow tasks and for activity tasks (DescribeTaskQueue),
 * so a dead worker shows here (503, with the part that is not ready) and not only as cases that stall.
 */
import type { FastifyInstance } from 'fastify';
import protos from '@temporalio/proto';
import { pingDb } from '../../db/client';
import type { AppDeps } from '../types';
import { liveness, readiness } from '../schemas/health';

// The package is CommonJS: its default export, as Node's ES module loader can read it.
const { TaskQueueType } = protos.temporal.api.enums.v1;

/** A protobuf Timestamp in milliseconds since the epoch. */
const timestampMs = (t: { seconds?: { toString(): string } | number | null; nanos?: number | null }) => Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true, response: { 200: liveness } } }, async () => ({ status: 'ok' }));

  /** Whether some worker polled the task queue for this type of task within READY_POLLER_MAX_AGE_MS. */
  const polled = async (taskQueueType: protos.temporal.api.enums.v1.TaskQueueType): Promise<boolean> => {
    const { pollers } = await deps.temporal.workflowService.describeTaskQueue({
      namespace: deps.config.TEMPORAL_NAMESPACE,
      taskQueue: { name: deps.config.TEMPORAL_TASK_QUEUE },
      taskQueueType,
    });
    const now = Date.now();
    return (pollers ?? []).some((p) => p.lastAccessTime && now - timestampMs(p.lastAccessTime) <= deps.config.READY_POLLER_MAX_AGE_MS);
  };

  app.get('/readyz', { schema: { hide: true, response: { 200: readiness, 503: readiness.describe('PostgreSQL、Temporal 或 worker 未就绪') } } }, async (_request, reply) => {
    const [postgres, temporal, workflowWorker, activityWorker] = await Promise.all([
      pingDb(deps.db),
      deps.temporal.workflowService.getSystemInfo({}).then(() => true, () => false),
      polled(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW).catch(() => false),
      polled(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY).catch(() => false),
    ]);
    const checks = { postgres, temporal, workflowWorker, activityWorker };
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
