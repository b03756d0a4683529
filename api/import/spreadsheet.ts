/**
 * Reading an uploaded roster (XLSX or CSV) safely, row by row.
 *
 * An XLSX is a zip: before exceljs sees it, {@link inspectXlsx} reads the zip's central directory
 * (entry count, declared sizes, compression ratio) and then inflates every entry with a hard cap on
 * the bytes produced, so a zip bomb or a lying header is refused having cost at most the cap. The
 * same pass finds merged cells (exceljs's streaming reader skips them). CSV is UTF-8 (with or without
 * BOM) or, as Excel on Chinese Windows saves it, GB18030.
 */
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { normaliseHeader, ROSTER_COLUMNS, rosterColumnFor, type RosterField } from '../../domain/subjectTemplate';

/** Why a file was refused as a whole (before any row is looked at). */
export class FileRejected extends Error {
  constructor(public readonly reason: 'not_xlsx' | 'zip_bomb' | 'unreadable' | 'headers' | 'empty' | 'format', message: string, public readonly details: string[] = []) {
    super(message);
  }
}

/** Limits on what an XLSX may unpack to. */
export const XLSX_LIMITS = Object.freeze({
  maxEntries: 1000,
  /** Sum of all inflated entries: a 100,000-row roster's sheet is ~40 MB. */
  maxInflatedBytes: 300 * 1024 * 1024,
  /** Inflated/compressed ratio above which an entry larger than 1 MB is a bomb (real sheets: 5–30). */
  maxRatio: 200,
});

export type RosterFormat = 'xlsx' | 'csv';

/** Which format the bytes are, given the file name; a name that promises XLSX must hold a zip. */
export function detectFormat(bytes: Buffer, fileName: string): RosterFormat {
  const isZip = bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (ext === 'xlsx' || ext === 'xlsm') {
    if (!isZip) throw new FileRejected('not_xlsx', `文件名为 .${ext}，但内容不是 XLSX 文件（可能是改了扩展名的其他文件）`);
    return 'xlsx';
  }
  if (ext === 'xls') throw new FileRejected('format', '不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx');
  if (isZip) return 'xlsx';
  if (ext === 'csv' || ext === 'txt' || ext === undefined) return 'csv';
  throw new FileRejected('format', `不支持的文件类型 .${ext}，请上传 .xlsx 或 .csv`);
}

/** A merged range's rows (1-based, inclusive) and its A1 reference. */
export interface MergedRange { ref: string; top: number; bottom: number }

interface ZipEntry { name: string; method: number; compressed: number; uncompressed: number; localOffset: number }

function centralDirectory(buf: Buffer): ZipEntry[] {
  // End of central directory: the last 22..65557 bytes.
  const from = Math.max(0, buf.length - 65_557);
  let eocd = -1;
  for (let i = buf.length - 22; i >= from; i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new FileRejected('not_xlsx', '文件不是有效的 XLSX（zip 目录缺失或已损坏）');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count > XLSX_LIMITS.maxEntries) throw new FileRejected('zip_bomb', `XLSX 内含 ${count} 个条目，超过上限 ${XLSX_LIMITS.maxEntries}`);
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new FileRejected('not_xlsx', '文件不是有效的 XLSX（zip 目录已损坏）');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
      method: buf.readUInt16LE(p + 10),
      compressed: buf.readUInt32LE(p + 20),
      uncompressed: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Checks an XLSX's zip structure and sizes, inflates each entry under a cap (declared size, and the
 * running total), and returns the merged ranges of each worksheet (by sheet number).
 */
export function inspectXlsx(buf: Buffer): Map<string, MergedRange[]> {
  const entries = centralDirectory(buf);
  const names = new Set(entries.map((e) => e.name));
  if (!names.has('[Content_Types].xml') || !names.has('xl/workbook.xml')) {
    throw new FileRejected('not_xlsx', '文件不是有效的 XLSX（缺少工作簿，可能是其他 zip 文件）');
  }
  let declared = 0;
  for (const e of entries) {
    declared += e.uncompressed;
    if (e.uncompressed > 1024 * 1024 && e.uncompressed / Math.max(1, e.compressed) > XLSX_LIMITS.maxRatio) {
      throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 压缩比异常（${Math.round(e.uncompressed / Math.max(1, e.compressed))}:1），疑为压缩炸弹`);
    }
  }
  if (declared > XLSX_LIMITS.maxInflatedBytes) throw new FileRejected('zip_bomb', `XLSX 解压后共 ${declared} 字节，超过上限 ${XLSX_LIMITS.maxInflatedBytes} 字节`);
  const merges = new Map<string, MergedRange[]>();
  let inflated = 0;
  for (const e of entries) {
    if (e.localOffset + 30 > buf.length || buf.readUInt32LE(e.localOffset) !== 0x04034b50) throw new FileRejected('not_xlsx', '文件不是有效的 XLSX（zip 条目已损坏）');
    const start = e.localOffset + 30 + buf.readUInt16LE(e.localOffset + 26) + buf.readUInt16LE(e.localOffset + 28);
    const data = buf.subarray(start, start + e.compressed);
    let out: Buffer;
    try {
      // Never produce more than the entry declared (a lying header is a bomb too), nor more than the total allows.
      const cap = Math.min(e.uncompressed, XLSX_LIMITS.maxInflatedBytes - inflated);
      out = e.method === 0 ? data : inflateRawSync(data, { maxOutputLength: Math.max(1, cap) });
    } catch (err) {
      if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 解压后超过其声明的大小，疑为压缩炸弹`);
      }
      throw new FileRejected('not_xlsx', `文件不是有效的 XLSX（条目 ${e.name} 无法解压）`);
    }
    if (out.length !== e.uncompressed) throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 解压后大小与声明不符，疑为压缩炸弹`);
    inflated += out.length;
    const sheet = /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(e.name);
    if (sheet) merges.set(sheet[1], mergedRanges(out));
  }
  return merges;
}

/** The <mergeCell ref="A5:B6"/> ranges at the end of a sheet's XML. */
function mergedRanges(xml: Buffer): MergedRange[] {
  const at = xml.indexOf('<mergeCells');
  if (at < 0) return [];
  const tail = xml.toString('utf8', at, xml.indexOf('</mergeCells>', at) + 13 || undefined);
  const out: MergedRange[] = [];
  for (const m of tail.matchAll(/<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"/g)) {
    out.push({ ref: `${m[1]}${m[2]}:${m[3]}${m[4]}`, top: Number(m[2]), bottom: Number(m[4]) });
  }
  return out;
}

/** One raw row: its sheet row number, cell texts by column index, and the columns holding formulas. */
export interface RawRow { rowNumber: number; cells: string[]; formulaColumns: number[] }

/** A cell's value as the text a user sees. */
function cellText(v: ExcelJS.CellValue): { text: string; formula: boolean } {
  if (v === null || v === undefined) return { text: '', formula: false };
  if (typeof v === 'string') return { text: v, formula: false };
  if (typeof v === 'number') return { text: Number.isSafeInteger(v) || !Number.isInteger(v) ? String(v) : BigInt(v).toString(), formula: false };
  if (typeof v === 'boolean') return { text: v ? '是' : '否', formula: false };
  if (v instanceof Date) return { text: v.toISOString().slice(0, 10), formula: false };
  if (typeof v === 'object') {
    if ('formula' in v || 'sharedFormula' in v) return { text: cellText((v as { result?: ExcelJS.CellValue }).result ?? null).text, formula: true };
    if ('richText' in v) return { text: v.richText.map((t) => t.text).join(''), formula: false };
    if ('text' in v) return { text: String((v as { text: unknown }).text), formula: false };
    if ('error' in v) return { text: String(v.error), formula: false };
  }
  return { text: String(v), formula: false };
}

/** Rows of the first worksheet of an XLSX (inspect it first), and the merged ranges of that sheet. */
export async function* xlsxRows(buf: Buffer, merges: Map<string, MergedRange[]>, sink: { merged?: MergedRange[] }): AsyncGenerator<RawRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(buf), {
    worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore', entries: 'ignore',
  });
  try {
    for await (const sheet of reader) {
      sink.merged = merges.get(String((sheet as unknown as { id: number | string }).id)) ?? [];
      for await (const row of sheet) {
        const cells: string[] = [];
        const formulaColumns: number[] = [];
        const values = row.values as ExcelJS.CellValue[];
        for (let c = 1; c < values.length; c++) {
          const t = cellText(values[c]);
          cells[c - 1] = t.text;
          if (t.formula) formulaColumns.push(c - 1);
        }
        for (let c = 0; c < cells.length; c++) cells[c] ??= '';
        yield { rowNumber: row.number, cells, formulaColumns };
      }
      return; // the first worksheet only
    }
  } catch (e) {
    if (e instanceof FileRejected) throw e;
    throw new FileRejected('unreadable', `XLSX 文件无法读取：${(e as Error).message.slice(0, 200)}`);
  }
}

/** Decodes CSV bytes: UTF-8 when valid (BOM dropped), else GB18030 (Excel's "CSV" on Chinese Windows). */
export function decodeCsv(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function* csvRows(text: string): Generator<RawRow> {
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let rowNumber = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(field); field = ''; i++; continue; }
    if (ch === '\r' || ch === '\n') {
      row.push(field);
      yield { rowNumber, cells: row, formulaColumns: [] };
      rowNumber++;
      row = []; field = '';
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch; i++;
  }
  if (field !== '' || row.length > 0) yield { rowNumber, cells: [...row, field], formulaColumns: [] };
}

/** The rows of a roster file, whatever its format. */
export function rosterRows(bytes: Buffer, format: RosterFormat, sink: { merged?: MergedRange[] } = {}): AsyncIterable<RawRow> | Iterable<RawRow> {
  if (format === 'csv') {
    sink.merged = [];
    return csvRows(decodeCsv(bytes));
  }
  const merges = inspectXlsx(bytes);
  return xlsxRows(bytes, merges, sink);
}

/** How the columns of a file map onto roster fields. */
export interface HeaderMapping {
  /** Sheet row number of the header row. */
  headerRow: number;
  /** Column index → field. */
  columns: Partial<Record<RosterField, number>>;
  /** The file's headers, by column index (for the error report). */
  headers: string[];
  /** Headers not recognised (ignored). */
  ignored: string[];
}

/** How many rows at the top may come before the header row (a title, a unit line). */
const HEADER_SEARCH_ROWS = 10;

const isBlank = (cells: string[]): boolean => cells.every((c) => c.trim() === '');

/**
 * Finds the header row (the row among the first ten that names the most roster columns) and maps it.
 * Missing required columns and repeated headers are refused, naming each.
 */
export function mapHeaders(rows: RawRow[]): HeaderMapping {
  let best: RawRow | undefined;
  let bestHits = 0;
  for (const r of rows.slice(0, HEADER_SEARCH_ROWS)) {
    const hits = r.cells.filter((c) => rosterColumnFor(c)).length;
    if (hits > bestHits) { best = r; bestHits = hits; }
  }
  if (!best || rows.every((r) => isBlank(r.cells))) {
    if (rows.every((r) => isBlank(r.cells))) throw new FileRejected('empty', '文件为空，没有表头和数据');
  }
  const headers = best?.cells.map((c) => c.trim()) ?? [];
  const columns: Partial<Record<RosterField, number>> = {};
  const rank: Partial<Record<RosterField, number>> = {};
  const ignored: string[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  headers.forEach((h, i) => {
    if (h === '') return;
    const key = normaliseHeader(h);
    if (seen.has(key)) { problems.push(`列“${h}”重复出现（第 ${seen.get(key)! + 1} 列和第 ${i + 1} 列）`); return; }
    seen.set(key, i);
    const col = rosterColumnFor(h);
    if (!col) { ignored.push(h); return; }
    const r = [col.header, ...col.aliases].map(normaliseHeader).indexOf(key);
    // Two headers for one field (现住址 and 户籍地址): the one earlier in the preference order wins.
    if (columns[col.field] === undefined || r < rank[col.field]!) {
      if (columns[col.field] !== undefined) ignored.push(headers[columns[col.field]!]);
      columns[col.field] = i;
      rank[col.field] = r;
    } else {
      ignored.push(h);
    }
  });
  for (const c of ROSTER_COLUMNS) {
    if (c.required && columns[c.field] === undefined) {
      problems.push(`缺少必需的列“${c.header}”${c.aliases.length ? `（也可用：${c.aliases.join('、')}）` : ''}`);
    }
  }
  if (problems.length > 0) {
    const extra = ignored.length ? [`未识别的列：${ignored.join('、')}`] : [];
    throw new FileRejected('headers', `表头有误：${[...problems, ...extra].join('；')}`, [...problems, ...extra]);
  }
  return { headerRow: best!.rowNumber, columns, headers, ignored };
}

/** Reads just enough of a file to map its headers (the upload checks them before anything is stored). */
export async function readHeaders(bytes: Buffer, format: RosterFormat): Promise<HeaderMapping> {
  const head: RawRow[] = [];
  for await (const r of rosterRows(bytes, format)) {
    head.push(r);
    if (head.length >= HEADER_SEARCH_ROWS) break;
  }
  return mapHeaders(head);
}

/** True when a data row has nothing in any cell. */
export function isEmptyRow(r: RawRow): boolean {
  return isBlank(r.cells);
}
