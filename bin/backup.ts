/**
 * Backup and restore of the embedded default (`npm run admin -- backup DIR` / `restore DIR`): the read
 * model, the Temporal dev server's SQLite file, the evidence store and the payload key, with a manifest
 * and SHA-256 checksums (`sha256sum -c SHA256SUMS` checks a copy by hand).
 *
 * Consistency, decided:
 * - The read model is dumped in ONE repeatable-read, read-only transaction (one snapshot of every
 *   table), table by table with COPY, beside the migration count. pg_dump is not used: the embedded
 *   PostgreSQL (18) ships no pg_dump, and a system pg_dump older than the server refuses to dump it.
 * - The SQLite file is copied with `VACUUM INTO` (python3's sqlite3 module): a consistent copy while the
 *   dev server runs (its writes wait for the copy's read lock, a moment).
 * - Order: PostgreSQL first, then Temporal, then the evidence files. The workflows are the source of
 *   truth and the read model their projection, so the copy may find workflows a little ahead of the
 *   read model, never behind it: restore marks the data folder, and the first `npm run dev` after it
 *   runs the reconciliation with repair, projecting what the snapshot missed. Evidence files are
 *   immutable and content-addressed, copied last, so every file the read model names is there.
 * - The payload key (DATA_DIR/payload-keys) is included: without it the restored histories cannot be
 *   decrypted. Keep backups as secret as the data folder itself.
 *
 * Restore is for a clean machine: a data folder without a SQLite file, and a database with no rows
 * (a fresh embedded PostgreSQL is created when DATABASE_URL is unset). It checks every checksum first.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { migrationsFolder, runMigrations } from '../db/migrate';

export const BACKUP_FORMAT = 'doorstep-backup/1';

export interface BackupSources {
  databaseUrl: string;
  sqliteFile: string;
  filesDir: string;
  /** DATA_DIR/payload-keys, when the keys live there (bin/dev's generated key). */
  payloadKeysFile?: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  migrations: number;
  order: string;
  postgres: Array<{ table: string; columns: string[]; rows: number; file: string }>;
  temporal: { file: string; bytes: number };
  evidence: { dir: string; files: number; bytes: number };
  payloadKeys: string | null;
  /** relative path → sha256, every file of the backup but this manifest. */
  checksums: Record<string, string>;
}

const sha256File = async (file: string): Promise<string> => {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
};

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((p) => statSync(join(dir, p)).isFile()).sort();
}

/** The number of migrations this code applies (a backup restores only into the same schema). */
function migrationCount(): number {
  return (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * A consistent copy of the SQLite file `from` into `to` while the dev server keeps writing it, in a python3
 * child (its sqlite3 module). `VACUUM INTO` reads in one transaction and waits for the server's write locks
 * through the busy timeout (the file is in rollback-journal mode: a reader needs a moment between writes);
 * the online backup API instead retried a busy step without end, which a busy server could starve.
 */
async function sqliteBackup(from: string, to: string): Promise<void> {
  const script = 'import sqlite3,sys\nsrc=sqlite3.connect(sys.argv[1],timeout=60)\nsrc.execute("VACUUM INTO ?",(sys.argv[2],))\nsrc.close()';
  const child = spawn('python3', ['-c', script, from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, 180_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  if (timedOut) throw new Error(`the copy of ${from} did not finish within 180 s (the Temporal server kept it locked): stop npm run dev and back up again`);
  if (code !== 0) throw new Error(`the SQLite copy of ${from} failed (${String(code)}): ${stderr.trim().slice(-300)}`);
}

/** Takes a backup into `dir` (created; must be empty). Returns the manifest. */
/**
 * Writes a `COPY … TO STDOUT` stream to `path` as it arrives and resolves at its end with the number of
 * lines (one a row in COPY's text format). Written synchronously, so the stream never pauses the socket:
 * piped into a file stream, postgres.js's COPY stream now and then never ended and a backup hung
 * (porsager/postgres#917).
 */
async function copyOutTo(stream: Readable, path: string, onChunk: () => void): Promise<number> {
  const fd = openSync(path, 'w', 0o600);
  let lines = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        writeSync(fd, chunk);
        onChunk();
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      stream.once('end', resolve);
      stream.once('error', reject);
    });
  } finally {
    closeSync(fd);
  }
  return lines;
}

/** How long the read model's copy may make no progress (no table begun, no data received) before it is begun again. */
const READ_MODEL_STALL_MS = 30_000;
const READ_MODEL_ATTEMPTS = 3;

/**
 * Every table of the read model in one repeatable-read snapshot, each by COPY into `out/postgres/`. A copy
 * that makes no progress for 30 s is abandoned (its connection closed) and begun again on a new connection
 * and snapshot, at most three times: a COPY stream of postgres.js was seen to stall under a loaded run,
 * and a backup must end (with the table it stalled at) rather than hang.
 */
export async function copyReadModel(databaseUrl: string, out: string, log: (msg: string) => void, stallMs = READ_MODEL_STALL_MS): Promise<Manifest['postgres']> {
  mkdirSync(join(out, 'postgres'), { recursive: true, mode: 0o700 });
  for (let attempt = 1; ; attempt++) {
    const progress = { table: '(the table list)', at: Date.now() };
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    let watchdog: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      watchdog = setInterval(() => { if (Date.now() - progress.at > stallMs) resolve('stalled'); }, Math.min(1000, stallMs / 4));
    });
    const work = (async () => {
      const tables: Manifest['postgres'] = [];
      await sql.begin('isolation level repeatable read read only', async (tx) => {
        const names = await tx<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
        for (const { table_name: table } of names) {
          Object.assign(progress, { table, at: Date.now() });
          const columns = (await tx<{ column_name: string }[]>`
            select column_name from information_schema.columns where table_schema = 'public' and table_name = ${table} order by ordinal_position`).map((c) => c.column_name);
          const file = `postgres/${table}.copy`;
          const stream = await tx.unsafe(`copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) to stdout`).readable();
          const lines = await copyOutTo(stream, join(out, file), () => { progress.at = Date.now(); });
          const [{ n }] = await tx.unsafe<{ n: number }[]>(`select count(*)::int as n from ${quoteIdent(table)}`);
          if (lines !== n) throw new Error(`the copy of table ${table} has ${lines} rows, the table ${n}: back up again`);
          tables.push({ table, columns, rows: n, file });
        }
      });
      return tables;
    })();
    work.catch(() => undefined); // abandoned after a stall: its end (an error, once its connection is closed) is of no interest
    try {
      const result = await Promise.race([work, stalled]);
      if (result !== 'stalled') return result;
    } finally {
      clearInterval(watchdog);
      await sql.end({ timeout: 0 }).catch(() => undefined);
    }
    const what = `the read model's copy made no progress for ${stallMs / 1000} s at ${progress.table} (attempt ${attempt} of ${READ_MODEL_ATTEMPTS})`;
    if (attempt >= READ_MODEL_ATTEMPTS) throw new Error(`${what}: is PostgreSQL answering? Back up again`);
    log(`${what}: beginning it again`);
    rmSync(join(out, 'postgres'), { recursive: true, force: true });
    mkdirSync(join(out, 'postgres'), { recursive: true, mode: 0o700 });
  }
}

export async function backup(src: BackupSources, dir: string, log: (msg: string) => void = () => {}): Promise<Manifest> {
  const out = resolve(dir);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty: back up into a new folder`);
  mkdirSync(join(out, 'postgres'), { recursive: true, mode: 0o700 });
  chmodSync(out, 0o700);
  const createdAt = new Date().toISOString();

  // 1. The read model: one snapshot, every table.
  const tables = await copyReadModel(src.databaseUrl, out, log);
  log(`read model: ${tables.length} tables, ${tables.reduce((a, t) => a + t.rows, 0)} rows`);

  // 2. Temporal's SQLite file, online.
  if (!existsSync(src.sqliteFile)) throw new Error(`no Temporal SQLite file at ${src.sqliteFile}`);
  await sqliteBackup(src.sqliteFile, join(out, 'temporal.sqlite'));
  log(`temporal: ${statSync(join(out, 'temporal.sqlite')).size} bytes`);

  // 3. Evidence files (immutable, content-addressed) and the payload key.
  const evidence = filesUnder(src.filesDir);
  for (const f of evidence) {
    mkdirSync(dirname(join(out, 'files', f)), { recursive: true });
    copyFileSync(join(src.filesDir, f), join(out, 'files', f));
  }
  let payloadKeys: string | null = null;
  if (src.payloadKeysFile && existsSync(src.payloadKeysFile)) {
    copyFileSync(src.payloadKeysFile, join(out, 'payload-keys'));
    chmodSync(join(out, 'payload-keys'), 0o600);
    payloadKeys = 'payload-keys';
  }
  log(`evidence: ${evidence.length} files`);

  const checksums: Record<string, string> = {};
  for (const f of filesUnder(out)) checksums[f] = await sha256File(join(out, f));
  const manifest: Manifest = {
    format: BACKUP_FORMAT, createdAt, migrations: migrationCount(),
    order: 'postgres snapshot, then temporal sqlite (VACUUM INTO), then evidence files; restore re-projects workflows ahead of the snapshot',
    postgres: tables,
    temporal: { file: 'temporal.sqlite', bytes: statSync(join(out, 'temporal.sqlite')).size },
    evidence: { dir: 'files', files: evidence.length, bytes: evidence.reduce((a, f) => a + statSync(join(src.filesDir, f)).size, 0) },
    payloadKeys,
    checksums,
  };
  writeFileSync(join(out, 'SHA256SUMS'), Object.entries(checksums).map(([f, h]) => `${h}  ${f}`).join('\n') + '\n');
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads a backup's manifest and checks every file against its checksum (throws naming the first that differs). */
export async function verifyBackup(dir: string): Promise<Manifest> {
  const file = join(resolve(dir), 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir} holds no manifest.json: not a doorstep backup`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  if (manifest.format !== BACKUP_FORMAT) throw new Error(`unknown backup format ${String(manifest.format)}`);
  for (const [f, want] of Object.entries(manifest.checksums)) {
    const path = join(resolve(dir), f);
    if (!existsSync(path)) throw new Error(`backup file ${f} is missing`);
    if ((await sha256File(path)) !== want) throw new Error(`backup file ${f} does not match its checksum: the copy is damaged`);
  }
  return manifest;
}

export interface RestoreTargets {
  databaseUrl: string;
  sqliteFile: string;
  filesDir: string;
  payloadKeysFile?: string;
}

/** Name of the marker restore leaves in the data folder: bin/dev reconciles (with repair) once on its next start. */
export const RESTORED_MARKER = 'restored-from.json';

/** Restores a verified backup onto a clean target (see the module comment). */
export async function restore(dir: string, to: RestoreTargets, log: (msg: string) => void = () => {}): Promise<Manifest> {
  const from = resolve(dir);
  const manifest = await verifyBackup(from);
  if (manifest.migrations !== migrationCount()) {
    throw new Error(`the backup was taken with ${manifest.migrations} migrations, this code has ${migrationCount()}: restore with the doorstep version that made it, then upgrade`);
  }
  if (existsSync(to.sqliteFile)) throw new Error(`${to.sqliteFile} exists: restore onto a clean data folder (move the old one aside)`);

  await runMigrations(to.databaseUrl);
  const sql = postgres(to.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql<{ present: boolean }[]>`select exists(select 1 from users) or exists(select 1 from cases) as present`;
    if (present) throw new Error('the target database holds data already: restore into an empty database');
    await sql.begin(async (tx) => {
      // Rows go in as they were: no triggers (the audit log's), no foreign-key order to follow.
      await tx`set local session_replication_role = replica`;
      // Emptied together first (what migrations seed included): a later cascade must not empty a table already loaded.
      await tx.unsafe(`truncate ${manifest.postgres.map((t) => quoteIdent(t.table)).join(', ')}`);
      for (const t of manifest.postgres) {
        const sink = await tx.unsafe(`copy ${quoteIdent(t.table)} (${t.columns.map(quoteIdent).join(', ')}) from stdin`).writable();
        await pipeline(createReadStream(join(from, t.file)), sink);
      }
      // Identity columns continue after the restored rows.
      const identities = await tx<{ table_name: string; column_name: string }[]>`
        select table_name, column_name from information_schema.columns where table_schema = 'public' and is_identity = 'YES'`;
      for (const c of identities) {
        await tx.unsafe(`select setval(pg_get_serial_sequence('${quoteIdent(c.table_name)}', '${c.column_name}'), coalesce((select max(${quoteIdent(c.column_name)}) from ${quoteIdent(c.table_name)}), 0) + 1, false)`);
      }
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  log(`read model: ${manifest.postgres.reduce((a, t) => a + t.rows, 0)} rows restored`);

  mkdirSync(dirname(to.sqliteFile), { recursive: true });
  rmSync(`${to.sqliteFile}-journal`, { force: true });
  copyFileSync(join(from, manifest.temporal.file), to.sqliteFile);
  for (const f of filesUnder(join(from, manifest.evidence.dir))) {
    mkdirSync(dirname(join(to.filesDir, f)), { recursive: true });
    copyFileSync(join(from, manifest.evidence.dir, f), join(to.filesDir, f));
  }
  if (manifest.payloadKeys && to.payloadKeysFile && !existsSync(to.payloadKeysFile)) {
    mkdirSync(dirname(to.payloadKeysFile), { recursive: true });
    copyFileSync(join(from, manifest.payloadKeys), to.payloadKeysFile);
    chmodSync(to.payloadKeysFile, 0o600);
  }
  writeFileSync(join(dirname(to.sqliteFile), RESTORED_MARKER), `${JSON.stringify({ from, createdAt: manifest.createdAt, restoredAt: new Date().toISOString() })}\n`);
  log(`temporal and ${manifest.evidence.files} evidence files restored from ${relative(process.cwd(), from) || from}`);
  return manifest;
}
