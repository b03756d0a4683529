/** Code → { code, label } helpers for supervision lists, ledgers and reports; unknown codes keep the code as label. */
import { findAction, findItem } from '../../domain/catalog';
import { CITY, COUNTIES, LEADERSHIP_OFFICE } from '../../domain/counties';
import { DEPARTMENTS } from '../../domain/departments';
import type { Labelled } from '../../domain/labels';
import { CASE_STEP_LABELS, labelOf } from '../../domain/vocabulary';

const COUNTY_NAMES = new Map<string, string>([...COUNTIES.map((c) => [c.code, c.name] as [string, string]), [CITY.code, CITY.name]]);
const DEPARTMENT_NAMES = new Map(DEPARTMENTS.map((d) => [d.code as string, d.short]));

export const countyL = (code: string): Labelled => ({ code, label: COUNTY_NAMES.get(code) ?? code });
export const departmentL = (code: string): Labelled =>
  ({ code, label: code === LEADERSHIP_OFFICE.code ? LEADERSHIP_OFFICE.label : DEPARTMENT_NAMES.get(code) ?? code });
export const itemL = (code: string): Labelled => ({ code, label: findItem(code)?.label ?? code });
export const actionL = (item: string, code: string): Labelled => ({ code, label: findAction(item, code)?.action.label ?? code });
export const stepL = (code: string): Labelled => labelOf(code, CASE_STEP_LABELS);

/** A reporting unit's name as the forms print it: 兴庆区残联, 银川市人社局. */
export const unitName = (county: string, department: string): string => `${countyL(county).label}${departmentL(department).label}`;
