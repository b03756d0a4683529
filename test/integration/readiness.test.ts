/** /readyz reports whether a worker polls the task queue: a stopped worker shows as 503, naming the part. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import type { Db } from '../../db/client';
import { eventually } from '../support/eventually';
import { testDb, testWorker } from '../support/env';

let db: Db;
let connection: Connection;
let nativeConnection: NativeConnection;
beforeAll(async () => {
  db = testDb();
  connection = await Connection.connect({ address: inject('devServerAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('devServerAddress') });
});
afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
  await db?.$client.end({ timeout: 5 });
});

/** The API on a task queue of its own; a poller counts as alive for 3 s here (90 s by default). */
async function apiOn(taskQueue: string) {
  const config = { ...loadConfig({}), DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue, READY_POLLER_MAX_AGE_MS: 3_000 };
  return buildApp({ db, temporal: new Client({ connection, namespace: 'default' }), config });
}

describe('/readyz and the worker', () => {
  it('is 503 while no worker has ever polled the task queue, naming both task types', async () => {
    const app = await apiOn(`nobody-${randomUUID()}`);
    try {
      const res = await app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready', checks: { postgres: true, temporal: true, workflowWorker: false, activityWorker: false } });
    } finally {
      await app.close();
    }
  });

  it('is ready while a worker polls, and 503 again once that worker has stopped', async () => {
    const { worker, taskQueue } = await testWorker(nativeConnection, createActivities({ db }));
    const app = await apiOn(taskQueue);
    const running = worker.run();
    try {
      const ready = await eventually(async () => { const r = await app.inject('/readyz'); return r.statusCode === 200 && r; }, 10_000);
      expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: true, temporal: true, workflowWorker: true, activityWorker: true } });
      worker.shutdown();
      await running;
      // Each task type goes stale on its own once its last poll is older than the bound.
      const stale = await eventually(async () => {
        const r = await app.inject('/readyz');
        return r.statusCode === 503 && !r.json().checks.workflowWorker && !r.json().checks.activityWorker && r;
      }, 15_000, 250);
      expect(stale.json()).toEqual({ status: 'not ready', checks: { postgres: true, temporal: true, workflowWorker: false, activityWorker: false } });
    } finally {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await app.close();
    }
  });
});
