/**
 * Bulk import and export of subjects over HTTP, with the real worker on the dev server: dry run,
 * report, commit, re-import, households, audit, every bad input of issue #17, and the round trip.
 */
import { deflateRawSync } from 'node:zlib';
import { and, eq, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, subjects } from '../../db/schema';
import { makeCertificateNumber } from '../../domain/certificateNumber';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { rosterCsv, rosterRow, rosterXlsx, type RosterRow } from '../support/roster';
import { multipartBody } from './casesSupport';

let stack: TestStack;
let coord: TestUser;

beforeAll(async () => {
  stack = await startStack({ IMPORT_LIMIT_BYTES: 200_000 });
  coord = await makeUser(stack.db, 'coordinator', { counties: ['640104', '640105'] });
}, 60_000);
afterAll(async () => stack?.close());

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function upload(bytes: Buffer, name = 'roster.xlsx', user: TestUser = coord) {
  const { payload, headers } = multipartBody({ bytes, name, contentType: name.endsWith('.csv') ? 'text/csv' : XLSX });
  return stack.app.inject({ method: 'POST', url: '/v1/subjects/imports', headers: { ...user.auth, ...headers }, payload });
}

interface ImportView {
  id: string; status: { code: string }; counts: Record<string, number>; progress: { rowsTotal: number; rowsDone: number; rowsCommitted: number };
  skippedEmptyRows: number[]; ignoredColumns: string[]; error: string | null;
}

async function get(id: string, user: TestUser = coord) {
  return stack.app.inject({ method: 'GET', url: `/v1/subjects/imports/${id}`, headers: user.auth });
}

/** Waits for an import to reach a status. */
async function until(id: string, status: string): Promise<ImportView> {
  return eventually(async () => {
    const v = (await get(id)).json() as ImportView;
    return v.status.code === status ? v : undefined;
  }, 30_000, 100);
}

/** Uploads and waits for the dry run. */
async function dryRun(bytes: Buffer, name?: string): Promise<ImportView> {
  const res = await upload(bytes, name);
  expect(res.statusCode, res.body).toBe(202);
  return until(res.json().id, 'validated');
}

async function commit(id: string) {
  return stack.app.inject({ method: 'POST', url: `/v1/subjects/imports/${id}/commit`, headers: coord.auth });
}

/** The error report's rows: { 行号, ...cells, 错误原因 } by header. */
async function report(id: string): Promise<Record<string, string>[]> {
  const res = await stack.app.inject({ method: 'GET', url: `/v1/subjects/imports/${id}/report`, headers: coord.auth });
  expect(res.statusCode).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  const ws = wb.worksheets[0];
  const headers = (ws.getRow(3).values as string[]).slice(1);
  const out: Record<string, string>[] = [];
  ws.eachRow((row, n) => {
    if (n <= 3) return;
    const values = (row.values as unknown[]).slice(1);
    out.push(Object.fromEntries(headers.map((h, i) => [h, String(values[i] ?? '')])));
  });
  return out;
}

const bySubject = async (idNumber: string) => (await stack.db.select().from(subjects).where(eq(subjects.idNumber, idNumber)))[0];

describe('import: dry run, commit, re-import', () => {
  it('creates new rows, updates changed ones, links households by 户号 and by address, audits under the import id; the same file again changes nothing', async () => {
    const existing = await makeSubject(stack.db, { county: '640104', name: '李四', phone: '13900000000' });
    const a = rosterRow({ 姓名: '王芳', 户号: 'HH-0001' });
    const b = rosterRow({ 姓名: '王强', 户号: 'HH-0001' });
    const c = rosterRow({ 姓名: '赵敏', 详细地址: '贺兰山路1号' });
    const d = rosterRow({ 姓名: '赵刚', 详细地址: '贺兰山路1号' });
    const changed: RosterRow = { 姓名: '李四', 身份证号码: existing.idNumber, '县(市)区': '兴庆区', 联系电话: '13811112222' };
    const file = await rosterXlsx([a, b, c, d, changed]);

    const res = await upload(file);
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/v1/subjects/imports/${res.json().id}`);
    const v = await until(res.json().id, 'validated');
    expect(v.counts).toEqual({ create: 4, update: 1, unchanged: 0, rejected: 0 });
    expect(v.progress).toMatchObject({ rowsTotal: 5, rowsDone: 5, rowsCommitted: 0 });
    // A dry run writes nothing.
    expect(await bySubject(String(a.身份证号码))).toBeUndefined();
    expect((await bySubject(existing.idNumber)).phone).toBe('13900000000');

    expect((await commit(v.id)).statusCode).toBe(202);
    const done = await until(v.id, 'committed');
    expect(done.progress.rowsCommitted).toBe(5);
    expect(done.counts).toEqual({ create: 4, update: 1, unchanged: 0, rejected: 0 });
    const [sa, sb, sc, sd, se] = await Promise.all([a, b, c, d, changed].map((r) => bySubject(String(r.身份证号码))));
    expect(sa.name).toBe('王芳');
    expect(sa.disabilityCategory).toBe(4);
    expect(sa.householdId).toBeTruthy();
    expect(sb.householdId).toBe(sa.householdId);
    expect(sc.householdId).toBeTruthy();
    expect(sd.householdId).toBe(sc.householdId);
    expect(sc.householdId).not.toBe(sa.householdId);
    expect(se.phone).toBe('13811112222');
    expect(se.name).toBe('李四');
    const audits = await stack.db.select().from(auditLog).where(sql`${auditLog.detail}->>'importId' = ${v.id}`);
    expect(audits.map((x) => x.action).sort()).toEqual([...Array(4).fill('subject.import.create'), 'subject.import.update']);
    expect(audits.find((x) => x.action === 'subject.import.update')).toMatchObject({ resourceId: existing.id, userId: coord.id, detail: { fields: ['phone'] } });

    // The same file again: everything unchanged, nothing written.
    const again = await dryRun(file);
    expect(again.counts).toEqual({ create: 0, update: 0, unchanged: 5, rejected: 0 });
    expect((await commit(again.id)).statusCode).toBe(202);
    await until(again.id, 'committed');
    const after = await Promise.all([a, b, c, d, changed].map((r) => bySubject(String(r.身份证号码))));
    expect(after.map((s) => s.updatedAt.getTime())).toEqual([sa, sb, sc, sd, se].map((s) => s.updatedAt.getTime()));
    expect(await stack.db.select().from(auditLog).where(sql`${auditLog.detail}->>'importId' = ${again.id}`)).toHaveLength(0);
    // A committed import cannot be committed twice.
    const twice = await commit(again.id);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toContain('已导入');
  });

  it('accepts the DPF roster export (its own headers, a title row above them) and ignores columns it does not know', async () => {
    const idNumber = uniqueIdNumber('640105');
    const headers = ['序号', '姓名', '性别', '民族', '公民身份号码', '残疾类别', '残疾等级', '所属区县', '现住址', '户籍地址', '手机号码', '监护人', '与监护人关系'];
    const sex = Number(idNumber[16]) % 2 === 1 ? '男' : '女';
    const file = await rosterXlsx([{
      序号: 1, 姓名: '马丽', 性别: sex, 民族: '回族', 公民身份号码: idNumber, 残疾类别: '精神', 残疾等级: '二级', 所属区县: '西夏区',
      现住址: '文昌路5号', 户籍地址: '老家村1组', 手机号码: '13712345678', 监护人: '马军', 与监护人关系: '父子',
    }], { headers, titleRow: '西夏区残疾人名册（人口库导出）' });
    const v = await dryRun(file, 'dpf-export.xlsx');
    expect(v.counts).toEqual({ create: 1, update: 0, unchanged: 0, rejected: 0 });
    expect(v.ignoredColumns).toEqual(['序号', '民族', '户籍地址']);
    await commit(v.id);
    await until(v.id, 'committed');
    const s = await bySubject(idNumber);
    expect(s).toMatchObject({
      name: '马丽', county: '640105', address: '文昌路5号', phone: '13712345678', guardianName: '马军', guardianRelation: '父子',
      certificateNumber: makeCertificateNumber(idNumber, 6, 2), disabilityCategory: 6, disabilityGrade: 2,
    });
  });

  it('reads CSV, UTF-8 with BOM', async () => {
    const row = rosterRow({ 姓名: '周颖' });
    const v = await dryRun(rosterCsv([row]), 'roster.csv');
    expect(v.counts.create).toBe(1);
  });

  it('is the uploader\'s own: another coordinator gets 404, a worker or an admin 403', async () => {
    const v = await dryRun(await rosterXlsx([rosterRow()]));
    const other = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    expect((await get(v.id, other)).statusCode).toBe(404);
    for (const role of ['worker', 'admin']) {
      const u = await makeUser(stack.db, role, { counties: ['640104'] });
      expect((await get(v.id, u)).statusCode).toBe(403);
      expect((await upload(await rosterXlsx([rosterRow()]), 'r.xlsx', u)).statusCode).toBe(403);
    }
  });
});

describe('import: bad rows are rejected with a 错误原因, and such a file cannot be committed', () => {
  it('names each bad row and its reason in the report; commit is 409 and writes nothing', async () => {
    const good = rosterRow({ 姓名: '好人' });
    const id = uniqueIdNumber('640104');
    const badCheck = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    const dupId = uniqueIdNumber('640104');
    const otherCounty = rosterRow({}, '640106');
    const certMismatch = rosterRow({ 残疾人证号: makeCertificateNumber(uniqueIdNumber('640104'), 1, 1) });
    const rows: RosterRow[] = [
      good,
      rosterRow({ 身份证号码: badCheck, 残疾人证号: null }),
      rosterRow({ 身份证号码: dupId, 残疾人证号: null }),
      rosterRow({ 身份证号码: dupId, 残疾人证号: null, 姓名: '重复' }),
      otherCounty,
      certMismatch,
      rosterRow({ 联系电话: '12345' }),
      rosterRow({ 姓名: { formula: 'CONCATENATE("张","三")', result: '张三' } }),
    ];
    const v = await dryRun(await rosterXlsx(rows));
    expect(v.counts).toEqual({ create: 1, update: 0, unchanged: 0, rejected: 7 });
    const rep = await report(v.id);
    const reason = (row: number) => rep.find((r) => r.行号 === String(row))?.错误原因 ?? '';
    // Sheet rows: the header is row 1, so the file's nth data row is row n + 1.
    expect(rep.map((r) => r.行号)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(reason(3)).toMatch(/身份证号码：校验码错误，应为 [\dX]/);
    expect(reason(4)).toBe('身份证号码：在文件中重复出现（第 4、5 行）');
    expect(reason(5)).toBe('身份证号码：在文件中重复出现（第 4、5 行）');
    expect(reason(6)).toBe('县(市)区：金凤区不在您的权限范围内');
    expect(reason(7)).toBe('残疾人证号：残疾人证号前 18 位应与身份证号码一致');
    expect(reason(8)).toMatch(/^联系电话：电话号码格式不正确/);
    expect(reason(9)).toContain('姓名：单元格是公式');
    expect(rep[0].姓名).toBe('张三');

    const res = await commit(v.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toContain('7 行错误');
    expect(await bySubject(String(good.身份证号码))).toBeUndefined();
  });

  it('refuses an ID number registered in a county outside the caller\'s scope', async () => {
    const elsewhere = await makeSubject(stack.db, { county: '640121' });
    const v = await dryRun(await rosterXlsx([{ 姓名: '某人', 身份证号码: elsewhere.idNumber, '县(市)区': '640104' }]));
    expect(v.counts.rejected).toBe(1);
    expect((await report(v.id))[0].错误原因).toBe('身份证号码：该服务对象已在其他县(市)区登记，不在您的权限范围内，请联系市残联协调');
  });

  it('refuses rows in merged cells, and skips empty rows, naming them', async () => {
    const rows = [rosterRow(), rosterRow({ 姓名: '合并' }), rosterRow({ 姓名: '合并' }), {}, rosterRow()];
    const v = await dryRun(await rosterXlsx(rows, { merge: 'A3:A4' }));
    expect(v.counts).toEqual({ create: 2, update: 0, unchanged: 0, rejected: 2 });
    expect(v.skippedEmptyRows).toEqual([5]);
    const rep = await report(v.id);
    expect(rep.map((r) => [r.行号, r.错误原因])).toEqual([
      ['3', '本行包含合并单元格（A3:A4），请取消合并并逐行填写'],
      // The merged cell's value sits in its first row only: the second row has no name.
      ['4', '本行包含合并单元格（A3:A4），请取消合并并逐行填写；姓名：不能为空'],
    ]);
  });
});

describe('import: files refused as a whole (400/413, nothing stored)', () => {
  it('names each missing or repeated header, and the unrecognised ones', async () => {
    const res = await upload(await rosterXlsx([rosterRow()], { headers: ['名字', '身份证', '联系电话', '联系电话'] }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const messages = res.json().errors.map((e: { path: string; message: string }) => `${e.path} ${e.message}`);
    expect(messages).toEqual([
      'body.file 列“联系电话”重复出现（第 3 列和第 4 列）',
      'body.file 缺少必需的列“姓名”（也可用：残疾人姓名）',
      'body.file 缺少必需的列“身份证号码”（也可用：公民身份号码、身份证号、居民身份证号码）',
      'body.file 未识别的列：名字、身份证',
    ]);
  });

  it('refuses a file over the size limit with 413', async () => {
    const res = await upload(Buffer.concat([Buffer.from('姓名,身份证号码\r\n'), Buffer.alloc(210_000, 0x41)]), 'big.csv');
    expect(res.statusCode).toBe(413);
    expect(res.json().detail).toContain('文件超过大小上限 200000 字节');
  });

  it('refuses bytes that are not XLSX but are named .xlsx', async () => {
    const res = await upload(Buffer.from('姓名,身份证号码\r\n张三,640104199001011234\r\n'), 'roster.xlsx');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ path: 'body.file', code: 'not_xlsx' });
    expect(res.json().detail).toContain('内容不是 XLSX');
  });

  it('refuses a zip bomb (an entry inflating far beyond its size) before reading it', async () => {
    const res = await upload(zipBomb(), 'roster.xlsx');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ path: 'body.file', code: 'zip_bomb' });
    expect(res.json().detail).toContain('压缩炸弹');
  });

  it('refuses a zip whose entry lies about its size', async () => {
    const res = await upload(zipBomb({ lie: true }), 'roster.xlsx');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ code: 'zip_bomb' });
  });
});

describe('export', () => {
  it('exports subjects matching a filter in the template, and importing the export changes nothing', async () => {
    const township = `往返街道${Date.now()}`;
    const a = await dryRun(await rosterXlsx([
      rosterRow({ '乡镇(街道)': township, 户号: `RT-${Date.now()}`, 监护人姓名: '张父', 监护人电话: '13600000000', 同意共享: '是' }),
      rosterRow({ '乡镇(街道)': township, 详细地址: '同址路8号' }),
      rosterRow({ '乡镇(街道)': township, 详细地址: '同址路8号', 备注: '行动不便' }),
    ]));
    await commit(a.id);
    await until(a.id, 'committed');
    await makeSubject(stack.db, { county: '640104', township, householdId: null });
    const res = await stack.app.inject({ method: 'GET', url: `/v1/subjects/export?township=${encodeURIComponent(township)}`, headers: coord.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as never);
    expect(wb.worksheets[0].rowCount).toBe(3 + 4);
    const before = await stack.db.select().from(subjects).where(eq(subjects.township, township));
    const v = await dryRun(res.rawPayload, '服务对象名册.xlsx');
    expect(v.counts).toEqual({ create: 0, update: 0, unchanged: 4, rejected: 0 });
    await commit(v.id);
    await until(v.id, 'committed');
    const after = await stack.db.select().from(subjects).where(eq(subjects.township, township));
    expect(after.map((s) => [s.id, s.updatedAt.getTime(), s.householdId]).sort()).toEqual(before.map((s) => [s.id, s.updatedAt.getTime(), s.householdId]).sort());
    const reads = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, coord.id), eq(auditLog.action, 'personal_data.read')));
    expect(reads.some((r) => (r.detail as { export?: boolean }).export === true)).toBe(true);
  });

  it('is for coordinators only', async () => {
    const admin = await makeUser(stack.db, 'admin');
    expect((await stack.app.inject({ method: 'GET', url: '/v1/subjects/export', headers: admin.auth })).statusCode).toBe(403);
  });
});

/** A minimal XLSX-looking zip whose sheet inflates to 50 MB (ratio ~1000:1); `lie` declares 1 KB instead. */
function zipBomb(opts: { lie?: boolean } = {}): Buffer {
  const entries: { name: string; data: Buffer; size: number }[] = [
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>'), size: 8 },
    { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>'), size: 11 },
    { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(50 * 1024 * 1024, 0x20), size: opts.lie ? 1024 : 50 * 1024 * 1024 },
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const comp = deflateRawSync(e.data);
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(comp.length, 18); local.writeUInt32LE(e.size, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(comp.length, 20); central.writeUInt32LE(e.size, 24); central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, comp);
    centrals.push(central, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(entries.length, 8); eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
