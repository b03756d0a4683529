/**
 * bin/dev: the whole stack on embedded defaults, in one process tree.
 * Temporal dev server (SQLite file in DATA_DIR, Web UI on) unless TEMPORAL_ADDRESS is set;
 * PostgreSQL from DATABASE_URL, or an embedded one in DATA_DIR; migrations; the worker; the API;
 * demo data once. Ctrl-C stops everything; a restart keeps every case.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { connectClient, createWorker } from '../temporal/client';
import { generatePayloadKey, parsePayloadKeys } from '../temporal/codec';
import { startDevServer, type RunningServer } from '../temporal/devServer';
import { ensureSchedules } from '../temporal/schedules';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract';
import { DEMO_USERS, loadDemoData } from './demoData';

const config = loadConfig({ DEMO_DATA: 'true', ...process.env });
// We stop the worker ourselves, in order, on Ctrl-C; the SDK logs warnings only.
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const dataDir = resolve(config.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const stops: Array<() => Promise<unknown>> = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  }
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void shutdown(0));

/**
 * The payload keys: PAYLOAD_KEYS, or else a key generated once and kept in DATA_DIR (git-ignored), so
 * that a restarted dev stack still decrypts the history it wrote before.
 */
function devPayloadKeys(): string {
  if (config.PAYLOAD_KEYS) return config.PAYLOAD_KEYS;
  const file = resolve(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    writeFileSync(file, `${generatePayloadKey('dev1')}\n`, { mode: 0o600 });
    console.log(`generated a payload encryption key in ${file} (set PAYLOAD_KEYS to use your own)`);
  }
  const keys = readFileSync(file, 'utf8').trim();
  parsePayloadKeys(keys);
  return keys;
}
const payloadKeys = devPayloadKeys();

try {
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    console.log(`starting embedded PostgreSQL in ${resolve(dataDir, 'postgres')}`);
    const pg = await startEmbeddedPostgres(resolve(dataDir, 'postgres'), 54329);
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  await runMigrations(databaseUrl);

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL;
  if (!temporalAddress) {
    console.log(`starting Temporal dev server (SQLite ${resolve(dataDir, 'temporal.sqlite')})`);
    const server: RunningServer = await startDevServer({
      dbFile: resolve(dataDir, 'temporal.sqlite'),
      port: config.TEMPORAL_PORT,
      ui: true,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      // The UI asks our API to decode payloads (for tokens of roles that may see personal data).
      codecEndpoint: `http://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${config.API_PORT}/codec`,
      log: (line) => { if (!stopping && /level=(ERROR|FATAL)|panic/.test(line)) process.stderr.write(`[temporal] ${line}`); },
    });
    stops.push(server.stop);
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
  }

  const db = createDb(databaseUrl);
  stops.push(() => closeDb(db));
  const target = { address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE, payloadKeys };
  const { worker, connection } = await createWorker({ ...target, taskQueue: config.TEMPORAL_TASK_QUEUE, activities: createActivities({ db }) });
  const running = worker.run();
  stops.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  });

  const temporal = await connectClient(target);
  stops.push(() => temporal.connection.close());
  await ensureSchedules(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE });
  const app = await buildApp({ db, temporal, config: { ...config, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_UI_URL: temporalUi, PAYLOAD_KEYS: payloadKeys }, logger: { level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL } });
  stops.push(() => app.close());
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  const api = `http://${config.API_HOST}:${config.API_PORT}`;

  if (config.DEMO_DATA && (await loadDemoData(db, app))) console.log('demo data loaded');

  console.log(`
doorstep 上门代办 is running
  API            ${api}/v1
  OpenAPI docs   ${api}/docs
  Ready check    ${api}/readyz
  Temporal UI    ${temporalUi ?? '(external Temporal: see your cluster)'}
  Temporal       ${temporalAddress}
  PostgreSQL     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}

Demo tokens (DEMO ONLY):
${DEMO_USERS.map((u) => `  ${u.role.padEnd(12)} ${u.token}`).join('\n')}

  curl -H 'Authorization: Bearer demo-coordinator-token' ${api}/v1/cases/<id>
Press Ctrl-C to stop.`);
} catch (e) {
  console.error(e);
  await shutdown(1);
}
