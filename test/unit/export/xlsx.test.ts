/**
 * The streaming XLSX writer (api/export/xlsx.ts over api/export/zip.ts): what exceljs and the import's
 * own reader see in its files, that Chinese text and awkward characters come out as written, and that
 * it pulls rows only as fast as its output is read.
 */
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { columnLetters, streamXlsx } from '../../../api/export/xlsx';
import { crc32, zipChunks } from '../../../api/export/zip';
import { inspectXlsx } from '../../../api/import/spreadsheet';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const COLUMNS = [{ header: '姓名', width: 10 }, { header: '金额', width: 8 }, { header: '备注', width: 30 }];

async function* batches(rows: Array<Array<string | number | null>>, size: number) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

describe('crc32 and the zip writer', () => {
  it('computes the standard CRC-32 (and agrees with zlib where Node has it)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = Buffer.from('上门代办'.repeat(1000));
    expect(crc32(data.subarray(1000), crc32(data.subarray(0, 1000)))).toBe(crc32(data));
    const native = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
    if (native) expect(crc32(data)).toBe(native(data));
  });

  it('writes a zip whose central directory, sizes and deflated data check out', async () => {
    const big = 'x'.repeat(200_000);
    const parts: Buffer[] = [];
    for await (const c of zipChunks([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'xl/workbook.xml', data: (async function* () { yield big.slice(0, 100_000); yield Buffer.from(big.slice(100_000)); })() },
    ])) parts.push(c);
    const zip = Buffer.concat(parts);
    const entries = await inspectXlsx(zip); // checks each entry inflates to exactly its declared size
    expect([...entries.keys()]).toEqual(['[Content_Types].xml', 'xl/workbook.xml']);
    const entry = entries.get('xl/workbook.xml')!;
    expect(entry).toMatchObject({ method: 8, uncompressed: 200_000 });
    // The central directory's CRC is the CRC of the inflated bytes.
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const second = zip.readUInt32LE(eocd + 16) + 46 + '[Content_Types].xml'.length;
    const start = entry.localOffset + 30 + zip.readUInt16LE(entry.localOffset + 26);
    const inflated = zlib.inflateRawSync(zip.subarray(start, start + entry.compressed));
    expect(inflated.toString()).toBe(big);
    expect(zip.readUInt32LE(second + 16)).toBe(crc32(inflated));
  });
});

describe('streamXlsx', () => {
  const rows: Array<Array<string | number | null>> = Array.from({ length: 3_000 }, (_, i) => [
    `张${'三李四王五'[i % 5]}${i}`, i * 1.5, i % 7 === 0 ? null : `备注：残疾人证换领（第${i}件）`,
  ]);
  rows.push(['A&B <c> "d"', -0, '  前后空格  '], ['控制\u0001字符\u001f', 42, '😀 emoji 与 生僻字 𠀀']);

  it('is a workbook exceljs reads: title and subtitle merged, header bold and frozen, numbers as numbers, Chinese intact', async () => {
    const bytes = await bytesOf(streamXlsx({ sheetName: '工作台账', title: '上门代办工作台账', subtitle: '填报单位：兴庆区残联 统计期间：2024年5月', columns: COLUMNS, rows: batches(rows, 250) }));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as never);
    const ws = wb.getWorksheet('工作台账')!;
    expect(ws.getCell('A1').value).toBe('上门代办工作台账');
    expect(ws.getCell('A1').font?.bold).toBe(true);
    expect(ws.getCell('A1').font?.size).toBe(16);
    expect(ws.getCell('A1').isMerged && ws.getCell('C1').isMerged).toBe(true);
    expect(ws.getCell('A2').value).toBe('填报单位：兴庆区残联 统计期间：2024年5月');
    expect(ws.getCell('C2').master.address).toBe('A2');
    expect(ws.getRow(3).values).toEqual([undefined, '姓名', '金额', '备注']);
    expect(ws.getCell('B3').font?.bold).toBe(true);
    expect(ws.getCell('B3').border?.top?.style).toBe('thin');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect(ws.getColumn(3).width).toBe(30);
    expect(ws.rowCount).toBe(3 + rows.length);
    for (const i of [0, 1, 7, 2_999]) {
      const got = ws.getRow(4 + i).values as unknown[];
      expect(got.slice(1)).toEqual(rows[i].map((v) => v ?? undefined).slice(0, rows[i][2] === null ? 2 : 3));
    }
    expect(typeof ws.getCell('B5').value).toBe('number');
    expect(ws.getRow(4 + 3_000).values).toEqual([undefined, 'A&B <c> "d"', 0, '  前后空格  ']);
    expect(ws.getRow(4 + 3_001).values).toEqual([undefined, '控制字符', 42, '😀 emoji 与 生僻字 𠀀']);
  });

  it('pulls rows no faster than the file is read (backpressure), and ends the stream with the rows\' error', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Array.from({ length: 500 }, (_, i) => [`行${pulled}-${i}`, i, '残疾人两项补贴']);
      }
    }
    const stream = streamXlsx({ sheetName: 's', title: 't', subtitle: 'u', columns: COLUMNS, rows: endless() });
    stream.once('data', () => stream.pause());
    await new Promise((r) => setTimeout(r, 300));
    const early = pulled;
    await new Promise((r) => setTimeout(r, 300));
    expect(pulled).toBe(early); // nothing more is read while nobody reads the file
    expect(early).toBeLessThan(50);
    stream.destroy();

    async function* failing() {
      yield [['一行', 1, null]];
      throw new Error('cursor lost');
    }
    await expect(bytesOf(streamXlsx({ sheetName: 's', title: 't', subtitle: 'u', columns: COLUMNS, rows: failing() }))).rejects.toThrow('cursor lost');
  });

  it('names columns past Z as a spreadsheet does', () => {
    expect([1, 26, 27, 52, 53, 702, 703].map(columnLetters)).toEqual(['A', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
  });
});
