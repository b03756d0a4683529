/** Test helpers over the run's shared environment (see test/globalSetup.ts). */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type Activities } from '../../activities';
import { buildApp } from '../../api/app';
import { loadConfig, type Config } from '../../config';
import { createDb, type Db } from '../../db/client';
import { dataConverter } from '../../temporal/dataConverter';
import { workerTelemetryOptions } from '../../temporal/telemetry';
import { createDatabase } from './database';

/**
 * A database of a test file's own on the run's server (migrated; `drop` removes it), for tests whose
 * requests touch data of any scope — fuzzers acting as admin or city-level coordinator.
 */
export function ownDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createDatabase(inject('databaseUrl'), 'doorstep_own');
}

/** A pool on the run's database. */
export function testDb(): Db {
  return createDb(inject('databaseUrl'), { max: 4 });
}

/** The time-skipping server of this test worker (one per worker, so skipped time never leaks across files). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const addresses = inject('timeSkippingAddresses');
  const poolId = Number(process.env.VITEST_POOL_ID ?? '1');
  const address = addresses[(poolId - 1) % addresses.length];
  // createTimeSkipping() would spawn its own server; connect to the one started for this worker instead.
  const create = (TestWorkflowEnvironment as unknown as { create: (o: unknown) => Promise<TestWorkflowEnvironment> }).create;
  return create.call(TestWorkflowEnvironment, { supportsTimeSkipping: true, server: { type: 'existing' }, address, namespace: 'default' });
}

/** A worker on a fresh task queue, with the run's prebuilt workflow bundle. */
export async function testWorker(connection: NativeConnection, activities: Partial<Activities>, opts: { taskQueue?: string; namespace?: string; payloadKeys?: string } = {}) {
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue,
    activities,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    dataConverter: dataConverter(opts.payloadKeys),
    ...workerTelemetryOptions(),
  });
  return { worker, taskQueue };
}

export interface TestStack {
  app: Awaited<ReturnType<typeof buildApp>>;
  db: Db;
  client: Client;
  worker: Worker;
  config: Config;
  close: () => Promise<void>;
}

/** The whole stack against the dev server and PostgreSQL: API, a worker on its own task queue, real activities (or some replaced). */
export async function startStack(overrides: Partial<Config> = {}, activityOverrides: Partial<Activities> = {}): Promise<TestStack> {
  // Overrides may point at another Temporal server and task queue (a restored one).
  const address = overrides.TEMPORAL_ADDRESS ?? inject('devServerAddress');
  // A DATABASE_URL override (e.g. through a proxy that can cut the connection) is used by the API and the activities.
  const db = overrides.DATABASE_URL ? createDb(overrides.DATABASE_URL, { max: 4 }) : testDb();
  const taskQueue = overrides.TEMPORAL_TASK_QUEUE ?? `it-${randomUUID()}`;
  const config = { ...loadConfig({}), DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, ...overrides };
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter(config.PAYLOAD_KEYS) });
  const { worker } = await testWorker(nativeConnection, { ...createActivities({ db, temporal: client }), ...activityOverrides }, { taskQueue, payloadKeys: config.PAYLOAD_KEYS });
  const running = worker.run();
  const app = await buildApp({ db, temporal: client, config });
  return {
    app, db, client, worker, config,
    close: async () => {
      await app.close();
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.$client.end({ timeout: 5 });
    },
  };
}
