/** The Temporal worker: runs the workflows and the activities (projection into PostgreSQL). */
import { createActivities } from '../activities';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createWorker } from '../temporal/client';
import { ensureSchedulesAt } from '../temporal/schedules';

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for bin/worker (bin/dev provides one).');
if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for bin/worker (bin/dev provides one).');
await runMigrations(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
const { worker, connection } = await createWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  payloadKeys: config.PAYLOAD_KEYS,
  activities: createActivities({ db }),
});
await ensureSchedulesAt({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys: config.PAYLOAD_KEYS }, config.TEMPORAL_TASK_QUEUE);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
console.log(`worker polling task queue ${config.TEMPORAL_TASK_QUEUE} at ${config.TEMPORAL_ADDRESS}`);
await worker.run();
await connection.close();
await closeDb(db);
