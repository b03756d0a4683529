/** Applies the committed migrations to DATABASE_URL. */
import { loadConfig } from '../config';
import { runMigrations } from '../db/migrate';

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required.');
await runMigrations(config.DATABASE_URL);
console.log('migrations applied');
