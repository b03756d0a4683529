/**
 * Policy as data: every figure doorstep applies that is a rule — the cadences of the ongoing items,
 * the age bands of the plan items, the age of 以老养残 parents, the step deadlines, item 7's school
 * holiday weeks — tagged with where it comes from:
 * - 'plan': the implementation plan sets it; the clause is quoted. Plan rules are in force and are
 *   not edited through the API (a change of the plan is a new catalog version).
 * - 'local': the plan is silent and the figure is ours or an admin's; who set it and when is kept.
 *   A local rule is ADVISORY until an admin enforces it: it is shown (warnings, ledger remarks) but
 *   never refuses an enrolment, never makes an official 未达标 ledger row shared with the DPF.
 *
 * The defaults below are version 0 of each rule; admins' versions live in PostgreSQL (policy_rules)
 * and the latest wins (db/queries/policy.ts). Pure data and functions: safe anywhere.
 */
import { CATALOG_VERSION, DEFAULT_STEP_DEADLINES, findItem, type Cadence } from './catalog';
import { addDaysToDate } from './calendar';
import { FAILED_VISITS_TO_ESCALATE, LEVEL2_AFTER_WORKING_DAYS } from './caseFlow';
import type { StepKind } from './vocabulary';

export type PolicyTag = 'plan' | 'local';
export const POLICY_TAG_LABELS: Readonly<Record<PolicyTag, string>> = Object.freeze({ plan: '方案规定', local: '本地设定（方案未规定）' });

/** The value each kind of rule holds. */
export interface AgeBand { min?: number; max?: number }
export type CadenceValue = Pick<Cadence, 'period' | 'minSessions' | 'minUnitsPerSession' | 'unit'>;
export type StepDeadlines = Record<StepKind, { normal: number; green: number }>;
/** Item 7: school winter and summer holidays per year, whose weeks are not shortfalls. */
export type SchoolHolidays = Record<string, Array<{ name: string; from: string; to: string }>>;

export type PolicyKind = 'cadence' | 'ageBand' | 'age' | 'stepDeadlines' | 'schoolHolidays';

export interface PolicyRuleDef {
  key: string;
  kind: PolicyKind;
  label: string;
  tag: PolicyTag;
  /** 'plan' rules: the clause they come from. */
  clause?: string;
  /** 'local' rules: why the figure was chosen. */
  rationale?: string;
  defaultValue: unknown;
}

/** A rule as in force: its definition, its current value and version, who set it, and whether it is enforced. */
export interface PolicyRule extends PolicyRuleDef {
  value: unknown;
  version: number;
  setBy: string;
  setAt: string;
  /** Plan rules always; local rules once an admin enforces them. */
  enforced: boolean;
  note: string | null;
}

const cadenceOf = (itemCode: string): CadenceValue => {
  const c = findItem(itemCode)?.cadence;
  if (!c) throw new RangeError(`no cadence for ${itemCode}`);
  return { period: c.period, minSessions: c.minSessions, ...(c.minUnitsPerSession !== undefined ? { minUnitsPerSession: c.minUnitsPerSession } : {}), ...(c.unit ? { unit: c.unit } : {}) };
};

/** Every rule, in the order GET /v1/policy and GET /v1/catalog show them. */
export const POLICY_RULES: readonly PolicyRuleDef[] = Object.freeze([
  { key: 'cadence.CHILD_REHAB', kind: 'cadence', label: '残疾儿童送康复上门服务频次', tag: 'plan', clause: '三（二）6 “每月开展康复训练不少于4次”', defaultValue: cadenceOf('CHILD_REHAB') },
  { key: 'cadence.HOME_SCHOOLING', kind: 'cadence', label: '送教上门服务频次', tag: 'plan', clause: '三（二）7 “原则上每周提供不少于1次的送教上门服务，每次不少于2课时”', defaultValue: cadenceOf('HOME_SCHOOLING') },
  { key: 'cadence.ADULT_REHAB', kind: 'cadence', label: '成年残疾人家庭康复服务频次', tag: 'local', rationale: '方案未规定频次；每月2次参照家庭医生随访做法', defaultValue: cadenceOf('ADULT_REHAB') },
  { key: 'cadence.HOUSEKEEPING', kind: 'cadence', label: '家政服务频次', tag: 'local', rationale: '方案未规定频次；“保姆式”服务至少每周一次', defaultValue: cadenceOf('HOUSEKEEPING') },
  { key: 'cadence.HOME_EMPLOYMENT', kind: 'cadence', label: '居家就业指导频次', tag: 'local', rationale: '方案未规定频次；每月一次指导或培训', defaultValue: cadenceOf('HOME_EMPLOYMENT') },
  { key: 'ageBand.CHILD_REHAB', kind: 'ageBand', label: '残疾儿童送康复上门年龄', tag: 'plan', clause: '三（二）6 “上门服务费用从0-6岁残疾儿童康复救助资金中解决”', defaultValue: { min: 0, max: 6 } },
  { key: 'ageBand.ADULT_REHAB', kind: 'ageBand', label: '成年残疾人家庭康复年龄', tag: 'plan', clause: '三（二）5 “深入开展成年残疾人家庭康复服务”', defaultValue: { min: 18 } },
  { key: 'ageBand.HOME_SCHOOLING', kind: 'ageBand', label: '送教上门年龄（学龄）', tag: 'local', rationale: '方案称“学龄残疾儿童”，未规定年龄；6–17周岁为本系统设定', defaultValue: { min: 6, max: 17 } },
  { key: 'ageBand.HOME_EMPLOYMENT', kind: 'ageBand', label: '居家就业年龄', tag: 'local', rationale: '方案未规定年龄；16周岁为法定就业年龄', defaultValue: { min: 16 } },
  { key: 'eligibility.elderlyCarerAge', kind: 'age', label: '以老养残：父母年龄', tag: 'local', rationale: '方案称“以老养残家庭”，未规定年龄；60周岁为本系统设定', defaultValue: 60 },
  { key: 'deadlines.steps', kind: 'stepDeadlines', label: '各办理步骤时限（工作日，普通/绿色通道）', tag: 'local', rationale: '方案未规定时限；为本系统设定', defaultValue: DEFAULT_STEP_DEADLINES },
  { key: 'schoolHolidays.HOME_SCHOOLING', kind: 'schoolHolidays', label: '送教上门：学校寒暑假（按年配置，假期周不计未达标）', tag: 'local', rationale: '方案“原则上每周不少于1次”：寒暑假周不计为未达标；日期按各年校历配置', defaultValue: {} },
] satisfies PolicyRuleDef[]);

/**
 * The case mechanisms, tagged as the rules are: the plan's (its clause) or local (the plan is silent).
 * Not figures an admin edits; GET /v1/catalog lists them so a reader sees which escalations are ours.
 */
export interface CaseMechanism { key: string; label: string; tag: PolicyTag; clause?: string; rationale?: string }
const GREEN_CHANNEL_CLAUSE = '四（三）“必要时第一时间启动‘绿色通道+容缺后补’机制，并指定专人负责申请受理、导办、协办等工作”';
export const CASE_MECHANISMS: readonly CaseMechanism[] = Object.freeze([
  { key: 'acceptWithMissing.acceptance', label: '绿色通道+容缺后补：申请受理时容缺（开案时登记缺少的材料与补交期限）', tag: 'plan', clause: GREEN_CHANNEL_CLAUSE },
  { key: 'acceptWithMissing.review', label: '审核时容缺受理（后补材料）', tag: 'plan', clause: GREEN_CHANNEL_CLAUSE },
  {
    key: 'escalation.stepOverdue', label: '办理步骤超期督办（县级落实单位，3个工作日后领导小组办公室）', tag: 'local',
    rationale: '方案未规定办理时限：随“各办理步骤时限”规则（deadlines.steps），未设为执行时超期仅作提醒，不督办',
  },
  { key: 'escalation.failedVisits', label: `连续${FAILED_VISITS_TO_ESCALATE}次上门未办成：提醒县级落实单位`, tag: 'local', rationale: '方案未规定；为本系统设定，只到县级落实单位' },
  {
    key: 'escalation.supplementOverdue', label: `容缺材料逾期未补：督办县级落实单位，${LEVEL2_AFTER_WORKING_DAYS}个工作日后领导小组办公室`, tag: 'local',
    rationale: '方案规定容缺后补，未规定逾期处理；补交期限由受理或审核人员确定，逾期督办为本系统设定',
  },
] satisfies CaseMechanism[]);

/** Version 0 of every local rule: set with the catalog, by the system. */
export const DEFAULT_SETTER = Object.freeze({ setBy: 'system', setAt: `${CATALOG_VERSION.slice(0, 10)}T00:00:00+08:00` });

/** A stored version of a rule (db/queries/policy.ts). */
export interface StoredRule { key: string; version: number; value: unknown; enforced: boolean; note: string | null; setBy: string; setAt: string }

/** Every rule as in force: the latest stored version over the default. */
export function rulesInForce(stored: readonly StoredRule[]): PolicyRule[] {
  const latest = new Map(stored.map((s) => [s.key, s]));
  return POLICY_RULES.map((def) => {
    const s = latest.get(def.key);
    if (s) return { ...def, value: s.value, version: s.version, setBy: s.setBy, setAt: s.setAt, enforced: def.tag === 'plan' || s.enforced, note: s.note };
    return { ...def, value: def.defaultValue, version: 0, ...DEFAULT_SETTER, enforced: def.tag === 'plan', note: null };
  });
}

/** The rule with `key` from a set of rules in force. */
export function ruleOf(rules: readonly PolicyRule[], key: string): PolicyRule {
  const r = rules.find((x) => x.key === key);
  if (!r) throw new RangeError(`unknown policy rule: ${key}`);
  return r;
}

/** Why an age lies outside a band (Chinese), or undefined inside it. */
export function ageBandProblem(band: AgeBand, age: number, label: string): string | undefined {
  if (band.min !== undefined && age < band.min) return `开始日期时年龄为${age}周岁，${label}为${bandText(band)}`;
  if (band.max !== undefined && age > band.max) return `开始日期时年龄为${age}周岁，${label}为${bandText(band)}`;
  return undefined;
}

export const bandText = (b: AgeBand) => (b.max !== undefined ? `${b.min ?? 0}–${b.max}周岁` : `${b.min ?? 0}周岁以上`);

/**
 * Whether the ISO week starting on `monday` is a school-holiday week (item 7): at least three of its
 * school days (Monday–Friday) lie in a configured winter or summer holiday.
 */
export function isSchoolHolidayWeek(holidays: SchoolHolidays, monday: string): boolean {
  let off = 0;
  for (let i = 0; i < 5; i++) {
    const d = addDaysToDate(monday, i);
    if ((holidays[d.slice(0, 4)] ?? []).some((p) => p.from <= d && d <= p.to)) off++;
  }
  return off >= 3;
}
