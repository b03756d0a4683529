/**
 * Resident identity card numbers (居民身份证号码), GB 11643-1999: 6-digit region code (GB/T 2260),
 * 8-digit birth date, 3-digit sequence (odd = male, even = female), and one ISO 7064 MOD 11-2
 * check character (0–9 or X).
 */

/** Why an ID number was rejected; checks run in this order and the first failure is reported. */
export type IdProblem = 'length' | 'characters' | 'region' | 'birth_date' | 'checksum';

/** Sex as encoded by the parity of the sequence code. */
export type Sex = 'male' | 'female';

/** The parts of a valid ID number. */
export interface IdNumberInfo {
  /** Normalised: trimmed, check character X in upper case. */
  number: string;
  regionCode: string;
  provinceCode: string;
  birthDate: string;
  sequence: string;
  sex: Sex;
}

/** Outcome of {@link parseIdNumber}: the parts, or a reason and a Chinese message for the user. */
export type IdParseResult = { ok: true; value: IdNumberInfo } | { ok: false; reason: IdProblem; message: string };

/** Options for {@link parseIdNumber}. */
export interface IdParseOptions {
  /** 'YYYY-MM-DD' reference date; a birth date after it is rejected. */
  today?: string;
}

/** GB/T 2260 province-level prefixes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao). */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const MIN_BIRTH_YEAR = 1900;

/** ISO 7064 MOD 11-2 check character for the first 17 digits, as GB 11643 prescribes. */
export function idCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('need exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** True when year, month and day name a real Gregorian date. */
function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

function fail(reason: IdProblem, message: string): IdParseResult {
  return { ok: false, reason, message };
}

/**
 * Validates and decodes an ID number (length, characters, province, birth date, check character,
 * in that order), so staff get one precise Chinese message for what is wrong.
 */
export function parseIdNumber(input: string, options: IdParseOptions = {}): IdParseResult {
  const s = String(input ?? '').trim().toUpperCase();
  if (s.length !== 18) return fail('length', `身份证号码应为 18 位，实际为 ${s.length} 位`);
  if (!/^\d{17}[\dX]$/.test(s)) return fail('characters', '身份证号码前 17 位应为数字，最后一位应为数字或 X');
  const provinceCode = s.slice(0, 2);
  if (!PROVINCE_CODES.has(provinceCode)) return fail('region', `地区码错误：${provinceCode} 不是有效的省级行政区划代码`);
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const birthDate = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`;
  if (y < MIN_BIRTH_YEAR || !isRealDate(y, m, d)) return fail('birth_date', `出生日期错误：${s.slice(6, 14)} 不是有效日期`);
  if (options.today !== undefined && birthDate > options.today) {
    return fail('birth_date', `出生日期错误：${birthDate} 晚于当前日期`);
  }
  const expected = idCheckCharacter(s.slice(0, 17));
  if (s[17] !== expected) return fail('checksum', `校验码错误，应为 ${expected}`);
  const sequence = s.slice(14, 17);
  return {
    ok: true,
    value: {
      number: s,
      regionCode: s.slice(0, 6),
      provinceCode,
      birthDate,
      sequence,
      sex: Number(sequence[2]) % 2 === 1 ? 'male' : 'female',
    },
  };
}

/** Full years of age on `onDate` for someone born on `birthDate` (both 'YYYY-MM-DD'); for age-based rules (0–6 rehab, working age). */
export function ageOn(birthDate: string, onDate: string): number {
  const re = /^(\d{4})-(\d{2})-(\d{2})$/;
  const b = re.exec(birthDate);
  const o = re.exec(onDate);
  if (!b || !o) throw new RangeError('dates must be YYYY-MM-DD');
  let age = Number(o[1]) - Number(b[1]);
  if (`${o[2]}${o[3]}` < `${b[2]}${b[3]}`) age--;
  return age;
}

/** Masks an ID number for display and logs, keeping the first 6 and last 4 characters (640104********123X). */
export function maskIdNumber(s: string): string {
  const t = String(s ?? '').trim();
  if (t.length <= 10) return '*'.repeat(t.length);
  return t.slice(0, 6) + '*'.repeat(t.length - 10) + t.slice(-4);
}

/** Masks a phone number for display and logs, keeping the first 3 and last 4 digits (138****5678). */
export function maskPhone(s: string): string {
  const t = String(s ?? '').trim();
  if (t.length <= 7) return '*'.repeat(t.length);
  return t.slice(0, 3) + '*'.repeat(t.length - 7) + t.slice(-4);
}

/** Parts for {@link makeIdNumber}. */
export interface MakeIdNumberInput {
  /** 6 digits, e.g. '640104'. */
  regionCode: string;
  /** 'YYYY-MM-DD'. */
  birthDate: string;
  /** 0–999; odd for male, even for female. */
  sequence: number;
}

/** Builds a valid ID number with the correct check character, for tests and demo data (never for real people). */
export function makeIdNumber({ regionCode, birthDate, sequence }: MakeIdNumberInput): string {
  if (!/^\d{6}$/.test(regionCode)) throw new RangeError(`region code must be 6 digits: ${regionCode}`);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw new RangeError(`bad birth date: ${birthDate}`);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) throw new RangeError(`sequence must be 0–999: ${sequence}`);
  const first17 = `${regionCode}${m[1]}${m[2]}${m[3]}${String(sequence).padStart(3, '0')}`;
  return first17 + idCheckCharacter(first17);
}
