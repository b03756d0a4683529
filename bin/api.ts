/** The HTTP API process: builds the app and listens; closes gracefully on SIGINT/SIGTERM. */
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { closeDb, createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { connectClient } from '../temporal/client';

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for bin/api (bin/dev provides one).');
if (!config.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is required for bin/api (bin/dev provides one).');
await runMigrations(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL);
const temporal = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys: config.PAYLOAD_KEYS });
const app = await buildApp({ db, temporal, config, logger: { level: config.LOG_LEVEL } });
await app.listen({ host: config.API_HOST, port: config.API_PORT });
const close = async () => {
  await app.close();
  await temporal.connection.close();
  await closeDb(db);
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void close());
