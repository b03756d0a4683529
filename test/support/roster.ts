/** Roster files for the import tests: XLSX (exceljs) and CSV, in the template's columns or the DPF's. */
import ExcelJS from 'exceljs';
import { makeCertificateNumber } from '../../domain/certificateNumber';
import { ROSTER_COLUMNS } from '../../domain/subjectTemplate';
import { uniqueIdNumber } from './fixtures';

/** One roster row by template header. */
export type RosterRow = Record<string, string | number | { formula: string; result?: string | number } | null>;

/** A valid template row for a new person in `county` (640104 兴庆区 unless given). */
export function rosterRow(overrides: RosterRow = {}, county = '640104'): RosterRow {
  const idNumber = uniqueIdNumber(county);
  return {
    姓名: '张三', 身份证号码: idNumber, 残疾人证号: makeCertificateNumber(idNumber, 4, 1), '县(市)区': county,
    '乡镇(街道)': '胜利街街道', '村(社区)': '胜利社区', 详细地址: `胜利街${idNumber.slice(-4)}号`, 联系电话: '13912345678', ...overrides,
  };
}

/** An XLSX with these headers (default: the template's) and rows; `merge` merges a range such as 'A3:A4'. */
export async function rosterXlsx(rows: RosterRow[], opts: { headers?: string[]; titleRow?: string; merge?: string } = {}): Promise<Buffer> {
  const headers = opts.headers ?? ROSTER_COLUMNS.map((c) => c.header);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('名册');
  if (opts.titleRow) ws.addRow([opts.titleRow]);
  ws.addRow(headers);
  for (const r of rows) ws.addRow(headers.map((h) => r[h] ?? null));
  if (opts.merge) ws.mergeCells(opts.merge);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A CSV (UTF-8 with BOM, as Excel writes it) with these headers and rows. */
export function rosterCsv(rows: RosterRow[], headers: string[] = ROSTER_COLUMNS.map((c) => c.header)): Buffer {
  const field = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [headers.map(field).join(','), ...rows.map((r) => headers.map((h) => field(r[h])).join(','))];
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`);
}
