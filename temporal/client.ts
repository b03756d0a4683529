/** The Temporal client and worker connections, with the project's data converter. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import { TASK_QUEUE } from '../workflows/contract';
import { dataConverter } from './dataConverter';
import { clientInterceptors, workerTelemetryOptions } from './telemetry';

export interface TemporalTarget { address: string; namespace: string; payloadKeys?: string }

/** Connects a workflow client. */
export async function connectClient(t: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: t.address });
  return new Client({ connection, namespace: t.namespace, dataConverter: dataConverter(t.payloadKeys), interceptors: clientInterceptors() });
}

export const workflowsPath = new URL('../workflows/index.ts', import.meta.url).pathname;

/** Creates a worker for the doorstep task queue. Pass `workflowBundle` to skip bundling (tests bundle once). */
export async function createWorker(
  t: TemporalTarget & { taskQueue?: string; activities: Activities; workflowBundle?: WorkerOptions['workflowBundle']; connection?: NativeConnection },
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = t.connection ?? (await NativeConnection.connect({ address: t.address }));
  const worker = await Worker.create({
    connection,
    namespace: t.namespace,
    taskQueue: t.taskQueue ?? TASK_QUEUE,
    activities: t.activities,
    dataConverter: dataConverter(t.payloadKeys),
    ...(t.workflowBundle ? { workflowBundle: t.workflowBundle } : { workflowsPath }),
    ...workerTelemetryOptions(),
  });
  return { worker, connection };
}
