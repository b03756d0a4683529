/** The Temporal client and worker connections, with the project's data converter. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
// Types only at load time: the worker package (and its native core) is loaded when a worker is created,
// not by every process that imports this file (the API, through the schedules, never needs it).
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import { TASK_QUEUE } from '../workflows/contract';
import { dataConverter } from './dataConverter';
import { clientInterceptors, tracingActive, workerTelemetryOptions } from './telemetry';

export interface TemporalTarget { address: string; namespace: string; payloadKeys?: string }

/** Connects a workflow client. */
export async function connectClient(t: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: t.address });
  return new Client({ connection, namespace: t.namespace, dataConverter: dataConverter(t.payloadKeys), interceptors: clientInterceptors() });
}

export const workflowsPath = new URL('../workflows/index.ts', import.meta.url).pathname;

/**
 * The workflow bundles `npm run build` writes beside the compiled code (dist/): one plain, one with the
 * OpenTelemetry workflow interceptors bundled in (a prebuilt bundle cannot take interceptor modules at
 * run time). Run from source there are none, and the worker bundles workflows/ itself.
 */
export const PREBUILT_BUNDLES = {
  plain: fileURLToPath(new URL('../workflows.bundle.js', import.meta.url)),
  traced: fileURLToPath(new URL('../workflows-traced.bundle.js', import.meta.url)),
};

/** The prebuilt bundle for this process (traced while tracing is on), when the build wrote it. */
export function prebuiltWorkflowBundle(): WorkerOptions['workflowBundle'] | undefined {
  const codePath = tracingActive() ? PREBUILT_BUNDLES.traced : PREBUILT_BUNDLES.plain;
  return existsSync(codePath) ? { codePath } : undefined;
}

/**
 * Creates a worker for the doorstep task queue: with `workflowBundle` if given (tests bundle once), else
 * the build's prebuilt bundle when there is one, else bundling workflows/ from source.
 * `shutdownGraceTime` is how long in-flight activities may go on after shutdown() before they are cancelled.
 */
export async function createWorker(
  t: TemporalTarget & { taskQueue?: string; activities: Activities; workflowBundle?: WorkerOptions['workflowBundle']; connection?: NativeConnection; shutdownGraceTime?: WorkerOptions['shutdownGraceTime'] },
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const connection = t.connection ?? (await NativeConnection.connect({ address: t.address }));
  const workflowBundle = t.workflowBundle ?? prebuiltWorkflowBundle();
  const telemetry = workerTelemetryOptions();
  // A bundle already holds its interceptor modules (the SDK would only warn that it ignores them).
  if (workflowBundle && telemetry.interceptors) delete telemetry.interceptors.workflowModules;
  const worker = await Worker.create({
    connection,
    namespace: t.namespace,
    taskQueue: t.taskQueue ?? TASK_QUEUE,
    activities: t.activities,
    dataConverter: dataConverter(t.payloadKeys),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    ...(t.shutdownGraceTime !== undefined ? { shutdownGraceTime: t.shutdownGraceTime } : {}),
    ...telemetry,
  });
  return { worker, connection };
}
