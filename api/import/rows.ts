/**
 * One roster row → the values of a subject, or the reasons (错误原因) it is refused. The field rules are
 * the ones POST /v1/subjects applies (its zod body, ID-number and certificate checks, county scope), so an
 * imported row and a typed-in subject obey one rule.
 *
 * Decisions:
 * - A formula cell refuses its row (the cached value may be stale, and an ID number must be typed
 *   or pasted as a value); so does a cell inside a merged range (whose value sits in one row only).
 * - An empty cell never clears a field: the import adds and changes, it does not erase.
 * - 残疾人证号 empty but 残疾类别 and 残疾等级 given: the certificate number is derived (ID + digits).
 */
import { z } from 'zod';
import { COUNTIES, isCountyCode } from '../../domain/counties';
import { parseCategoryCell, parseGradeCell, ROSTER_COLUMNS, type RosterField } from '../../domain/subjectTemplate';
import { createSubjectBody, requireCertificate, requireIdNumber } from '../services/subjects';
import type { FieldError } from '../problem';

/** A validated row: what the import would write (fields absent from the file are absent here). */
export interface RosterValues {
  idNumber: string;
  name: string;
  sex: 'male' | 'female';
  birthDate: string;
  county: string;
  certificateNumber?: string;
  disabilityCategory?: number;
  disabilityGrade?: number;
  township?: string;
  community?: string;
  address?: string;
  phone?: string;
  guardianName?: string;
  guardianPhone?: string;
  guardianRelation?: string;
  householdNumber?: string;
  consentToShare?: boolean;
  notes?: string;
}

const HEADER_OF: Record<RosterField, string> = Object.fromEntries(ROSTER_COLUMNS.map((c) => [c.field, c.header])) as Record<RosterField, string>;
const COUNTY_BY_NAME = new Map(COUNTIES.map((c) => [c.name, c.code]));

/** The body field of POST /v1/subjects → the roster column it came from. */
const BODY_PATH_COLUMN: Record<string, RosterField> = {
  idNumber: 'idNumber', name: 'name', certificateNumber: 'certificateNumber', county: 'county', township: 'township',
  community: 'community', address: 'address', phone: 'phone', 'guardian.name': 'guardianName', 'guardian.phone': 'guardianPhone',
  'guardian.relation': 'guardianRelation', guardian: 'guardianName', consentToShare: 'consentToShare', notes: 'notes',
};

const householdNumber = z.string().trim().max(64, '户号不能超过 64 个字符').regex(/^[\p{L}\p{N}_-]+$/u, '户号只能包含字母、数字、下划线和连字符');

/** The county a row names: the 县(市)区 cell as a code or a name, else the ID number's region when it is one of the six. */
function rowCounty(countyRaw: string | undefined, idRaw: string | undefined): string | undefined {
  if (countyRaw) return isCountyCode(countyRaw) ? countyRaw : COUNTY_BY_NAME.get(countyRaw) ?? countyRaw;
  return idRaw && isCountyCode(idRaw.slice(0, 6)) ? idRaw.slice(0, 6) : undefined;
}

/**
 * The key rows share when they may form a household by address (no 户号, same county and address),
 * computed from the raw cells so that every row of a file has it before any row is validated.
 */
export function addressKey(cells: string[], columns: Partial<Record<RosterField, number>>): string | null {
  const at = (f: RosterField) => (columns[f] === undefined ? undefined : cells[columns[f]!]?.trim() || undefined);
  const address = at('address');
  if (!address || at('householdNumber')) return null;
  return `${rowCounty(at('county'), at('idNumber')) ?? ''}|${address}`;
}

export interface RowContext { today: string; scope: { cityLevel: boolean; counties: string[] } }

/** Validates one row given the file's column mapping. */
export function validateRow(
  cells: string[], formulaColumns: number[], columns: Partial<Record<RosterField, number>>, ctx: RowContext,
): { values?: RosterValues; reasons: string[] } {
  const reasons: string[] = [];
  const cell = (f: RosterField): string | undefined => {
    const i = columns[f];
    const v = i === undefined ? undefined : cells[i]?.trim();
    return v ? v : undefined;
  };
  for (const i of formulaColumns) {
    const field = (Object.entries(columns) as [RosterField, number][]).find(([, c]) => c === i)?.[0];
    if (field) reasons.push(`${HEADER_OF[field]}：单元格是公式，请复制后“粘贴为数值”再导入`);
  }

  const idRaw = cell('idNumber');
  const countyRaw = cell('county');
  const county = rowCounty(countyRaw, idRaw);
  if (!countyRaw && !county) reasons.push(`${HEADER_OF.county}：为空，且身份证号码的地区码不属于银川市各县(市)区，请填写县(市)区`);

  let certificate = cell('certificateNumber');
  const categoryRaw = cell('disabilityCategory');
  const gradeRaw = cell('disabilityGrade');
  const category = categoryRaw !== undefined ? parseCategoryCell(categoryRaw) : undefined;
  const grade = gradeRaw !== undefined ? parseGradeCell(gradeRaw) : undefined;
  if (categoryRaw !== undefined && category === undefined) reasons.push(`${HEADER_OF.disabilityCategory}：“${categoryRaw}”不是有效的残疾类别（视力、听力、言语、肢体、智力、精神、多重）`);
  if (gradeRaw !== undefined && grade === undefined) reasons.push(`${HEADER_OF.disabilityGrade}：“${gradeRaw}”不是有效的残疾等级（一级至四级）`);
  if (!certificate && idRaw && category !== undefined && grade !== undefined) certificate = `${idRaw.toUpperCase()}${category}${grade}`;

  const consentRaw = cell('consentToShare');
  let consent: boolean | undefined;
  if (consentRaw !== undefined) {
    if (['是', '同意', 'Y', 'y', '1', 'true'].includes(consentRaw)) consent = true;
    else if (['否', '不同意', 'N', 'n', '0', 'false'].includes(consentRaw)) consent = false;
    else reasons.push(`${HEADER_OF.consentToShare}：应填“是”或“否”，实际为“${consentRaw}”`);
  }

  const guardianGiven = cell('guardianName') ?? cell('guardianPhone') ?? cell('guardianRelation');
  const body = {
    idNumber: idRaw ?? '',
    name: cell('name') ?? '',
    ...(certificate ? { certificateNumber: certificate } : {}),
    county: county ?? '',
    ...(cell('township') ? { township: cell('township') } : {}),
    ...(cell('community') ? { community: cell('community') } : {}),
    ...(cell('address') ? { address: cell('address') } : {}),
    ...(cell('phone') ? { phone: cell('phone') } : {}),
    ...(guardianGiven ? {
      guardian: {
        name: cell('guardianName') ?? '',
        ...(cell('guardianPhone') ? { phone: cell('guardianPhone') } : {}),
        ...(cell('guardianRelation') ? { relation: cell('guardianRelation') } : {}),
      },
    } : {}),
    ...(consent !== undefined ? { consentToShare: consent } : {}),
    ...(cell('notes') ? { notes: cell('notes') } : {}),
  };
  const parsed = createSubjectBody.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = BODY_PATH_COLUMN[issue.path.map(String).join('.')];
      if (field === 'county' && !countyRaw && !county) continue; // already said
      const header = field ? HEADER_OF[field] : issue.path.join('.');
      const message = field === 'county' ? `“${countyRaw}”不是银川市的县(市)区名称或代码` : issue.message;
      reasons.push(`${header}：${field === 'idNumber' || field === 'name' ? (body[field] === '' ? '不能为空' : message) : message}`);
    }
  }
  const errors: FieldError[] = [];
  const id = idRaw ? requireIdNumber(idRaw, ctx.today, 'idNumber', errors) : undefined;
  const cert = certificate && id ? requireCertificate(certificate, id.number, ctx.today, errors) : undefined;
  for (const e of errors) {
    const header = e.path === 'idNumber' ? HEADER_OF.idNumber : HEADER_OF.certificateNumber;
    if (!reasons.some((r) => r.startsWith(`${header}：`))) reasons.push(`${header}：${e.message}`);
  }
  if (county && isCountyCode(county) && !(ctx.scope.cityLevel || ctx.scope.counties.includes(county))) {
    reasons.push(`${HEADER_OF.county}：${COUNTIES.find((c) => c.code === county)?.name ?? county}不在您的权限范围内`);
  }
  const sexRaw = cell('sex');
  if (id && sexRaw !== undefined) {
    const sex = sexRaw === '男' ? 'male' : sexRaw === '女' ? 'female' : undefined;
    if (!sex) reasons.push(`${HEADER_OF.sex}：应填“男”或“女”，实际为“${sexRaw}”`);
    else if (sex !== id.sex) reasons.push(`${HEADER_OF.sex}：与身份证号码不符（身份证号码为${id.sex === 'male' ? '男' : '女'}性）`);
  }
  if (cert && cell('certificateNumber')) {
    if (category !== undefined && category !== cert.category) reasons.push(`${HEADER_OF.disabilityCategory}：与残疾人证号不符（证号为${cert.categoryLabel}）`);
    if (grade !== undefined && grade !== cert.grade) reasons.push(`${HEADER_OF.disabilityGrade}：与残疾人证号不符（证号为${cert.gradeLabel}）`);
  }
  const hn = cell('householdNumber');
  if (hn !== undefined) {
    const h = householdNumber.safeParse(hn);
    if (!h.success) reasons.push(`${HEADER_OF.householdNumber}：${h.error.issues[0].message}`);
  }
  if (reasons.length > 0 || !parsed.success || !id) return { reasons };

  const b = parsed.data;
  const values: RosterValues = {
    idNumber: id.number, name: b.name, sex: id.sex, birthDate: id.birthDate, county: b.county,
    ...(cert ? { certificateNumber: cert.number, disabilityCategory: cert.category, disabilityGrade: cert.grade } : {}),
    ...(b.township !== undefined ? { township: b.township } : {}),
    ...(b.community !== undefined ? { community: b.community } : {}),
    ...(b.address !== undefined ? { address: b.address } : {}),
    ...(b.phone !== undefined ? { phone: b.phone } : {}),
    ...(b.guardian ? { guardianName: b.guardian.name } : {}),
    ...(b.guardian?.phone !== undefined ? { guardianPhone: b.guardian.phone } : {}),
    ...(b.guardian?.relation !== undefined ? { guardianRelation: b.guardian.relation } : {}),
    ...(hn !== undefined ? { householdNumber: hn } : {}),
    ...(consent !== undefined ? { consentToShare: consent } : {}),
    ...(b.notes !== undefined ? { notes: b.notes } : {}),
  };
  return { values, reasons: [] };
}
