/**
 * bin/dev: the whole stack on embedded defaults, in one process tree.
 * Temporal dev server (SQLite file in DATA_DIR, Web UI on) unless TEMPORAL_ADDRESS is set;
 * PostgreSQL from DATABASE_URL, or an embedded one in DATA_DIR; migrations; the worker; the console
 * (built when stale); the API; demo data once. Ctrl-C stops everything; a restart keeps every case.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createActivities } from '../activities';
import { buildApp } from '../api/app';
import { buildMetricsServer } from '../api/metrics';
import { workerMetrics } from '../activities/projectionLag';
import { Registry } from 'prom-client';
import { loadConfig, notifyConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { createLogger } from '../logger';
import { connectClient, createWorker } from '../temporal/client';
import { generatePayloadKey, parsePayloadKeys } from '../temporal/codec';
import { checkSqliteFile, startDevServer, type RunningServer } from '../temporal/devServer';
import { freePortFor, RecoveryError } from '../processes';
import { ensureSchedules } from '../temporal/schedules';
import { installTemporalRuntime, startTracing } from '../temporal/telemetry';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract';
import { reconcile } from '../activities/reconcile';
import { RESTORED_MARKER } from './backup';
import { DEMO_USERS, ensureDemoPasswords, loadDemoData } from './demoData';
import { installShutdown } from './shutdown';
import { ensureConsoleBuilt } from '../web/build';

const config = loadConfig({ DEMO_DATA: 'true', ...process.env });
const logger = createLogger({ level: config.LOG_LEVEL, name: 'dev' });
// The API's request lines and the SDK's at warnings only unless LOG_LEVEL asks for more; progress at info.
const quiet = config.LOG_LEVEL === 'info' ? logger.child({}, { level: 'warn' }) : logger;
const metricsAddress = (port: number) => (port > 0 ? `${config.METRICS_HOST}:${port}` : undefined);
// We stop the worker ourselves, in order, on Ctrl-C.
installTemporalRuntime({ logger: quiet, metricsAddress: metricsAddress(config.TEMPORAL_METRICS_PORT), shutdownSignals: [] });
const tracing = await startTracing({ serviceName: 'doorstep-dev', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const dataDir = resolve(config.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const stops: Array<() => Promise<unknown>> = [];
let stopping = false;

// Ctrl-C / SIGTERM: everything started below stops in reverse order, within SHUTDOWN_TIMEOUT_MS.
const shutdown = installShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  stop: async () => {
    stopping = true;
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
    await tracing?.shutdown();
  },
});

/**
 * The payload keys: PAYLOAD_KEYS, or else a key generated once and kept in DATA_DIR (git-ignored), so
 * that a restarted dev stack still decrypts the history it wrote before.
 */
function devPayloadKeys(): string {
  if (config.PAYLOAD_KEYS) return config.PAYLOAD_KEYS;
  const file = resolve(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    writeFileSync(file, `${generatePayloadKey('dev1')}\n`, { mode: 0o600 });
    logger.info({ file }, 'generated a payload encryption key (set PAYLOAD_KEYS to use your own)');
  }
  const keys = readFileSync(file, 'utf8').trim();
  parsePayloadKeys(keys);
  return keys;
}
const payloadKeys = devPayloadKeys();

/**
 * After a power cut: the ports must be free (a leftover Temporal dev server of this data folder is
 * stopped; anyone else's listener is an error saying who and what to do) and the SQLite file intact.
 * The embedded PostgreSQL clears its own stale postmaster.pid (db/embedded.ts).
 */
async function recoverFromCrash(dbFile: string): Promise<void> {
  const log = (msg: string) => logger.warn(msg);
  const notOurs = () => false;
  await freePortFor(config.API_PORT, 'API', 'API_PORT', notOurs, log);
  if (config.METRICS_PORT > 0) await freePortFor(config.METRICS_PORT, 'metrics', 'METRICS_PORT', notOurs, log);
  if (config.TEMPORAL_METRICS_PORT > 0) await freePortFor(config.TEMPORAL_METRICS_PORT, 'Temporal SDK metrics', 'TEMPORAL_METRICS_PORT', notOurs, log);
  if (!config.TEMPORAL_ADDRESS) {
    const leftoverServer = (command: string) => command.includes('start-dev') && command.includes(dbFile);
    await freePortFor(config.TEMPORAL_PORT, 'Temporal dev server', 'TEMPORAL_PORT', leftoverServer, log);
    await freePortFor(config.TEMPORAL_UI_PORT, 'Temporal Web UI', 'TEMPORAL_UI_PORT', leftoverServer, log);
    checkSqliteFile(dbFile);
  }
}

try {
  await recoverFromCrash(resolve(dataDir, 'temporal.sqlite'));
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    logger.info({ dir: resolve(dataDir, 'postgres') }, 'starting embedded PostgreSQL');
    const pg = await startEmbeddedPostgres(resolve(dataDir, 'postgres'), config.EMBEDDED_POSTGRES_PORT, { log: (msg) => logger.warn(msg) });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  await runMigrations(databaseUrl);

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL;
  if (!temporalAddress) {
    logger.info({ file: resolve(dataDir, 'temporal.sqlite') }, 'starting Temporal dev server');
    const server: RunningServer = await startDevServer({
      dbFile: resolve(dataDir, 'temporal.sqlite'),
      port: config.TEMPORAL_PORT,
      ui: true,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      // The UI asks our API to decode payloads (for tokens of roles that may see personal data).
      codecEndpoint: `http://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${config.API_PORT}/codec`,
      log: (line) => { if (!stopping && /level=(ERROR|FATAL)|panic/.test(line)) logger.error({ component: 'temporal-server' }, line.trim()); },
    });
    stops.push(server.stop);
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
  }

  const db = createDb(databaseUrl);
  stops.push(() => closeDb(db));
  const target = { address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE, payloadKeys };
  const temporal = await connectClient(target);
  stops.push(() => temporal.connection.close());
  const { worker, connection } = await createWorker({ ...target, taskQueue: config.TEMPORAL_TASK_QUEUE, activities: createActivities({ db, temporal, notify: notifyConfig(config) }) });
  const running = worker.run();
  stops.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  });

  await ensureSchedules(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, notifications: true });
  // The console (web/): built when missing or older than its sources, then served at / by the API.
  await ensureConsoleBuilt((m) => logger.info(m));
  const app = await buildApp({ db, temporal, config: { ...config, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_UI_URL: temporalUi, PAYLOAD_KEYS: payloadKeys }, logger: quiet });
  stops.push(() => app.close());
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  const api = `http://${config.API_HOST}:${config.API_PORT}`;
  // One process here: the API's metrics and the in-process worker's (projection lag) on one listener.
  const metrics = config.METRICS_PORT > 0 ? await buildMetricsServer(Registry.merge([app.metrics, workerMetrics])) : undefined;
  if (metrics) stops.push(() => metrics.close());
  await metrics?.listen({ host: config.METRICS_HOST, port: config.METRICS_PORT });

  if (config.DEMO_DATA) {
    if (await loadDemoData(db, app)) logger.info('demo data loaded');
    else await ensureDemoPasswords(db);
  }
  // After `npm run admin -- restore`: the workflows may be a little ahead of the read model's snapshot.
  const restored = resolve(dataDir, RESTORED_MARKER);
  if (existsSync(restored)) {
    void reconcile(db, temporal, { repair: true, days: 30, trigger: 'cli', taskQueue: config.TEMPORAL_TASK_QUEUE }).then((r) => {
      logger.info({ cases: r.casesChecked, plans: r.plansChecked, differences: r.findings.length, repaired: r.repaired }, 'reconciled the read model after the restore');
      if (!r.error) rmSync(restored, { force: true });
    }, (err: unknown) => logger.error({ err }, 'reconciliation after the restore failed: run npm run admin -- reconcile --repair'));
  }

  console.log(`
doorstep 上门代办 is running
  Console 控制台  ${api}/
  API            ${api}/v1
  OpenAPI docs   ${api}/docs
  Ready check    ${api}/readyz
  Metrics        API ${metricsAddress(config.METRICS_PORT) ?? 'off'}/metrics · Temporal SDK ${metricsAddress(config.TEMPORAL_METRICS_PORT) ?? 'off'}/metrics
  Temporal UI    ${temporalUi ?? '(external Temporal: see your cluster)'}
  Temporal       ${temporalAddress}
  PostgreSQL     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}

Demo users (DEMO ONLY): log in to the console with username + password, or call the API with the token
${DEMO_USERS.map((u) => `  ${u.role.padEnd(12)} username ${u.username.padEnd(17)} password ${u.password.padEnd(21)} token ${u.token}`).join('\n')}

  curl -H 'Authorization: Bearer demo-coordinator-token' ${api}/v1/cases/<id>
Press Ctrl-C to stop.`);
} catch (err) {
  // A restart that cannot recover by itself says what to do, in one readable line.
  if (err instanceof RecoveryError) logger.fatal(`bin/dev could not start: ${err.message}`);
  else logger.fatal({ err }, 'bin/dev could not start');
  await shutdown(1);
}
