/**
 * B6 import: a roster of 100,000 rows (the template's XLSX, as a DPF county would upload it) through
 * the dry run and the commit, in a child process that runs only the import's activities
 * (bench/importRunner.ts): seconds and rows/s of each phase, and the child's peak RSS (VmHWM).
 * Targets: the dry run under 60 s and under 300 MB. Reference measured in the same run: a fresh child
 * that only reads the same file's rows (the spreadsheet parsing every import pays). Both children run
 * with the V8 heap flags of the production worker (docker-compose.yml's worker command), since the
 * peak is mostly how far V8 lets the heap grow before it collects.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { parse } from 'yaml';
import { readHeaders } from '../api/import/spreadsheet';
import { createDb } from '../db/client';
import { subjectImports } from '../db/schema';
import { makeCertificateNumber, type DisabilityCategory, type DisabilityGrade } from '../domain/certificateNumber';
import { COUNTIES } from '../domain/counties';
import { makeIdNumber } from '../domain/idNumber';
import { ROSTER_COLUMNS } from '../domain/subjectTemplate';
import { makeUser } from '../test/support/fixtures';
import type { Benchmark, BenchContext } from './context';
import { freshDatabase, spawnChild } from './env';
import { boundFigure, infoFigure } from './report';
import { round } from './stats';
import { projectRoot } from '../temporal/binaries';

interface Phase { phase: string; seconds: number; rows: number; peakMB: number }

/** Writes an n-row roster in the template's columns (unique valid ID numbers, certificates, households of two). */
export async function writeRoster(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const ws = wb.addWorksheet('服务对象');
  ws.addRow(ROSTER_COLUMNS.map((c) => c.header)).commit();
  const base = Date.UTC(1940, 0, 1);
  for (let i = 0; i < n; i++) {
    const county = COUNTIES[i % COUNTIES.length];
    const birthDate = new Date(base + (i % 20_000) * 86_400_000).toISOString().slice(0, 10);
    const idNumber = makeIdNumber({ regionCode: county.code, birthDate, sequence: Math.floor(i / 20_000) % 1000 });
    const value: Record<string, string> = {
      姓名: ['张', '王', '李', '马', '赵'][i % 5] + ['伟', '芳', '强', '丽', '军'][Math.floor(i / 5) % 5], 身份证号码: idNumber,
      残疾人证号: makeCertificateNumber(idNumber, ((i % 7) + 1) as DisabilityCategory, ((i % 4) + 1) as DisabilityGrade),
      '县(市)区': county.name, '乡镇(街道)': `第${i % 40}街道`, '村(社区)': `第${i % 400}社区`, 详细地址: `幸福路${Math.floor(i / 2)}号`,
      联系电话: `139${String(i).padStart(8, '0')}`, 户号: i % 10 === 0 ? `HH${Math.floor(i / 10)}` : '',
    };
    ws.addRow(ROSTER_COLUMNS.map((c) => value[c.header] ?? '')).commit();
  }
  ws.commit();
  await wb.commit();
}

/** The V8 heap flags (--max-…-size=N) the production worker runs with, from docker-compose.yml. */
export function workerHeapFlags(): string[] {
  const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8')) as { services: { worker: { command: string[] } } };
  return compose.services.worker.command.filter((c) => /^--max-[a-z-]+-size=\d+$/.test(c));
}

/** Runs importRunner in a fresh child (as the worker runs: its heap flags); returns its phases. */
async function runChild(ctx: BenchContext, url: string, mode: 'parse' | 'import', importId: string): Promise<Phase[]> {
  const args = [...workerHeapFlags(), 'bench/importRunner.ts', mode, importId];
  const child = spawnChild(`b6-${mode}`, args, { DATABASE_URL: url, NODE_ENV: 'production' }, ctx.log);
  try {
    if (child.process.exitCode === null) await new Promise((ok) => child.process.once('exit', ok));
    if (child.process.exitCode !== 0) throw new Error(`b6 ${mode} exited with ${child.process.exitCode}\n${child.output.slice(-20).join('\n')}`);
    return child.output.filter((l) => l.startsWith('{"phase"')).map((l) => JSON.parse(l) as Phase);
  } finally {
    await child.stop();
  }
}

export const b6Import: Benchmark = async (ctx) => {
  const n = ctx.opts.rosterRows;
  const dbName = `doorstep_b6_${ctx.runId}`;
  const fresh = await freshDatabase(ctx.server, dbName);
  ctx.atEnd(async () => { await fresh.drop(); });
  const db = createDb(fresh.url, { max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'doorstep-bench-b6-'));
  try {
    const file = join(dir, 'roster.xlsx');
    await writeRoster(file, n);
    const bytes = readFileSync(file);
    const user = await makeUser(db, 'coordinator', { cityLevel: true });
    const importId = randomUUID();
    await db.insert(subjectImports).values({
      id: importId, status: 'validating', fileName: 'roster.xlsx', format: 'xlsx', sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length, file: bytes, createdBy: user.id, scope: { cityLevel: true, counties: [] }, mapping: await readHeaders(bytes, 'xlsx'),
    });
    const [parse] = await runChild(ctx, fresh.url, 'parse', importId);
    const phases = await runChild(ctx, fresh.url, 'import', importId);
    const dry = phases.find((p) => p.phase === 'dryRun');
    const commit = phases.find((p) => p.phase === 'commit');
    if (!parse || !dry || !commit) throw new Error(`B6: missing phases ${JSON.stringify({ parse, phases })}`);
    const details = { rows: n, fileMB: round(bytes.length / 2 ** 20, 1), v8Flags: workerHeapFlags(), parse, dryRun: dry, commit };
    return [
      boundFigure({
        id: 'B6', name: `roster dry run, ${n.toLocaleString('en')} rows: time (${round(dry.rows / dry.seconds, 0)} rows/s)`, value: round(dry.seconds, 2), unit: 's', max: 60,
        reference: { name: 'reading the same file only', value: round(parse.seconds, 2), unit: 's' }, ratio: round(dry.seconds / parse.seconds, 2), details,
      }),
      boundFigure({
        id: 'B6', name: 'roster dry run: peak RSS of the import process', value: round(dry.peakMB, 1), unit: 'MB', max: 300,
        reference: { name: 'reading the same file only', value: round(parse.peakMB, 1), unit: 'MB' }, ratio: round(dry.peakMB / parse.peakMB, 2),
      }),
      infoFigure({ id: 'B6', name: `roster commit, ${commit.rows.toLocaleString('en')} rows: time (${round(commit.rows / commit.seconds, 0)} rows/s)`, value: round(commit.seconds, 2), unit: 's' }),
      infoFigure({ id: 'B6', name: 'roster dry run + commit: peak RSS of the import process', value: round(commit.peakMB, 1), unit: 'MB' }),
    ];
  } finally {
    await db.$client.end({ timeout: 5 });
    rmSync(dir, { recursive: true, force: true });
  }
};
