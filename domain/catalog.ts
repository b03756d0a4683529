/**
 * The service catalog: the twelve service items (服务事项) of the Yinchuan plan (2023-04-21), their
 * actions, responsible/cooperating/implementing departments, workflow steps with working-day
 * deadlines, delivery methods and evidence requirements. Versioned: cases record CATALOG_VERSION so a
 * later catalog change does not silently rewrite old deadlines.
 *
 * The seed fixes items, actions, departments, delivery routes and the cadences of items 6 and 7.
 * Deadlines, evidence requirements and the cadences of items 5, 11 and 12 are OUR choices (the seed
 * gives none) and are marked as such below.
 */
import type { DepartmentCode } from './departments';
import { labelled, type Labelled } from './labels';
import { CASE_STEP_LABELS, type DeliveryMethod, type EvidenceKind, type StepKind } from './vocabulary';

/** Bump on any change to items, actions, steps or deadlines. */
export const CATALOG_VERSION = '2023-04-21.1';

/** The plan's four sections. */
export type ItemCategory = 'A' | 'B' | 'C' | 'D';

/** Chinese names of the plan's four sections. */
export const CATEGORY_LABELS: Readonly<Record<ItemCategory, string>> = Object.freeze({
  A: '政务服务流程',
  B: '公共服务',
  C: '社会保障',
  D: '居家服务',
});

/** One workflow step and its deadline, counted in working days from the end of the previous step. */
export interface StepDef {
  kind: StepKind;
  label: string;
  deadlineWorkingDays: number;
  /** Deadline under the green channel (绿色通道); never longer than the normal one. */
  greenChannelWorkingDays: number;
}

/** At least `minCount` pieces of evidence of any of `kinds` (e.g. photo OR video, ≥ 1). */
export interface EvidenceRequirement {
  kinds: EvidenceKind[];
  minCount: number;
  label: string;
}

/** How often an ongoing plan must deliver sessions. */
export interface Cadence {
  period: 'month' | 'week';
  minSessions: number;
  minUnitsPerSession?: number;
  unit?: 'class_hours' | 'minutes';
  label: string;
}

/** One thing a department does for a person under an item (e.g. 残疾人证 换领). */
export interface ActionDef {
  code: string;
  label: string;
  labelEn: string;
  /** City-level responsible units (责任单位). */
  responsible: DepartmentCode[];
  /** City-level cooperating units (配合单位). */
  cooperating: DepartmentCode[];
  /** The county-level department that does the work (落实单位). */
  implementing: DepartmentCode;
  steps: StepDef[];
  /** Empty when nothing is delivered. */
  deliveryMethods: DeliveryMethod[];
  evidence: EvidenceRequirement[];
  needsCertificate: boolean;
  /** Extra Chinese guidance for staff. */
  note?: string;
}

/** Chinese names of the units a cadence counts in. */
export const CADENCE_UNIT_LABELS: Readonly<Record<NonNullable<Cadence['unit']>, string>> = Object.freeze({ class_hours: '课时', minutes: '分钟' });

/** One of the twelve service items. */
export interface ServiceItem {
  code: string;
  number: number;
  category: ItemCategory;
  label: string;
  labelEn: string;
  /** Ongoing plans (items 5, 6, 7, 11, 12) record sessions against a cadence instead of closing. */
  ongoing: boolean;
  cadence?: Cadence;
  responsible: DepartmentCode[];
  cooperating: DepartmentCode[];
  actions: ActionDef[];
}

/** A versioned catalog. */
export interface Catalog {
  version: string;
  items: ServiceItem[];
}

/** The twelve item codes in plan order, as a tuple usable by z.enum. */
export const ITEM_CODES = [
  'BLIND_MASSAGE',
  'DISABILITY_CERT',
  'PENSION_QUALIFICATION',
  'REAL_ESTATE',
  'ADULT_REHAB',
  'CHILD_REHAB',
  'HOME_SCHOOLING',
  'LEGAL_AID',
  'SOCIAL_ASSISTANCE',
  'SOCIAL_INSURANCE',
  'HOUSEKEEPING',
  'HOME_EMPLOYMENT',
] as const;


/**
 * Default step deadlines in working days (OUR choice; the seed sets none). Normal / green channel:
 * assignment 2/1 (a department picks a staff member), visit 5/2 (arrange and make the home visit),
 * review 5/2 (department review or registration), delivery 3/1 (mail or hand over), ledger 2/1
 * (enter the case in the work ledger; the DPF receives it monthly).
 */
export const DEFAULT_STEP_DEADLINES: Readonly<Record<StepKind, { normal: number; green: number }>> = Object.freeze({
  assignment: { normal: 2, green: 1 },
  visit: { normal: 5, green: 2 },
  review: { normal: 5, green: 2 },
  delivery: { normal: 3, green: 1 },
  ledger: { normal: 2, green: 1 },
});

type StepLabels = Partial<Record<StepKind, string>>;
type DeadlineOverrides = Partial<Record<StepKind, { normal: number; green: number }>>;

function step(kind: StepKind, labels: StepLabels, overrides: DeadlineOverrides): StepDef {
  const d = overrides[kind] ?? DEFAULT_STEP_DEADLINES[kind];
  return { kind, label: labels[kind] ?? CASE_STEP_LABELS[kind], deadlineWorkingDays: d.normal, greenChannelWorkingDays: d.green };
}

/** assignment → visit → review → (delivery if a certificate is issued) → ledger. */
function steps(needsCertificate: boolean, labels: StepLabels = {}, overrides: DeadlineOverrides = {}): StepDef[] {
  const kinds: StepKind[] = needsCertificate
    ? ['assignment', 'visit', 'review', 'delivery', 'ledger']
    : ['assignment', 'visit', 'review', 'ledger'];
  return kinds.map((k) => step(k, labels, overrides));
}

function ev(kinds: EvidenceKind[], minCount: number, label: string): EvidenceRequirement {
  return { kinds, minCount, label };
}

// Evidence every home visit records (OUR choice): a photo of the visit and the person's (or
// guardian's) signature on the application or service record.
const VISIT_PHOTO = ev(['photo'], 1, '上门服务现场照片');
const SIGNATURE = ev(['signature'], 1, '服务对象或监护人签字确认');
const APPLICATION = ev(['document'], 1, '申请材料');

interface ActionSpec {
  code: string;
  label: string;
  labelEn: string;
  responsible: DepartmentCode[];
  cooperating: DepartmentCode[];
  implementing?: DepartmentCode;
  deliveryMethods?: DeliveryMethod[];
  evidence?: EvidenceRequirement[];
  stepLabels?: StepLabels;
  deadlines?: DeadlineOverrides;
  note?: string;
}

function action(spec: ActionSpec): ActionDef {
  const deliveryMethods = spec.deliveryMethods ?? [];
  const needsCertificate = deliveryMethods.length > 0;
  const def: ActionDef = {
    code: spec.code,
    label: spec.label,
    labelEn: spec.labelEn,
    responsible: spec.responsible,
    cooperating: spec.cooperating,
    implementing: spec.implementing ?? spec.responsible[0],
    steps: steps(needsCertificate, spec.stepLabels, spec.deadlines),
    deliveryMethods,
    evidence: spec.evidence ?? [VISIT_PHOTO, APPLICATION, SIGNATURE],
    needsCertificate,
  };
  if (spec.note !== undefined) def.note = spec.note;
  return def;
}

// Certificates for blind massage institutions go straight to the institution (直接送达).
const TO_INSTITUTION: DeliveryMethod[] = ['in_person'];
// Disability certificates are mailed or brought home by township/community DPF staff.
const CERT_HOME: DeliveryMethod[] = ['post', 'in_person'];
const ASSESSMENT_EVIDENCE = [VISIT_PHOTO, ev(['document'], 1, '上门评残鉴定表（定点医疗机构出具）'), SIGNATURE];

function disabilityCert(code: string, label: string, labelEn: string, assessment: boolean, certificate: boolean): ActionDef {
  return action({
    code,
    label,
    labelEn,
    responsible: ['DPF'],
    cooperating: ['HEALTH'],
    deliveryMethods: certificate ? CERT_HOME : [],
    evidence: assessment ? ASSESSMENT_EVIDENCE : undefined,
    stepLabels: assessment ? { visit: '上门评残并受理' } : { visit: '上门受理' },
    // A home assessment needs a designated hospital's doctors (arranged by HEALTH): allow longer.
    deadlines: assessment ? { visit: { normal: 10, green: 5 } } : {},
    note: assessment ? '需卫生健康部门协调定点医疗机构上门评残鉴定' : undefined,
  });
}

function ongoingAction(spec: Omit<ActionSpec, 'code'> & { code?: string }): ActionDef {
  return action({ code: 'ENROL', ...spec, deliveryMethods: [] });
}

const ITEMS: ServiceItem[] = [
  {
    code: 'BLIND_MASSAGE',
    number: 1,
    category: 'A',
    label: '盲人按摩机构证照办理',
    labelEn: 'Licences and filings for blind massage institutions',
    ongoing: false,
    responsible: ['APPROVAL', 'MARKET_REGULATION', 'MEDICAL_SECURITY'],
    cooperating: ['DPF'],
    actions: [
      action({
        code: 'BUSINESS_LICENCE',
        label: '营业执照办理',
        labelEn: 'Business licence',
        responsible: ['APPROVAL'],
        cooperating: ['DPF'],
        deliveryMethods: TO_INSTITUTION,
        note: '审核通过后将证照直接送达盲人按摩机构',
      }),
      action({
        code: 'CLINIC_FILING',
        label: '盲人医疗按摩所备案',
        labelEn: 'Blind medical massage clinic filing',
        responsible: ['APPROVAL'],
        cooperating: ['DPF'],
        deliveryMethods: TO_INSTITUTION,
        note: '审核通过后将证照直接送达盲人按摩机构',
      }),
      action({
        code: 'ANNUAL_REPORT',
        label: '按摩机构年报',
        labelEn: 'Annual report',
        responsible: ['MARKET_REGULATION'],
        cooperating: ['DPF'],
      }),
      action({
        code: 'MEDICAL_INSURANCE',
        label: '医保开通',
        labelEn: 'Medical-insurance enrolment',
        responsible: ['MEDICAL_SECURITY'],
        cooperating: ['DPF'],
        deliveryMethods: TO_INSTITUTION,
        note: '仅限符合申报条件的盲人按摩机构；审核通过后将有关证照直接送达',
      }),
    ],
  },
  {
    code: 'DISABILITY_CERT',
    number: 2,
    category: 'A',
    label: '残疾人证办理',
    labelEn: 'Disability certificate',
    ongoing: false,
    responsible: ['DPF'],
    cooperating: ['HEALTH'],
    actions: [
      disabilityCert('NEW', '残疾人证办理（上门评残）', 'New certificate (home assessment)', true, true),
      disabilityCert('TRANSFER', '残疾人证迁移', 'Transfer', false, true),
      disabilityCert('CHANGE', '残疾类别/等级变更（上门评残）', 'Category/grade change (home assessment)', true, true),
      disabilityCert('REISSUE', '残疾人证挂失补办', 'Loss and reissue', false, true),
      disabilityCert('CANCEL', '残疾人证注销', 'Cancellation', false, false),
      disabilityCert('RENEW', '残疾人证换领', 'Renewal', false, true),
    ],
  },
  {
    code: 'PENSION_QUALIFICATION',
    number: 3,
    category: 'A',
    label: '领取社会保险待遇资格认证',
    labelEn: 'Qualification check for social-insurance benefits',
    ongoing: false,
    responsible: ['HRSS'],
    cooperating: ['DPF'],
    actions: [
      action({
        code: 'CERTIFY',
        label: '上门资格认证',
        labelEn: 'At-home qualification check',
        responsible: ['HRSS'],
        cooperating: ['DPF'],
        evidence: [ev(['photo', 'video'], 1, '认证过程照片或录像'), SIGNATURE],
        stepLabels: { visit: '上门认证并拍照录像', review: '宁夏行政审批与公共服务系统审核' },
        note: '适用于无法通过信息比对和人脸识别自助认证者；佐证材料上传至宁夏行政审批与公共服务系统，审核通过后认证结果方可使用',
      }),
    ],
  },
  {
    code: 'REAL_ESTATE',
    number: 4,
    category: 'A',
    label: '不动产登记',
    labelEn: 'Real-estate registration',
    ongoing: false,
    responsible: ['NATURAL_RESOURCES'],
    cooperating: ['DPF'],
    actions: [
      action({
        code: 'REGISTRATION',
        label: '不动产登记办理',
        labelEn: 'Real-estate registration',
        responsible: ['NATURAL_RESOURCES'],
        cooperating: ['DPF'],
        deliveryMethods: ['electronic', 'express'],
        stepLabels: { review: '审核登簿', delivery: '发送电子证照、快递纸质证书' },
        note: '依据残联摸底需求名单；已完税业务审核、登簿后及时发送电子证照，纸质证书快递邮寄',
      }),
    ],
  },
  {
    code: 'ADULT_REHAB',
    number: 5,
    category: 'B',
    label: '成年残疾人家庭康复',
    labelEn: 'Home rehabilitation for disabled adults',
    ongoing: true,
    // OUR choice: the seed gives no frequency for adult home rehabilitation; twice a month matches
    // family-doctor follow-up practice and is enough to keep the ledger honest.
    cadence: { period: 'month', minSessions: 2, label: '每月不少于2次（本系统设定）' },
    responsible: ['HEALTH'],
    cooperating: ['DPF'],
    actions: [
      ongoingAction({
        label: '家庭康复服务方案（家庭医生签约）',
        labelEn: 'Home rehabilitation plan (family-doctor contract)',
        responsible: ['HEALTH'],
        cooperating: ['DPF'],
        stepLabels: { visit: '上门康复评估', review: '制定康复服务方案' },
        evidence: [VISIT_PHOTO, ev(['document'], 1, '康复评估结果及家庭医生签约协议'), SIGNATURE],
      }),
    ],
  },
  {
    code: 'CHILD_REHAB',
    number: 6,
    category: 'B',
    label: '残疾儿童送康复上门',
    labelEn: 'Home rehabilitation for disabled children (0–6)',
    ongoing: true,
    cadence: { period: 'month', minSessions: 4, label: '每月不少于4次' },
    responsible: ['DPF'],
    cooperating: [],
    actions: [
      ongoingAction({
        label: '送康复上门服务登记',
        labelEn: 'Enrolment in home rehabilitation',
        responsible: ['DPF'],
        cooperating: [],
        stepLabels: { assignment: '委托定点康复机构', visit: '上门评估', review: '确定康复训练计划' },
        evidence: [VISIT_PHOTO, ev(['document'], 1, '康复评估及救助申请材料'), SIGNATURE],
        note: '0–6岁残疾儿童；费用从0–6岁残疾儿童康复救助资金中解决',
      }),
    ],
  },
  {
    code: 'HOME_SCHOOLING',
    number: 7,
    category: 'B',
    label: '送教上门',
    labelEn: 'Home schooling',
    ongoing: true,
    cadence: { period: 'week', minSessions: 1, minUnitsPerSession: 2, unit: 'class_hours', label: '每周不少于1次，每次不少于2课时' },
    responsible: ['EDUCATION'],
    cooperating: ['DPF'],
    actions: [
      ongoingAction({
        label: '送教上门工作方案',
        labelEn: 'Home-schooling plan',
        responsible: ['EDUCATION'],
        cooperating: ['DPF'],
        stepLabels: { assignment: '分配送教学校', visit: '上门就读能力评估', review: '制定送教方案与教学计划' },
        evidence: [VISIT_PHOTO, ev(['document'], 1, '就读能力评估报告'), SIGNATURE],
        note: '按户籍所在地（流动人口按居住地）分配到中小学校或特殊教育学校',
      }),
    ],
  },
  {
    code: 'LEGAL_AID',
    number: 8,
    category: 'B',
    label: '法律咨询、法律援助、人民调解',
    labelEn: 'Legal consultation, legal aid and mediation',
    ongoing: false,
    responsible: ['JUSTICE'],
    cooperating: ['DPF'],
    actions: [
      action({ code: 'CONSULTATION', label: '法律咨询', labelEn: 'Legal consultation', responsible: ['JUSTICE'], cooperating: ['DPF'], evidence: [VISIT_PHOTO, SIGNATURE] }),
      action({ code: 'LEGAL_AID', label: '法律援助', labelEn: 'Legal aid', responsible: ['JUSTICE'], cooperating: ['DPF'] }),
      action({
        code: 'MEDIATION',
        label: '人民调解',
        labelEn: 'Mediation',
        responsible: ['JUSTICE'],
        cooperating: ['DPF'],
        evidence: [VISIT_PHOTO, ev(['document'], 1, '调解记录或调解协议'), SIGNATURE],
      }),
    ],
  },
  {
    code: 'SOCIAL_ASSISTANCE',
    number: 9,
    category: 'C',
    label: '两项补贴、低保、临时救助、特困供养',
    labelEn: 'Disability subsidies and social assistance',
    ongoing: false,
    responsible: ['CIVIL_AFFAIRS'],
    cooperating: ['DPF'],
    actions: (
      [
        ['TWO_SUBSIDIES', '残疾人两项补贴', 'Two disability subsidies'],
        ['MIN_LIVING', '最低生活保障（低保）', 'Minimum living allowance'],
        ['TEMP_ASSISTANCE', '临时救助', 'Temporary assistance'],
        ['EXTREME_POVERTY', '特困人员供养', 'Extreme-poverty support'],
      ] as const
    ).map(([code, label, labelEn]) =>
      action({
        code,
        label,
        labelEn,
        responsible: ['CIVIL_AFFAIRS'],
        cooperating: ['DPF'],
        stepLabels: { visit: '上门收集整理申请材料' },
        note: '乡镇（街道）残联专干上门收集整理材料，民政部门审核落实',
      }),
    ),
  },
  {
    code: 'SOCIAL_INSURANCE',
    number: 10,
    category: 'C',
    label: '城乡居民养老保险、医疗保险、就业年龄段意外伤害保险',
    labelEn: 'Social insurance enrolment',
    ongoing: false,
    responsible: ['HRSS', 'MEDICAL_SECURITY', 'DPF'],
    cooperating: [],
    actions: [
      action({
        code: 'PENSION_INSURANCE',
        label: '城乡居民社会养老保险',
        labelEn: 'Urban-rural residents’ pension insurance',
        responsible: ['HRSS'],
        cooperating: ['DPF'],
      }),
      action({
        code: 'MEDICAL_INSURANCE',
        label: '城乡居民医疗保险',
        labelEn: 'Urban-rural residents’ medical insurance',
        responsible: ['MEDICAL_SECURITY'],
        cooperating: ['DPF'],
      }),
      action({
        code: 'ACCIDENT_INSURANCE',
        label: '就业年龄段意外伤害保险',
        labelEn: 'Accident insurance for people of working age',
        responsible: ['DPF'],
        cooperating: [],
      }),
    ],
  },
  {
    code: 'HOUSEKEEPING',
    number: 11,
    category: 'D',
    label: '家政服务',
    labelEn: 'Housekeeping',
    ongoing: true,
    // OUR choice: the seed gives no frequency; weekly visits of at least an hour are what
    // "保姆式" cleaning/meals/shopping help minimally implies.
    cadence: { period: 'week', minSessions: 1, minUnitsPerSession: 60, unit: 'minutes', label: '每周不少于1次，每次不少于60分钟（本系统设定）' },
    responsible: ['DPF'],
    cooperating: ['CIVIL_AFFAIRS'],
    actions: [
      ongoingAction({
        label: '家政服务计划',
        labelEn: 'Housekeeping plan',
        responsible: ['DPF'],
        cooperating: ['CIVIL_AFFAIRS'],
        stepLabels: { visit: '上门了解需求', review: '确定服务内容（助洁、助餐、理发、代购等）' },
        note: '经费来自“阳光家园计划”托养服务项目资金，或通过政府购买服务、志愿服务等方式',
      }),
    ],
  },
  {
    code: 'HOME_EMPLOYMENT',
    number: 12,
    category: 'D',
    label: '居家就业',
    labelEn: 'Home employment',
    ongoing: true,
    // OUR choice: the seed gives no frequency; a monthly guidance or training contact keeps a
    // home-employment plan alive without over-burdening staff.
    cadence: { period: 'month', minSessions: 1, label: '每月不少于1次指导或培训（本系统设定）' },
    responsible: ['DPF'],
    cooperating: ['HRSS'],
    actions: [
      ongoingAction({
        label: '居家就业帮扶计划',
        labelEn: 'Home-employment plan',
        responsible: ['DPF'],
        cooperating: ['HRSS'],
        stepLabels: { visit: '上门评估劳动能力', review: '确定就业岗位与培训计划' },
        evidence: [VISIT_PHOTO, ev(['document'], 1, '劳动能力评估记录'), SIGNATURE],
      }),
    ],
  },
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The current catalog (deeply frozen: it is shared by workflows, API and reports). */
export const CATALOG: Catalog = deepFreeze({ version: CATALOG_VERSION, items: ITEMS });

/** The item with `itemCode`, or undefined for unknown codes. */
export function findItem(itemCode: string, catalog: Catalog = CATALOG): ServiceItem | undefined {
  return catalog.items.find((i) => i.code === itemCode);
}

/** The item and action for a pair of codes, or undefined if either is unknown. */
export function findAction(itemCode: string, actionCode: string, catalog: Catalog = CATALOG): { item: ServiceItem; action: ActionDef } | undefined {
  const item = findItem(itemCode, catalog);
  const act = item?.actions.find((a) => a.code === actionCode);
  return item && act ? { item, action: act } : undefined;
}

/** Every action of the one-off (not ongoing) items: the ones that become cases with deadlines. */
export function oneOffActions(catalog: Catalog = CATALOG): Array<{ item: ServiceItem; action: ActionDef }> {
  return catalog.items.filter((i) => !i.ongoing).flatMap((item) => item.actions.map((action) => ({ item, action })));
}

/** The step's deadline in working days, shorter under the green channel (绿色通道). */
export function stepDeadline(step: StepDef, greenChannel: boolean): number {
  return greenChannel ? step.greenChannelWorkingDays : step.deadlineWorkingDays;
}

/** Total working days from assignment to ledger entry for an action, for showing an expected completion date. */
export function actionDeadlineWorkingDays(action: ActionDef, greenChannel: boolean): number {
  return action.steps.reduce((sum, s) => sum + stepDeadline(s, greenChannel), 0);
}

/** The item code with its Chinese label, for lists and reports. */
export function itemLabel(itemCode: string, catalog: Catalog = CATALOG): Labelled {
  const item = findItem(itemCode, catalog);
  if (!item) throw new RangeError(`unknown service item: ${itemCode}`);
  return labelled(item.code, item.label);
}

/**
 * The evidence requirements not yet met by the evidence `provided` (one entry per piece); each
 * requirement counts the pieces of its kinds independently. Used to block closing a visit early.
 */
export function missingEvidence(action: ActionDef, provided: readonly EvidenceKind[]): EvidenceRequirement[] {
  return action.evidence.filter((req) => provided.filter((k) => req.kinds.includes(k)).length < req.minCount);
}
