/**
 * The Temporal worker: runs the workflows and the activities (projection into PostgreSQL). On
 * SIGINT/SIGTERM it stops polling, lets running tasks finish, then closes, within SHUTDOWN_TIMEOUT_MS.
 */
import { createActivities } from '../activities';
import { workerMetrics } from '../activities/projectionLag';
import { buildMetricsServer } from '../api/metrics';
import { loadConfig, notifyConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createLogger } from '../logger';
import { connectClient, createWorker } from '../temporal/client';
import { ensureSchedulesAt } from '../temporal/schedules';
import { installTemporalRuntime, startTracing } from '../temporal/telemetry';
import { installShutdown } from './shutdown';

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for bin/worker (bin/dev provides one).');
if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for bin/worker (bin/dev provides one).');
// Before any connection: the SDK's logger and its Prometheus exporter belong to the runtime.
const metricsAddress = config.TEMPORAL_METRICS_PORT > 0 ? `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}` : undefined;
// The runtime installs no signal handlers of its own: bin/shutdown.ts drains in order.
installTemporalRuntime({ logger, metricsAddress, shutdownSignals: [] });
const tracing = await startTracing({ serviceName: 'doorstep-worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
await runMigrations(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
// The nightly reconciliation reads workflows' own state through a client of its own.
const temporal = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys: config.PAYLOAD_KEYS });
const { worker, connection } = await createWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  payloadKeys: config.PAYLOAD_KEYS,
  activities: createActivities({ db, temporal, notify: notifyConfig(config) }),
  // Running activities get most of the bound to finish before they are cancelled.
  shutdownGraceTime: Math.floor(config.SHUTDOWN_TIMEOUT_MS * 0.8),
});
await ensureSchedulesAt({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys: config.PAYLOAD_KEYS }, config.TEMPORAL_TASK_QUEUE);
// The worker's own metrics (projection lag) on METRICS_PORT, beside the SDK's on TEMPORAL_METRICS_PORT.
const ownMetrics = config.METRICS_PORT > 0 ? await buildMetricsServer(workerMetrics) : undefined;
await ownMetrics?.listen({ host: config.METRICS_HOST, port: config.METRICS_PORT });
logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, target: config.TEMPORAL_ADDRESS, metrics: metricsAddress }, 'worker polling');
const running = worker.run();
const shutdown = installShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  stop: async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await ownMetrics?.close();
    await connection.close();
    await temporal.connection.close();
    await closeDb(db);
    await tracing?.shutdown();
  },
});
// A worker that stops on its own (a fatal error) takes the process down with it, non-zero.
running.then(() => undefined, (err: unknown) => {
  logger.fatal({ err }, 'worker failed');
  void shutdown(1);
});
