import { labelled, type Labelled } from './labels';

/** The city the plan covers (GB/T 2260 code 640100). */
export const CITY = Object.freeze({ code: '640100', name: '银川市' } as const);

/** Yinchuan's six county-level divisions (县(市)区), GB/T 2260 codes, the implementing level. */
export const COUNTY_CODES = ['640104', '640105', '640106', '640121', '640122', '640181'] as const;

/** One of Yinchuan's county-level division codes. */
export type CountyCode = (typeof COUNTY_CODES)[number];

/** A county-level division with its Chinese name. */
export interface County {
  code: CountyCode;
  name: string;
}

/** The counties in GB/T 2260 order. */
export const COUNTIES: readonly County[] = Object.freeze(
  [
    { code: '640104', name: '兴庆区' },
    { code: '640105', name: '西夏区' },
    { code: '640106', name: '金凤区' },
    { code: '640121', name: '永宁县' },
    { code: '640122', name: '贺兰县' },
    { code: '640181', name: '灵武市' },
  ].map((c) => Object.freeze(c as County)),
);

/**
 * The leadership group's office (领导小组办公室), housed in the city DPF's organisation liaison
 * department; it handles day-to-day coordination and receives second-level escalations.
 */
export const LEADERSHIP_OFFICE: Labelled = Object.freeze({ code: 'LEADERSHIP_OFFICE', label: '领导小组办公室' });

const BY_CODE: ReadonlyMap<string, County> = new Map(COUNTIES.map((c) => [c.code, c]));

/** Type guard for untrusted input: is `s` one of Yinchuan's six county codes? */
export function isCountyCode(s: unknown): s is CountyCode {
  return typeof s === 'string' && BY_CODE.has(s);
}

/** The county code with its Chinese name (e.g. 兴庆区), for lists and reports. */
export function countyLabel(code: CountyCode): Labelled {
  const c = BY_CODE.get(code);
  if (!c) throw new RangeError(`unknown county code: ${String(code)}`);
  return labelled(c.code, c.name);
}
