/**
 * Spreadsheet exports. The ledger streams (exceljs's streaming WorkbookWriter: each row is committed
 * and flushed as it is written, so 100,000 rows never sit in memory as a workbook); CSV starts with a
 * UTF-8 BOM so Excel opens Chinese text correctly. The statistics table is small and laid out like a
 * government form (title, 填报单位, 统计期间, two header rows, 合计, signature footer).
 */
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/** A column: header text and width in characters. */
export interface Column { header: string; width: number }

const thin = { style: 'thin' as const };
const BORDER = { top: thin, left: thin, bottom: thin, right: thin };
const CENTER = { vertical: 'middle' as const, horizontal: 'center' as const, wrapText: true };

/** Content-Disposition for a download with a Chinese file name (RFC 6266 / 5987) and an ASCII fallback. */
export function attachment(fileName: string, asciiFallback: string): string {
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';

/**
 * Streams a sheet: a merged title row, a merged subtitle row (unit, period), the header row, then
 * rows from `rows` (batches), each committed at once. Errors end the stream with the error.
 */
export function streamXlsx(opts: {
  sheetName: string; title: string; subtitle: string; columns: Column[]; rows: AsyncIterable<Array<Array<string | number | null>>>;
}): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(opts.sheetName, { views: [{ state: 'frozen', ySplit: 3 }] });
  ws.columns = opts.columns.map((c) => ({ width: c.width }));
  const n = opts.columns.length;
  void (async () => {
    const title = ws.addRow([opts.title]);
    title.font = { bold: true, size: 16 };
    title.alignment = CENTER;
    title.height = 28;
    ws.mergeCells(1, 1, 1, n);
    title.commit();
    const sub = ws.addRow([opts.subtitle]);
    ws.mergeCells(2, 1, 2, n);
    sub.commit();
    const head = ws.addRow(opts.columns.map((c) => c.header));
    head.font = { bold: true };
    head.eachCell((cell) => { cell.border = BORDER; cell.alignment = CENTER; });
    head.commit();
    for await (const batch of opts.rows) {
      for (const values of batch) {
        const row = ws.addRow(values);
        // Data cells stay unstyled: per-cell styles cost more than the rest of the export.
        row.commit();
      }
      // Backpressure: wait while the client has not taken what is already written (memory stays flat).
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    ws.commit();
    await wb.commit();
  })().catch((e: Error) => out.destroy(e));
  return out;
}

/**
 * One CSV field, quoted when it must be (RFC 4180). Text beginning with = + - @ (or a tab or carriage
 * return) would run as a formula in a spreadsheet: it gets a leading apostrophe, which spreadsheets show
 * as text (OWASP's advice for CSV injection). Numbers stay numbers.
 */
export function csvField(v: string | number | null): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams CSV: a UTF-8 BOM, the header line, then the rows (CRLF line ends, as Excel writes them). */
export function streamCsv(headers: string[], rows: AsyncIterable<Array<Array<string | number | null>>>): Readable {
  async function* lines() {
    yield '\uFEFF' + headers.map(csvField).join(',') + '\r\n';
    for await (const batch of rows) yield batch.map((r) => r.map(csvField).join(',')).join('\r\n') + (batch.length ? '\r\n' : '');
  }
  return Readable.from(lines());
}

/** The government-form statistics table. */
export interface FormTable {
  title: string;
  unit: string;
  period: string;
  /** Header groups over the columns: [label, span]; a span of 1 with `rowSpan` merges down both header rows. */
  groups: Array<{ label: string; span: number }>;
  columns: Column[];
  rows: Array<Array<string | number>>;
  totals: Array<string | number>;
  footer: string[];
}

/** Builds the statistics form as an XLSX buffer. */
export async function formXlsx(t: FormTable): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'doorstep';
  const ws = wb.addWorksheet('工作情况统计表', { pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1 } });
  const n = t.columns.length;
  ws.columns = t.columns.map((c) => ({ width: c.width }));
  ws.addRow([t.title]);
  ws.mergeCells(1, 1, 1, n);
  Object.assign(ws.getRow(1), { height: 30 });
  ws.getCell(1, 1).font = { bold: true, size: 16 };
  ws.getCell(1, 1).alignment = CENTER;
  ws.addRow([`填报单位：${t.unit}`]);
  ws.mergeCells(2, 1, 2, Math.ceil(n / 2));
  ws.getCell(2, Math.ceil(n / 2) + 1).value = `统计期间：${t.period}`;
  ws.mergeCells(2, Math.ceil(n / 2) + 1, 2, n);
  // Two header rows: group labels above, column labels below; single columns merge down.
  const top: string[] = [];
  for (const g of t.groups) for (let i = 0; i < g.span; i++) top.push(g.label);
  ws.addRow(top);
  ws.addRow(t.columns.map((c) => c.header));
  let col = 1;
  for (const g of t.groups) {
    if (g.span === 1 && g.label === t.columns[col - 1].header) ws.mergeCells(3, col, 4, col);
    else if (g.span > 1) ws.mergeCells(3, col, 3, col + g.span - 1);
    col += g.span;
  }
  for (const r of [3, 4]) {
    ws.getRow(r).eachCell((cell) => { cell.font = { bold: true }; cell.alignment = CENTER; cell.border = BORDER; });
  }
  for (const values of t.rows) ws.addRow(values).eachCell((cell) => { cell.border = BORDER; });
  const totals = ws.addRow(t.totals);
  totals.font = { bold: true };
  totals.eachCell((cell) => { cell.border = BORDER; });
  ws.addRow([]);
  ws.addRow(t.footer);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
