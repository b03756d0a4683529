/**
 * bin/admin: user and token administration from the command line (the first admin has to come from
 * somewhere). Tokens are printed once and stored as SHA-256 hashes only.
 *
 *   npm run admin -- user:create --username li --name 李四 --role worker --county 640104 --department DPF [--token]
 *   npm run admin -- user:create --username boss --name 管理员 --role admin --city [--token]
 *   npm run admin -- token:issue --username li [--label 手机] [--days 90]
 *   npm run admin -- token:revoke --username li [--token-id <id> | --all]
 *   npm run admin -- user:disable --username li      (user:enable to undo)
 *   npm run admin -- user:list
 *   npm run admin -- set-password li              (the password from stdin: `echo '…' | npm run admin -- set-password li`)
 *   npm run admin -- key:generate [--id k2]          (a new PAYLOAD_KEYS entry)
 *   npm run admin -- reconcile [--repair] [--days 7] (read model vs workflow state: activities/reconcile.ts)
 *   npm run admin -- backup DIR                      (read model, Temporal SQLite, evidence, key: bin/backup.ts)
 *   npm run admin -- restore DIR                     (onto a clean DATA_DIR / empty DATABASE_URL)
 *
 * With the embedded defaults (no DATABASE_URL / TEMPORAL_ADDRESS), the commands that need them talk to
 * the stack `npm run dev` runs: its embedded PostgreSQL, its Temporal dev server and its payload key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { reconcile } from '../activities/reconcile';
import { filesDirFor } from '../api/services/evidenceStorage';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../db/embedded';
import { backup, restore } from './backup';
import { ROLES, type Role } from '../api/auth';
import { loadConfig } from '../config';
import { closeDb, createDb, type Db } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createUser, findUserByName, issueToken, listTokens, listUsers, revokeAllTokens, revokeToken, updateUser } from '../db/queries/users';
import { COUNTY_CODES } from '../domain/counties';
import { DEPARTMENT_CODES } from '../domain/departments';
import { generatePayloadKey } from '../temporal/codec';
import { hashPassword, passwordProblem } from '../api/passwords';
import { storePassword } from '../api/sessions';
import { connectClient } from '../temporal/client';

const USAGE = `usage: npm run admin -- <command> [options]
  user:create   --username U --name 显示名 --role ${ROLES.join('|')} (--county C ... | --city) [--department D ...] [--token] [--days N]
  user:list
  set-password  U                (reads the new console password from stdin; ends U's sessions, lifts a lockout)
  user:disable  --username U
  user:enable   --username U
  token:issue   --username U [--label L] [--days N]
  token:list    --username U
  token:revoke  --username U (--token-id ID | --all)
  key:generate  [--id KEY_ID]
  reconcile     [--repair] [--days N]   compare the read model with every open case and plan (and those ended
                                        in the last N days, default 7) and print each difference; --repair
                                        projects them again from the workflow. Exit 3 when differences remain.
  backup DIR    a consistent copy of the embedded default (read model, Temporal's SQLite file, evidence files,
                payload key) into the new folder DIR, with manifest.json and SHA256SUMS; works while npm run dev runs
  restore DIR   checks DIR's checksums and restores it onto a clean DATA_DIR (and DATABASE_URL's empty
                database, or a new embedded PostgreSQL); the next npm run dev reconciles once`;

class UsageError extends Error {}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    username: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    county: { type: 'string', multiple: true },
    department: { type: 'string', multiple: true },
    city: { type: 'boolean', default: false },
    token: { type: 'boolean', default: false },
    label: { type: 'string' },
    days: { type: 'string' },
    repair: { type: 'boolean', default: false },
    'token-id': { type: 'string' },
    all: { type: 'boolean', default: false },
    id: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const need = (v: string | undefined, flag: string): string => {
  if (!v) throw new UsageError(`missing --${flag}`);
  return v;
};

function expiry(): Date {
  const days = Number(values.days ?? '90');
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--days must be a whole number from 1 to 3650');
  return new Date(Date.now() + days * 24 * 60 * 60 * 1000);
}

async function userByName(db: Db, username: string) {
  const u = await findUserByName(db, username);
  if (!u) throw new UsageError(`no user named ${username}`);
  return u;
}

function printToken(username: string, t: { id: string; token: string }, expiresAt: Date) {
  console.log(`token for ${username} (id ${t.id}, expires ${expiresAt.toISOString()}) — shown once, store it now:\n${t.token}`);
}

/** The new password: the first line of stdin (a prompt on stderr when stdin is a terminal). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('new password (one line): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  if (!line) throw new UsageError('no password on stdin');
  return line;
}

async function run(db: Db, command: string): Promise<number | void> {
  switch (command) {
    case 'user:create': {
      const username = need(values.username, 'username');
      const role = need(values.role, 'role') as Role;
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const counties = values.county ?? [];
      const departments = values.department ?? [];
      for (const c of counties) if (!(COUNTY_CODES as readonly string[]).includes(c)) throw new UsageError(`unknown county ${c} (${COUNTY_CODES.join(', ')})`);
      for (const d of departments) if (!(DEPARTMENT_CODES as readonly string[]).includes(d)) throw new UsageError(`unknown department ${d} (${DEPARTMENT_CODES.join(', ')})`);
      if (!values.city && counties.length === 0) throw new UsageError('give at least one --county, or --city for a city-level user');
      if (await findUserByName(db, username)) throw new UsageError(`user ${username} exists already`);
      const id = await createUser(db, { username, displayName: values.name ?? username, role, counties, departments, cityLevel: values.city });
      console.log(`created ${role} ${username} (id ${id}; ${values.city ? 'city level' : counties.join(',')}${departments.length ? `; ${departments.join(',')}` : ''})`);
      if (values.token) {
        const expiresAt = expiry();
        printToken(username, await issueToken(db, id, { label: values.label ?? 'cli', expiresAt }), expiresAt);
      }
      return;
    }
    case 'user:list': {
      const rows = await listUsers(db, { limit: 10_000 });
      for (const u of rows) {
        const scope = u.cityLevel ? 'city' : u.counties.join(',');
        console.log([u.username.padEnd(24), u.role.padEnd(12), scope.padEnd(24), (u.departments.join(',') || '*').padEnd(20), u.disabled ? 'DISABLED' : ''].join(' '));
      }
      console.log(`${rows.length} user(s)`);
      return;
    }
    case 'set-password':
    case 'user:password': {
      const u = await userByName(db, need(positionals[1] ?? values.username, 'username (set-password <username>)'));
      const password = await readPassword();
      const why = passwordProblem(password, u.username);
      if (why) throw new UsageError(`password refused: ${why}`);
      await storePassword(db, u, await hashPassword(password));
      console.log(`password of ${u.username} set (its console sessions are ended, any login lockout lifted)`);
      return;
    }
    case 'user:disable':
    case 'user:enable': {
      const u = await userByName(db, need(values.username, 'username'));
      await updateUser(db, u.id, { disabled: command === 'user:disable' }, new Date());
      console.log(`${u.username} ${command === 'user:disable' ? 'disabled (its tokens are revoked)' : 'enabled'}`);
      return;
    }
    case 'token:issue': {
      const u = await userByName(db, need(values.username, 'username'));
      if (u.disabled) throw new UsageError(`${u.username} is disabled`);
      const expiresAt = expiry();
      printToken(u.username, await issueToken(db, u.id, { label: values.label ?? 'cli', expiresAt }), expiresAt);
      return;
    }
    case 'token:list': {
      const u = await userByName(db, need(values.username, 'username'));
      for (const t of await listTokens(db, u.id)) {
        console.log([t.id, (t.label ?? '').padEnd(12), `expires ${t.expiresAt?.toISOString() ?? 'never'}`, t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active', `last used ${t.lastUsedAt?.toISOString() ?? 'never'}`].join('  '));
      }
      return;
    }
    case 'token:revoke': {
      const u = await userByName(db, need(values.username, 'username'));
      if (values.all) {
        console.log(`revoked ${await revokeAllTokens(db, u.id, new Date())} token(s) of ${u.username}`);
      } else {
        const tokenId = need(values['token-id'], 'token-id (or --all)');
        if (!(await revokeToken(db, u.id, tokenId, new Date()))) throw new UsageError(`${u.username} has no token ${tokenId}`);
        console.log(`revoked token ${tokenId} of ${u.username}`);
      }
      return;
    }
    case 'reconcile': {
      const days = Number(values.days ?? '7');
      if (!Number.isInteger(days) || days < 0 || days > 3650) throw new UsageError('--days must be a whole number from 0 to 3650');
      const temporal = await connectClient(temporalTarget());
      try {
        const report = await reconcile(db, temporal, { repair: values.repair, days, trigger: 'cli', taskQueue: config.TEMPORAL_TASK_QUEUE });
        for (const f of report.findings) {
          console.log([f.kind, f.entityId, f.county ?? '-', f.department ?? '-', f.field, `read model: ${f.readModel ?? 'null'}`, `workflow: ${f.workflow ?? 'null'}`, f.repaired ? 'REPAIRED' : ''].join('\t'));
        }
        console.log(`checked ${report.casesChecked} case(s) and ${report.plansChecked} plan(s): ${report.findings.length} difference(s), ${report.repaired} repaired (run ${report.runId})`);
        if (report.error) throw new Error(`reconciliation stopped early: ${report.error}`);
        if (report.findings.length > report.repaired) return 3;
      } finally {
        await temporal.connection.close();
      }
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

const command = positionals[0] ?? '';
if (values.help || !command) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
if (command === 'key:generate') {
  console.log(generatePayloadKey(values.id ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`));
  process.exit(0);
}
const config = loadConfig();
if (command === 'backup' || command === 'restore') process.exit(await backupOrRestore(command, positionals[1]));
/** The database: DATABASE_URL, or the embedded PostgreSQL `npm run dev` runs. */
const databaseUrl = config.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/doorstep`;
/** Temporal: TEMPORAL_ADDRESS, or the dev server `npm run dev` runs (with its generated payload key). */
function temporalTarget() {
  const keysFile = resolve(config.DATA_DIR, 'payload-keys');
  const payloadKeys = config.PAYLOAD_KEYS ?? (existsSync(keysFile) ? readFileSync(keysFile, 'utf8').trim() : undefined);
  return { address: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, namespace: config.TEMPORAL_NAMESPACE, payloadKeys };
}
try {
  await runMigrations(databaseUrl);
} catch (e) {
  console.error(`cannot reach PostgreSQL at ${databaseUrl.replace(/:[^:@/]+@/, ':***@')} (${(e as Error).message}): set DATABASE_URL, or start the stack with npm run dev`);
  process.exit(2);
}
const db = createDb(databaseUrl, { max: 4 });
let code = 0;
try {
  code = (await run(db, command)) ?? 0;
} catch (e) {
  code = e instanceof UsageError ? 2 : 1;
  console.error(e instanceof UsageError ? `${e.message}\n\n${USAGE}` : e);
} finally {
  await closeDb(db);
}
process.exit(code);

/**
 * backup / restore of the embedded default (bin/backup.ts). Without DATABASE_URL, the embedded PostgreSQL
 * of DATA_DIR is used: the running one of `npm run dev`, or started here for the copy when it is not running.
 */
async function backupOrRestore(which: 'backup' | 'restore', dir: string | undefined): Promise<number> {
  if (!dir) {
    console.error(`usage: npm run admin -- ${which} DIR`);
    return 2;
  }
  const dataDir = resolve(config.DATA_DIR);
  const sqliteFile = resolve(dataDir, 'temporal.sqlite');
  const payloadKeysFile = resolve(dataDir, 'payload-keys');
  const filesDir = filesDirFor(config);
  const log = (msg: string) => console.log(msg);
  let embedded: EmbeddedHandle | undefined;
  let databaseUrl = config.DATABASE_URL;
  try {
    if (config.EVIDENCE_STORE === 's3') console.warn('EVIDENCE_STORE=s3: the evidence files are in the bucket; back it up with the bucket\'s own tools');
    if (which === 'backup') {
      if (!existsSync(sqliteFile)) throw new Error(`no Temporal SQLite file at ${sqliteFile}: is DATA_DIR (${dataDir}) the folder npm run dev uses?`);
      if (!databaseUrl) {
        databaseUrl = `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/doorstep`;
        const probe = createDb(databaseUrl, { max: 1 });
        const running = await probe.execute('select 1').then(() => true, () => false);
        await closeDb(probe);
        if (!running) {
          embedded = await startEmbeddedPostgres(resolve(dataDir, 'postgres'), config.EMBEDDED_POSTGRES_PORT, { log });
          databaseUrl = embedded.url;
        }
      }
      const manifest = await backup({ databaseUrl, sqliteFile, filesDir, payloadKeysFile }, dir, log);
      console.log(`backup written to ${resolve(dir)} (${Object.keys(manifest.checksums).length} files, manifest.json, SHA256SUMS)`);
    } else {
      if (existsSync(sqliteFile)) throw new Error(`${sqliteFile} exists: restore onto a clean machine (move ${dataDir} aside first)`);
      if (!databaseUrl) {
        if (existsSync(resolve(dataDir, 'postgres', 'PG_VERSION'))) throw new Error(`${resolve(dataDir, 'postgres')} holds a database: move ${dataDir} aside first`);
        embedded = await startEmbeddedPostgres(resolve(dataDir, 'postgres'), config.EMBEDDED_POSTGRES_PORT, { log });
        databaseUrl = embedded.url;
      }
      const manifest = await restore(dir, { databaseUrl, sqliteFile, filesDir, payloadKeysFile }, log);
      console.log(`restored the backup of ${manifest.createdAt} into ${dataDir}. Start it with: npm run dev (it reconciles the read model once)`);
      if (config.PAYLOAD_KEYS) console.log('PAYLOAD_KEYS is set: it must hold the key the backup\'s workflows were encrypted with');
    }
    return 0;
  } catch (e) {
    console.error(`${which} failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await embedded?.stop();
  }
}
