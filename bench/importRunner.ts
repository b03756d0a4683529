/**
 * B6's child process: runs one stored import's activities (the ones the worker runs, in the order the
 * workflow runs them) against DATABASE_URL, and nothing else, so its peak RSS is the import's own.
 * `parse <importId>`: only reads the file's rows (the reference). `import <importId>`: dry run, then commit.
 * Prints one JSON line per phase: { phase, seconds, rows, peakMB }.
 */
import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { readImportFile, subjectImportActivities } from '../activities/subjectImport';
import { rosterRows } from '../api/import/spreadsheet';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { subjectImportRows, subjectImports } from '../db/schema';
import { IMPORT_CHUNK_ROWS } from '../workflows/subjectImportContract';

const peakMB = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
const [mode, importId] = process.argv.slice(2);
const db = createDb(loadConfig().DATABASE_URL, { max: 2 });
const report = (phase: string, t0: bigint, rows: number) => {
  console.log(JSON.stringify({ phase, seconds: Number(process.hrtime.bigint() - t0) / 1e9, rows, peakMB: peakMB() }));
};
try {
  if (mode === 'parse') {
    const t0 = process.hrtime.bigint();
    const [imp] = await db.select({ format: subjectImports.format }).from(subjectImports).where(eq(subjectImports.id, importId));
    let rows = 0;
    for await (const _r of rosterRows(await readImportFile(db, importId), imp.format as 'xlsx')) rows++;
    report('parse', t0, rows);
  } else {
    const acts = subjectImportActivities(db);
    const env = new MockActivityEnvironment();
    const t0 = process.hrtime.bigint();
    const range: Awaited<ReturnType<typeof acts.stageImport>> = await env.run(() => acts.stageImport({ importId }));
    for (let from = range.firstRow; from <= range.lastRow; from += IMPORT_CHUNK_ROWS) {
      await acts.validateImportChunk({ importId, from, to: from + IMPORT_CHUNK_ROWS - 1 });
    }
    const counts = await acts.finishDryRun({ importId });
    report('dryRun', t0, range.rows);
    if (counts.rejected > 0) {
      const bad = await db.select({ row: subjectImportRows.rowNumber, reasons: subjectImportRows.reasons }).from(subjectImportRows)
        .where(and(eq(subjectImportRows.importId, importId), eq(subjectImportRows.action, 'rejected'))).limit(3);
      throw new Error(`dry run rejected ${counts.rejected} rows: ${JSON.stringify(bad)}`);
    }
    const t1 = process.hrtime.bigint();
    const [{ by }] = await db.select({ by: subjectImports.createdBy }).from(subjectImports).where(eq(subjectImports.id, importId));
    for (let from = range.firstRow; from <= range.lastRow; from += IMPORT_CHUNK_ROWS) {
      await acts.commitImportChunk({ importId, from, to: from + IMPORT_CHUNK_ROWS - 1, by });
    }
    const done = await acts.finishCommit({ importId, by });
    report('commit', t1, done.create + done.update + done.unchanged);
  }
} finally {
  await db.$client.end({ timeout: 5 });
}
