/** Reading rosters: Chinese text across inflate chunks, GB18030 CSV, header mapping. */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { csvRows, decodeCsv, FileRejected, mapHeaders, rosterRows } from '../../../api/import/spreadsheet';

async function streamedXlsx(names: string[], useSharedStrings = false): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings, useStyles: false });
  const ws = wb.addWorksheet('名册');
  ws.addRow(['姓名', '详细地址']).commit();
  for (const [i, n] of names.entries()) ws.addRow([n, `幸福路${i}号`]).commit();
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

describe('roster spreadsheets', () => {
  it('reads every Chinese character of a 3,000-row sheet intact (no character split between inflate chunks)', async () => {
    const names = Array.from({ length: 3000 }, (_, i) => ['张', '王', '李', '马', '赵'][i % 5] + ['伟', '芳', '强', '丽', '军'][Math.floor(i / 5) % 5]);
    const read: string[] = [];
    for await (const r of rosterRows(await streamedXlsx(names), 'xlsx')) if (r.rowNumber > 1) read.push(r.cells[0]);
    expect(read).toEqual(names);
  });

  it("reads a sheet of shared strings (as in the DPF's own exports) with every one of 20,000 distinct strings in its cell", async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `${['张', '王', '李'][i % 3]}${i}`);
    const file = await streamedXlsx(names, true);
    expect(file.includes('xl/sharedStrings.xml')).toBe(true);
    const read: string[][] = [];
    for await (const r of rosterRows(file, 'xlsx')) if (r.rowNumber > 1) read.push(r.cells);
    expect(read).toEqual(names.map((n, i) => [n, `幸福路${i}号`]));
  });

  it('decodes a CSV saved by Excel on Chinese Windows (GB18030) and one in UTF-8 with BOM alike', () => {
    const text = '姓名,详细地址\r\n马丽,"文昌路5号, 2单元"\r\n';
    const utf8 = Buffer.from(`\uFEFF${text}`);
    // The same text in GB18030 (Node decodes GB18030 but cannot encode it).
    const gbBytes = Buffer.from('d0d5c3fb2ccfeacfb8b5d8d6b70d0ac2edc0f62c22cec4b2fdc2b735bac52c2032b5a5d4aa220d0a', 'hex');
    expect([...csvRows(decodeCsv(utf8))].map((r) => r.cells)).toEqual([['姓名', '详细地址'], ['马丽', '文昌路5号, 2单元']]);
    expect([...csvRows(decodeCsv(gbBytes))].map((r) => r.cells)).toEqual([['姓名', '详细地址'], ['马丽', '文昌路5号, 2单元']]);
  });

  it('finds the header row under a title, prefers 现住址 over 户籍地址, and names what is missing', () => {
    const rows = [
      { rowNumber: 1, cells: ['某区残疾人名册'], formulaColumns: [] },
      { rowNumber: 2, cells: ['姓名', '公民身份号码', '户籍地址', '现住址', '民族'], formulaColumns: [] },
    ];
    const m = mapHeaders(rows);
    expect(m.headerRow).toBe(2);
    expect(m.columns).toMatchObject({ name: 0, idNumber: 1, address: 3 });
    expect(m.ignored).toEqual(['户籍地址', '民族']);
    expect(() => mapHeaders([{ rowNumber: 1, cells: ['姓名', '电话'], formulaColumns: [] }])).toThrow(FileRejected);
  });
});
