/**
 * Spreadsheet exports. The ledger and the roster downloads stream through a writer of our own
 * ({@link streamXlsx}: sheet XML written as the rows arrive, inline strings, deflated by api/export/zip.ts),
 * so 100,000 rows never sit in memory: exceljs's streaming writer keeps every row until the end (its
 * peak was 353 MB on B4). CSV starts with a UTF-8 BOM so Excel opens Chinese text correctly. The
 * statistics table is small and laid out like a government form (title, 填报单位, 统计期间, two header
 * rows, 合计, signature footer): exceljs builds that one.
 */
import { Readable } from 'node:stream';
import { zipChunks } from './zip';

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

/** A1-style column letters of a 1-based column number. */
export function columnLetters(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

// Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/FFFF).
// eslint-disable-next-line no-control-regex -- matching those control characters is the point
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as XML character data. */
export function xmlText(v: string): string {
  return v.replace(XML_INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** Sheet XML goes to the zip in pieces of about this many characters. */
const PIECE_CHARS = 16_384;

/** Cell styles of the streamed sheet (xl/styles.xml cellXfs order). */
const STYLE = { plain: 0, title: 1, header: 2 } as const;

const STYLES_XML = `${XML_HEAD}<styleSheet xmlns="${NS_MAIN}">`
  + '<fonts count="3"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
  + '<font><b/><sz val="16"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
  + '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
  + '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
  + '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
  + '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>'
  + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
  + '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
  + '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
  + '<xf numFmtId="0" fontId="2" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf></cellXfs>'
  + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

/** The parts around the one worksheet: content types, relationships, workbook, styles. */
function packageParts(sheetName: string): Array<{ name: string; data: string }> {
  return [
    { name: '[Content_Types].xml', data: `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`
      + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      + '<Default Extension="xml" ContentType="application/xml"/>'
      + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
      + '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
      + '</Types>' },
    { name: '_rels/.rels', data: `${XML_HEAD}<Relationships xmlns="${NS_PKG_REL}">`
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
      + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
      + '</Relationships>' },
    { name: 'docProps/app.xml', data: `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>doorstep</Application></Properties>` },
    { name: 'xl/workbook.xml', data: `${XML_HEAD}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">`
      + `<bookViews><workbookView/></bookViews><sheets><sheet name="${xmlText(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>` },
    { name: 'xl/_rels/workbook.xml.rels', data: `${XML_HEAD}<Relationships xmlns="${NS_PKG_REL}">`
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
      + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
      + '</Relationships>' },
    { name: 'xl/styles.xml', data: STYLES_XML },
  ];
}

type CellValue = string | number | null | undefined;

/** One cell: a number as a number, text as an inline string, nothing for null. */
function cellXml(ref: string, v: CellValue, style: number): string {
  const s = style ? ` s="${style}"` : '';
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return style ? `<c r="${ref}"${s}/>` : '';
  if (typeof v === 'number') return `<c r="${ref}"${s}><v>${v}</v></c>`;
  const text = String(v);
  const space = /^\s|\s$/.test(text) ? ' xml:space="preserve"' : '';
  return `<c r="${ref}"${s} t="inlineStr"><is><t${space}>${xmlText(text)}</t></is></c>`;
}

/**
 * Streams a sheet: a merged title row, a merged subtitle row (unit, period), the header row (frozen
 * with the two above), then the rows of `rows` (batches) as they arrive, each batch written out and
 * deflated before the next is asked for (backpressure: nothing is read from the database faster than
 * the client takes the file). An error from `rows` ends the stream with the error.
 */
export function streamXlsx(opts: {
  sheetName: string; title: string; subtitle: string; columns: Column[]; rows: AsyncIterable<Array<Array<string | number | null>>>;
}): Readable {
  const n = opts.columns.length;
  const letters = Array.from({ length: Math.max(n, 1) }, (_, i) => columnLetters(i + 1));
  const last = letters[letters.length - 1];
  async function* sheet(): AsyncGenerator<string> {
    const cols = opts.columns.map((c, i) => `<col min="${i + 1}" max="${i + 1}" width="${c.width}" customWidth="1"/>`).join('');
    yield `${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">`
      + '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
      + '<sheetFormatPr defaultRowHeight="15"/>'
      + (cols ? `<cols>${cols}</cols>` : '')
      + '<sheetData>'
      + `<row r="1" ht="28" customHeight="1">${cellXml('A1', opts.title, STYLE.title)}</row>`
      + `<row r="2">${cellXml('A2', opts.subtitle, STYLE.plain)}</row>`
      + `<row r="3">${opts.columns.map((c, i) => cellXml(`${letters[i]}3`, c.header, STYLE.header)).join('')}</row>`;
    let r = 3;
    for await (const batch of opts.rows) {
      let xml = '';
      for (const values of batch) {
        r++;
        let cells = '';
        for (let i = 0; i < values.length; i++) cells += cellXml(`${letters[i] ?? columnLetters(i + 1)}${r}`, values[i], STYLE.plain);
        xml += `<row r="${r}">${cells}</row>`;
        // Out in small pieces: a piece dies young (V8's scavenger frees it), a whole batch's XML lived long
        // enough to be promoted, and the old space then grew with garbage (+68 MB against +30 MB on 100,000 rows).
        if (xml.length > PIECE_CHARS) { yield xml; xml = ''; }
      }
      if (xml) yield xml;
    }
    yield `</sheetData><mergeCells count="2"><mergeCell ref="A1:${last}1"/><mergeCell ref="A2:${last}2"/></mergeCells></worksheet>`;
  }
  return Readable.from(zipChunks([...packageParts(opts.sheetName), { name: 'xl/worksheets/sheet1.xml', data: sheet() }]));
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
  // Loaded when a form is asked for (~28 MB resident), not by every API process.
  const { default: ExcelJS } = await import('exceljs');
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
