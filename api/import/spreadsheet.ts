/**
 * Reading an uploaded roster (XLSX or CSV) safely, row by row.
 *
 * An XLSX is a zip: before its XML is parsed, {@link inspectXlsx} reads the zip's central directory
 * (entry count, declared sizes, compression ratio) and then inflates every entry with a hard cap on
 * the bytes produced, so a zip bomb or a lying header is refused having cost at most the cap. That
 * inflation is streamed and discarded (a 100,000-row sheet is ~70 MB of XML; holding it costs
 * twice that). The first worksheet is then read as a stream (inflate → UTF-8 decoder → SAX) with
 * its shared strings (also streamed, held compactly). Not exceljs's streaming reader: it decodes each inflated chunk on its own, so a Chinese
 * character split across two chunks comes out as U+FFFD (seen on a 100-row roster), and it skips
 * merged cells. CSV is UTF-8 (with or without BOM) or, as Excel on Chinese Windows saves it, GB18030.
 */
import { StringDecoder } from 'node:string_decoder';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
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

/** The entries of a checked XLSX, by name. */
export type XlsxEntries = Map<string, ZipEntry>;

/** Where an entry's compressed bytes are. */
function entryData(buf: Buffer, e: ZipEntry): Buffer {
  if (e.localOffset + 30 > buf.length || buf.readUInt32LE(e.localOffset) !== 0x04034b50) throw new FileRejected('not_xlsx', '文件不是有效的 XLSX（zip 条目已损坏）');
  const start = e.localOffset + 30 + buf.readUInt16LE(e.localOffset + 26) + buf.readUInt16LE(e.localOffset + 28);
  return buf.subarray(start, start + e.compressed);
}

/** Bytes of inflated output handed on at a time (the zip's entries are never inflated whole into memory). */
const INFLATE_CHUNK = 64 * 1024;

/**
 * An entry's inflated bytes, chunk by chunk, never more than it declared nor more than `room`: the
 * stream stops as soon as it would exceed either (a zip bomb costs at most one chunk past the cap).
 */
async function* inflateChunks(buf: Buffer, e: ZipEntry, room: number): AsyncGenerator<Buffer> {
  const data = entryData(buf, e);
  const cap = Math.min(e.uncompressed, room);
  if (e.method === 0) {
    if (data.length > cap) throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 超过其声明的大小，疑为压缩炸弹`);
    for (let at = 0; at < data.length; at += INFLATE_CHUNK) yield data.subarray(at, at + INFLATE_CHUNK);
    return;
  }
  const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
  inflate.end(data);
  let total = 0;
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap) throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 解压后超过其声明的大小，疑为压缩炸弹`);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof FileRejected) throw err;
    throw new FileRejected('not_xlsx', `文件不是有效的 XLSX（条目 ${e.name} 无法解压）`);
  } finally {
    inflate.destroy();
  }
}

/**
 * Checks an XLSX's zip structure and sizes, and inflates each entry under a cap (its declared size,
 * and the running total), counting and discarding the bytes, so that nothing read later can inflate
 * beyond what was checked. Costs one inflate chunk of memory, whatever the entries' sizes.
 */
export async function inspectXlsx(buf: Buffer): Promise<XlsxEntries> {
  const entries = centralDirectory(buf);
  const byName: XlsxEntries = new Map(entries.map((e) => [e.name, e]));
  if (!byName.has('[Content_Types].xml') || !byName.has('xl/workbook.xml')) {
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
  let inflated = 0;
  for (const e of entries) {
    if (e.method !== 0 && e.method !== 8) throw new FileRejected('not_xlsx', `文件不是有效的 XLSX（条目 ${e.name} 的压缩方式不受支持）`);
    let size = 0;
    for await (const chunk of inflateChunks(buf, e, XLSX_LIMITS.maxInflatedBytes - inflated)) size += chunk.length;
    if (size !== e.uncompressed) throw new FileRejected('zip_bomb', `XLSX 条目 ${e.name} 解压后大小与声明不符，疑为压缩炸弹`);
    inflated += size;
  }
  return byName;
}

/** An entry's text, decoded as UTF-8 chunk by chunk (a character split across two chunks stays whole). */
async function* entryText(buf: Buffer, e: ZipEntry): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of inflateChunks(buf, e, e.uncompressed)) yield decoder.write(chunk);
  yield decoder.end();
}

/** One raw row: its sheet row number, cell texts by column index, and the columns holding formulas. */
export interface RawRow { rowNumber: number; cells: string[]; formulaColumns: number[] }

/** Streams an XML entry through SAX, calling `on` for each open tag, text and close tag. */
async function parseXml(buf: Buffer, e: ZipEntry | undefined, on: { open?: (t: SaxesTagPlain) => void; text?: (s: string) => void; close?: (t: SaxesTagPlain) => void }): Promise<void> {
  if (!e) return;
  const p = new SaxesParser();
  if (on.open) p.on('opentag', on.open);
  if (on.text) p.on('text', on.text);
  if (on.close) p.on('closetag', on.close);
  for await (const s of entryText(buf, e)) p.write(s);
  p.close();
}

/** The path of the workbook's first worksheet (workbook.xml order, resolved through its rels). */
async function firstSheetPath(buf: Buffer, entries: XlsxEntries): Promise<string> {
  let relId: string | undefined;
  await parseXml(buf, entries.get('xl/workbook.xml'), { open: (t) => { if (t.name === 'sheet' && relId === undefined) relId = String(t.attributes['r:id'] ?? ''); } });
  let target: string | undefined;
  await parseXml(buf, entries.get('xl/_rels/workbook.xml.rels'), { open: (t) => { if (t.name === 'Relationship' && t.attributes.Id === relId) target = String(t.attributes.Target); } });
  const path = target ? (target.startsWith('/') ? target.slice(1) : `xl/${target}`) : 'xl/worksheets/sheet1.xml';
  if (!entries.has(path)) throw new FileRejected('unreadable', 'XLSX 文件中找不到第一个工作表');
  return path;
}

/** Shared strings per block: one flat string and the end offset of each entry. */
const SST_BLOCK = 4096;

/**
 * The shared string table, held compactly: a DPF export of 100,000 rows has ~10 distinct strings per
 * row, and a million separate JS strings (with their headers and an array of pointers) cost several
 * times their text. Each block of {@link SST_BLOCK} entries is one flat string plus an Int32Array of
 * end offsets; {@link SharedStrings.get} slices one entry out.
 */
export class SharedStrings {
  private readonly blocks: string[] = [];
  private readonly ends: Int32Array[] = [];
  private pending: string[] = [];
  private count = 0;

  push(s: string): void {
    this.pending.push(s);
    this.count++;
    if (this.pending.length === SST_BLOCK) this.seal();
  }

  /** Joins the pending entries into a block. */
  seal(): void {
    if (this.pending.length === 0) return;
    const ends = new Int32Array(this.pending.length);
    let at = 0;
    this.pending.forEach((p, i) => { at += p.length; ends[i] = at; });
    this.blocks.push(this.pending.join('')); // join builds one flat string: the pieces can go
    this.ends.push(ends);
    this.pending = [];
  }

  get size(): number { return this.count; }

  get(i: number): string | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    const b = Math.floor(i / SST_BLOCK);
    const k = i % SST_BLOCK;
    if (b >= this.blocks.length) return this.pending[k];
    const ends = this.ends[b];
    return this.blocks[b].slice(k === 0 ? 0 : ends[k - 1], ends[k]);
  }
}

/** The shared string table (rich text runs joined; phonetic runs left out), streamed. */
async function sharedStrings(buf: Buffer, entries: XlsxEntries): Promise<SharedStrings> {
  const out = new SharedStrings();
  let current = '';
  let inT = false;
  let inPhonetic = false;
  await parseXml(buf, entries.get('xl/sharedStrings.xml'), {
    open: (t) => { if (t.name === 'si') current = ''; else if (t.name === 't') inT = true; else if (t.name === 'rPh') inPhonetic = true; },
    text: (s) => { if (inT && !inPhonetic) current += s; },
    close: (t) => { if (t.name === 'si') out.push(current); else if (t.name === 't') inT = false; else if (t.name === 'rPh') inPhonetic = false; },
  });
  out.seal();
  return out;
}

/** Column index (0-based) of a cell reference: B5 → 1. */
function columnOf(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const c = ch.charCodeAt(0);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n - 1;
}

/** Rows of the first worksheet of a checked XLSX, streamed; the sheet's merged ranges go to `sink` at the end. */
export async function* xlsxRows(buf: Buffer, sink: { merged?: MergedRange[] }): AsyncGenerator<RawRow> {
  const entries = await inspectXlsx(buf);
  const sheet = entries.get(await firstSheetPath(buf, entries))!;
  const strings = await sharedStrings(buf, entries);
  const ready: RawRow[] = [];
  const merged: MergedRange[] = [];
  let row: RawRow | undefined;
  let cell: { col: number; type: string; value: string; inline: string; formula: boolean } | undefined;
  let into: 'v' | 't' | undefined;
  let nextRow = 1;
  const p = new SaxesParser();
  p.on('opentag', (t) => {
    switch (t.name) {
      case 'row': row = { rowNumber: Number(t.attributes.r ?? nextRow), cells: [], formulaColumns: [] }; nextRow = row.rowNumber + 1; break;
      case 'c': cell = { col: t.attributes.r ? columnOf(String(t.attributes.r)) : row?.cells.length ?? 0, type: String(t.attributes.t ?? 'n'), value: '', inline: '', formula: false }; break;
      case 'f': if (cell) cell.formula = true; break;
      case 'v': into = 'v'; break;
      case 't': into = 't'; break;
      case 'mergeCell': {
        const m = /^([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(String(t.attributes.ref ?? ''));
        if (m) merged.push({ ref: `${m[1]}${m[2]}:${m[3]}${m[4]}`, top: Number(m[2]), bottom: Number(m[4]) });
        break;
      }
    }
  });
  p.on('text', (s) => {
    if (!cell) return;
    if (into === 'v') cell.value += s;
    else if (into === 't') cell.inline += s;
  });
  p.on('closetag', (t) => {
    if (t.name === 'v' || t.name === 't') into = undefined;
    else if (t.name === 'c' && cell && row) {
      const text = cell.type === 's' ? strings.get(Number(cell.value)) ?? ''
        : cell.type === 'inlineStr' ? cell.inline
          : cell.type === 'b' ? (cell.value === '1' ? '是' : '否')
            : cell.value;
      for (let i = row.cells.length; i < cell.col; i++) row.cells[i] = '';
      row.cells[cell.col] = text;
      if (cell.formula) row.formulaColumns.push(cell.col);
      cell = undefined;
    } else if (t.name === 'row' && row) {
      ready.push(row);
      row = undefined;
    }
  });
  try {
    for await (const text of entryText(buf, sheet)) {
      p.write(text);
      if (ready.length > 0) yield* ready.splice(0);
    }
    p.close();
    yield* ready.splice(0);
  } catch (e) {
    if (e instanceof FileRejected) throw e;
    throw new FileRejected('unreadable', `XLSX 文件无法读取：${(e as Error).message.slice(0, 200)}`);
  }
  sink.merged = merged;
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
  return xlsxRows(bytes, sink);
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
