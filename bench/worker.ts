/**
 * The bench's worker process: bin/worker's worker with the bench's workflow bundle (the production
 * workflows plus B2's no-op reference). Prints "bench worker ready" once it polls.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { dataConverter } from '../temporal/dataConverter';

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) throw new Error('bench/worker needs DATABASE_URL and TEMPORAL_ADDRESS');
const db = createDb(config.DATABASE_URL);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  activities: createActivities({ db }),
  dataConverter: dataConverter(config.PAYLOAD_KEYS),
  workflowsPath: new URL('./workflows/index.ts', import.meta.url).pathname,
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
console.log('bench worker ready');
await worker.run();
await connection.close();
await closeDb(db);
