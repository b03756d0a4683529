/** The Temporal worker: runs the workflows and the activities (projection into PostgreSQL). */
import { createActivities } from '../activities';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createLogger } from '../logger';
import { createWorker } from '../temporal/client';
import { ensureSchedulesAt } from '../temporal/schedules';
import { installTemporalRuntime, startTracing } from '../temporal/telemetry';

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for bin/worker (bin/dev provides one).');
if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for bin/worker (bin/dev provides one).');
// Before any connection: the SDK's logger and its Prometheus exporter belong to the runtime.
const metricsAddress = config.TEMPORAL_METRICS_PORT > 0 ? `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}` : undefined;
installTemporalRuntime({ logger, metricsAddress });
const tracing = await startTracing({ serviceName: 'doorstep-worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
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
logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, target: config.TEMPORAL_ADDRESS, metrics: metricsAddress }, 'worker polling');
await worker.run();
await connection.close();
await closeDb(db);
await tracing?.shutdown();
