/**
 * The subject roster template (服务对象名册): the columns of the import template, of the export, and
 * the headers of the DPF's own population-database roster export (残疾人人口基础数据库导出) that map
 * onto them. One table: the template download, the import's header mapping, the export and the
 * README all read it.
 */

/** A field of a roster row. */
export type RosterField =
  | 'name' | 'idNumber' | 'sex' | 'certificateNumber' | 'disabilityCategory' | 'disabilityGrade'
  | 'county' | 'township' | 'community' | 'address' | 'phone'
  | 'guardianName' | 'guardianPhone' | 'guardianRelation' | 'householdNumber' | 'consentToShare' | 'notes';

/** A template column: its header, the headers of the DPF export accepted for it, and the rule shown to users. */
export interface RosterColumn {
  field: RosterField;
  header: string;
  /** Other headers accepted for this column, in order of preference (the DPF roster export's names). */
  aliases: readonly string[];
  required: boolean;
  width: number;
  rule: string;
}

export const ROSTER_COLUMNS: readonly RosterColumn[] = Object.freeze(([
  { field: 'name', header: '姓名', aliases: ['残疾人姓名'], required: true, width: 12, rule: '必填' },
  { field: 'idNumber', header: '身份证号码', aliases: ['公民身份号码', '身份证号', '居民身份证号码'], required: true, width: 22, rule: '必填，18 位，校验码正确；作为匹配已有服务对象的依据' },
  { field: 'sex', header: '性别', aliases: [], required: false, width: 6, rule: '男/女；可空，填写时须与身份证号码一致' },
  { field: 'certificateNumber', header: '残疾人证号', aliases: ['残疾证号', '第二代残疾人证号', '残疾人证号码'], required: false, width: 24, rule: '20 位，前 18 位须与身份证号码一致；为空时由残疾类别和等级得出' },
  { field: 'disabilityCategory', header: '残疾类别', aliases: ['残疾类型'], required: false, width: 10, rule: '视力/听力/言语/肢体/智力/精神/多重（或 1–7）；填写时须与残疾人证号一致' },
  { field: 'disabilityGrade', header: '残疾等级', aliases: ['残疾级别'], required: false, width: 8, rule: '一级–四级（或 1–4）；填写时须与残疾人证号一致' },
  { field: 'county', header: '县(市)区', aliases: ['所属区县', '区县', '县区', '县（市）区', '所属县(市)区'], required: false, width: 10, rule: '区县名称或代码（如 兴庆区 或 640104）；为空时按身份证号码的地区码；须在您的权限范围内' },
  { field: 'township', header: '乡镇(街道)', aliases: ['乡镇（街道）', '所属乡镇(街道)', '乡镇街道', '所属街道', '街道'], required: false, width: 14, rule: '' },
  { field: 'community', header: '村(社区)', aliases: ['村（社区）', '所属村(社区)', '社区(村)', '所属社区', '社区'], required: false, width: 14, rule: '' },
  { field: 'address', header: '详细地址', aliases: ['现住址', '居住地址', '户籍地址', '家庭住址'], required: false, width: 30, rule: '户号为空时，地址完全相同的服务对象关联为同户' },
  { field: 'phone', header: '联系电话', aliases: ['手机号码', '联系方式', '电话'], required: false, width: 14, rule: '手机号 11 位，固定电话含区号' },
  { field: 'guardianName', header: '监护人姓名', aliases: ['监护人', '监护人(照护人)'], required: false, width: 12, rule: '填写监护人电话或关系时必填' },
  { field: 'guardianPhone', header: '监护人电话', aliases: ['监护人联系电话', '监护人手机号码'], required: false, width: 14, rule: '' },
  { field: 'guardianRelation', header: '监护人关系', aliases: ['与监护人关系', '与残疾人关系'], required: false, width: 10, rule: '' },
  { field: 'householdNumber', header: '户号', aliases: ['户编号', '家庭户号'], required: false, width: 38, rule: '同一户号的服务对象关联为同户' },
  { field: 'consentToShare', header: '同意共享', aliases: ['是否同意共享'], required: false, width: 8, rule: '是/否' },
  { field: 'notes', header: '备注', aliases: [], required: false, width: 20, rule: '' },
] satisfies RosterColumn[]).map((c) => Object.freeze(c)));

/** The header of the error-report column (错误原因) added to the rows of a rejected import. */
export const REASON_HEADER = '错误原因';

/** Normalises a header cell for matching: full-width brackets and spaces folded, trimmed. */
export function normaliseHeader(h: string): string {
  return h.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').trim();
}

const BY_HEADER: ReadonlyMap<string, RosterColumn> = new Map(
  ROSTER_COLUMNS.flatMap((c) => [c.header, ...c.aliases].map((h) => [normaliseHeader(h), c] as const)),
);

/** The column a header names (template header or a DPF alias), if any. */
export function rosterColumnFor(header: string): RosterColumn | undefined {
  return BY_HEADER.get(normaliseHeader(header));
}

/** Parses a category cell: 肢体 / 肢体残疾 / 4 → 4. */
export function parseCategoryCell(s: string): number | undefined {
  const t = s.trim().replace(/残疾$/, '');
  const names = ['视力', '听力', '言语', '肢体', '智力', '精神', '多重'];
  if (/^[1-7]$/.test(t)) return Number(t);
  const i = names.indexOf(t);
  return i >= 0 ? i + 1 : undefined;
}

/** Parses a grade cell: 一级 / 一 / 1 / 1级 → 1. */
export function parseGradeCell(s: string): number | undefined {
  const t = s.trim().replace(/级$/, '');
  if (/^[1-4]$/.test(t)) return Number(t);
  const i = ['一', '二', '三', '四'].indexOf(t);
  return i >= 0 ? i + 1 : undefined;
}
