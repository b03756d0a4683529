/** The content of a 工作台账 row and the ledger's Chinese column headers (attachment 2 of the plan). */
import { disabilityCategoryLabel, disabilityGradeLabel, isDisabilityCategory, isDisabilityGrade } from './certificateNumber';
import { maskIdNumber } from './idNumber';

/** One ledger row's content; the export layer gives each key its Chinese column header. */
export interface LedgerRow {
  subjectName: string;
  idNumberMasked: string;
  /** The full ID number: only in a download of the frozen copy by a role that may unmask (audited), never stored. */
  idNumber?: string;
  disabilityCategory: string;
  disabilityGrade: string;
  item: { code: string; label: string };
  action: { code: string; label: string };
  askedOn: string;
  visitedOn: string | null;
  handledBy: string | null;
  result: string;
  deliveryMethod: string | null;
  deliveredOn: string | null;
  remarks: string;
}

/** Chinese headers of the ledger, in column order (序号 is the serial number added at export). */
export const LEDGER_HEADERS: ReadonlyArray<[keyof LedgerRow | 'serial', string]> = [
  ['serial', '序号'], ['subjectName', '服务对象'], ['idNumberMasked', '身份证号'], ['disabilityCategory', '残疾类别'],
  ['disabilityGrade', '残疾等级'], ['item', '服务事项'], ['action', '办理事项'], ['askedOn', '申请日期'],
  ['visitedOn', '上门日期'], ['handledBy', '经办人'], ['result', '办理结果'], ['deliveryMethod', '送达方式'],
  ['deliveredOn', '送达日期'], ['remarks', '备注'],
];

/** The subject columns of a ledger row (ID number masked: the ledger leaves the department). */
export function subjectLedgerColumns(s: { name: string; idNumber: string; disabilityCategory: number | null; disabilityGrade: number | null }) {
  return {
    subjectName: s.name,
    idNumberMasked: maskIdNumber(s.idNumber),
    disabilityCategory: isDisabilityCategory(s.disabilityCategory) ? disabilityCategoryLabel(s.disabilityCategory) : '',
    disabilityGrade: isDisabilityGrade(s.disabilityGrade) ? disabilityGradeLabel(s.disabilityGrade) : '',
  };
}
