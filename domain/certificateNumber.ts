/**
 * Second-generation disability certificate numbers (第二代残疾人证号): the holder's 18-character
 * ID number + one digit for the disability category (1–7) + one digit for the grade (1–4, 一级 most severe).
 */
import { parseIdNumber, type IdNumberInfo, type IdParseOptions, type IdProblem } from './idNumber';

/** Disability category digit: 1 视力, 2 听力, 3 言语, 4 肢体, 5 智力, 6 精神, 7 多重. */
export type DisabilityCategory = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Disability grade digit: 1 (most severe) to 4. */
export type DisabilityGrade = 1 | 2 | 3 | 4;

/** A category with its Chinese label (as printed on the certificate) and an English gloss. */
export interface DisabilityCategoryDef {
  code: DisabilityCategory;
  label: string;
  labelEn: string;
}

/** A grade with its Chinese label. */
export interface DisabilityGradeDef {
  code: DisabilityGrade;
  label: string;
}

/** The seven disability categories in certificate-digit order. */
export const DISABILITY_CATEGORIES: readonly DisabilityCategoryDef[] = Object.freeze(
  [
    { code: 1, label: '视力残疾', labelEn: 'visual' },
    { code: 2, label: '听力残疾', labelEn: 'hearing' },
    { code: 3, label: '言语残疾', labelEn: 'speech' },
    { code: 4, label: '肢体残疾', labelEn: 'physical' },
    { code: 5, label: '智力残疾', labelEn: 'intellectual' },
    { code: 6, label: '精神残疾', labelEn: 'mental' },
    { code: 7, label: '多重残疾', labelEn: 'multiple' },
  ].map((c) => Object.freeze(c as DisabilityCategoryDef)),
);

/** The four grades, 一级 being the most severe. */
export const DISABILITY_GRADES: readonly DisabilityGradeDef[] = Object.freeze(
  [
    { code: 1, label: '一级' },
    { code: 2, label: '二级' },
    { code: 3, label: '三级' },
    { code: 4, label: '四级' },
  ].map((g) => Object.freeze(g as DisabilityGradeDef)),
);

/** Type guard: is `n` a category digit 1–7? */
export function isDisabilityCategory(n: unknown): n is DisabilityCategory {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 7;
}

/** Type guard: is `n` a grade digit 1–4? */
export function isDisabilityGrade(n: unknown): n is DisabilityGrade {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 4;
}

/** Chinese label of a category (e.g. 4 → 肢体残疾), for display. */
export function disabilityCategoryLabel(c: DisabilityCategory): string {
  const def = DISABILITY_CATEGORIES[c - 1];
  if (!def) throw new RangeError(`unknown disability category: ${c}`);
  return def.label;
}

/** Chinese label of a grade (e.g. 1 → 一级), for display. */
export function disabilityGradeLabel(g: DisabilityGrade): string {
  const def = DISABILITY_GRADES[g - 1];
  if (!def) throw new RangeError(`unknown disability grade: ${g}`);
  return def.label;
}

/** Why a certificate number was rejected. */
export type CertificateProblem = 'length' | 'id' | 'category' | 'grade';

/** The parts of a valid certificate number. */
export interface CertificateNumberInfo {
  /** The normalised 20-character certificate number. */
  number: string;
  /** The normalised 18-character ID number it starts with. */
  idNumber: string;
  id: IdNumberInfo;
  category: DisabilityCategory;
  categoryLabel: string;
  grade: DisabilityGrade;
  gradeLabel: string;
}

/** Outcome of {@link parseCertificateNumber}; on 'id' failures, `idProblem` carries the ID's own reason. */
export type CertificateParseResult =
  | { ok: true; value: CertificateNumberInfo }
  | { ok: false; reason: CertificateProblem; message: string; idProblem?: IdProblem };

/** Validates and decodes a certificate number so staff see the holder, category and grade, or one precise Chinese error. */
export function parseCertificateNumber(input: string, options: IdParseOptions = {}): CertificateParseResult {
  const s = String(input ?? '').trim().toUpperCase();
  if (s.length !== 20) return { ok: false, reason: 'length', message: `残疾人证号应为 20 位，实际为 ${s.length} 位` };
  const id = parseIdNumber(s.slice(0, 18), options);
  if (!id.ok) return { ok: false, reason: 'id', idProblem: id.reason, message: `残疾人证号前 18 位身份证号码无效：${id.message}` };
  const category = Number(s[18]);
  if (!/\d/.test(s[18]) || !isDisabilityCategory(category)) {
    return { ok: false, reason: 'category', message: `残疾类别代码错误：第 19 位应为 1–7，实际为 ${s[18]}` };
  }
  const grade = Number(s[19]);
  if (!/\d/.test(s[19]) || !isDisabilityGrade(grade)) {
    return { ok: false, reason: 'grade', message: `残疾等级代码错误：第 20 位应为 1–4，实际为 ${s[19]}` };
  }
  return {
    ok: true,
    value: {
      number: s,
      idNumber: id.value.number,
      id: id.value,
      category,
      categoryLabel: disabilityCategoryLabel(category),
      grade,
      gradeLabel: disabilityGradeLabel(grade),
    },
  };
}

/** Builds a certificate number from a valid ID number, category and grade, for tests and demo data. */
export function makeCertificateNumber(idNumber: string, category: DisabilityCategory, grade: DisabilityGrade): string {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new RangeError(`invalid ID number: ${id.message}`);
  if (!isDisabilityCategory(category) || !isDisabilityGrade(grade)) throw new RangeError('bad category or grade');
  return `${id.value.number}${category}${grade}`;
}
