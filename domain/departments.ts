import { labelled, type Labelled } from './labels';

/**
 * The ten departments that issued the Yinchuan plan (2023-04-21). Each exists at city level
 * (responsible/cooperating unit) and at county level (implementing unit, 落实单位).
 */
export const DEPARTMENT_CODES = [
  'APPROVAL',
  'DPF',
  'EDUCATION',
  'CIVIL_AFFAIRS',
  'JUSTICE',
  'HRSS',
  'NATURAL_RESOURCES',
  'HEALTH',
  'MARKET_REGULATION',
  'MEDICAL_SECURITY',
] as const;

/** One of the ten department codes. */
export type DepartmentCode = (typeof DEPARTMENT_CODES)[number];

/** A department with its full Chinese name and the short name users say and see. */
export interface Department {
  code: DepartmentCode;
  name: string;
  short: string;
}

/** The departments in the order the plan lists them; `short` is the label shown in the UI. */
export const DEPARTMENTS: readonly Department[] = Object.freeze(
  [
    { code: 'APPROVAL', name: '审批服务管理局', short: '审批局' },
    { code: 'DPF', name: '残疾人联合会', short: '残联' },
    { code: 'EDUCATION', name: '教育局', short: '教育局' },
    { code: 'CIVIL_AFFAIRS', name: '民政局', short: '民政局' },
    { code: 'JUSTICE', name: '司法局', short: '司法局' },
    { code: 'HRSS', name: '人力资源和社会保障局', short: '人社局' },
    { code: 'NATURAL_RESOURCES', name: '自然资源局', short: '自然资源局' },
    { code: 'HEALTH', name: '卫生健康委员会', short: '卫健委' },
    { code: 'MARKET_REGULATION', name: '市场监督管理局', short: '市场监管局' },
    { code: 'MEDICAL_SECURITY', name: '医疗保障局', short: '医保局' },
  ].map((d) => Object.freeze(d as Department)),
);

const BY_CODE: ReadonlyMap<string, Department> = new Map(DEPARTMENTS.map((d) => [d.code, d]));

/** Type guard for untrusted input (query strings, spreadsheets): is `s` one of the ten codes? */
export function isDepartmentCode(s: unknown): s is DepartmentCode {
  return typeof s === 'string' && BY_CODE.has(s);
}

/** The department record for a code, so callers can show the full name where space allows. */
export function findDepartment(code: DepartmentCode): Department {
  const d = BY_CODE.get(code);
  if (!d) throw new RangeError(`unknown department code: ${String(code)}`);
  return d;
}

/** The code with its short Chinese name (e.g. 人社局), the label used in lists and reports. */
export function departmentLabel(code: DepartmentCode): Labelled {
  return labelled(code, findDepartment(code).short);
}
