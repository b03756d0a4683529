/**
 * The HTTP API process: builds the app and listens (and /metrics on its own address). On SIGINT/SIGTERM
 * it stops accepting, lets in-flight requests finish, then closes its connections, all within
 * SHUTDOWN_TIMEOUT_MS (bin/shutdown.ts).
 */
import { buildApp } from '../api/app';
import { buildMetricsServer } from '../api/metrics';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createLogger } from '../logger';
import { connectClient } from '../temporal/client';
import { startTracing } from '../temporal/telemetry';
import { installShutdown } from './shutdown';

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'api' });
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for bin/api (bin/dev provides one).');
if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for bin/api (bin/dev provides one).');
const tracing = await startTracing({ serviceName: 'doorstep-api', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
await runMigrations(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
const temporal = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys: config.PAYLOAD_KEYS });
const app = await buildApp({ db, temporal, config, logger });
await app.listen({ host: config.API_HOST, port: config.API_PORT });
const metrics = config.METRICS_PORT > 0 ? await buildMetricsServer(app.metrics) : undefined;
await metrics?.listen({ host: config.METRICS_HOST, port: config.METRICS_PORT });
if (metrics) logger.info({ address: `${config.METRICS_HOST}:${config.METRICS_PORT}` }, 'metrics listening');
installShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  stop: async () => {
    // Fastify: the listener closes (new connections refused), idle keep-alive sockets end, in-flight requests finish.
    await app.close();
    await metrics?.close();
    await temporal.connection.close();
    await closeDb(db);
    await tracing?.shutdown();
  },
});
