/**
 * B4's child process: the API over the read model and nothing else (no worker, no Temporal
 * connection: the ledger export never reaches Temporal), so its peak RSS is the export's own.
 * Prints "export server listening <port>".
 */
import { Client } from '@temporalio/client';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb } from '../db/client';

const config = loadConfig();
const db = createDb(config.DATABASE_URL, { max: 2 });
const app = await buildApp({ db, temporal: new Client(), config });
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
console.log(`export server listening ${typeof addr === 'object' && addr ? addr.port : 0}`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void app.close().then(() => db.$client.end({ timeout: 5 })).finally(() => process.exit(0)));
}
