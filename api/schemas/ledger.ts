/** What /v1/ledger answers: a 工作台账 page, an entry, a share (freeze) record. */
import { z } from 'zod';
import { day, instant, labelled, nextCursor } from './common';

/** The content of a ledger row (domain/ledger LedgerRow): what the county department shares with the DPF. */
export const ledgerRow = z.object({
  subjectName: z.string(),
  idNumberMasked: z.string(),
  idNumber: z.string().optional().describe('完整身份证号：仅在已共享（冻结）台账且 ?unmask=true 时给出，并记入审计'),
  disabilityCategory: z.string(),
  disabilityGrade: z.string(),
  item: labelled,
  action: labelled,
  askedOn: day,
  visitedOn: day.nullable(),
  handledBy: z.string().nullable(),
  result: z.string(),
  deliveryMethod: z.string().nullable().describe('送达方式（中文）'),
  deliveredOn: day.nullable(),
  remarks: z.string(),
});

export const ledgerEntryView = z.object({
  id: z.string(),
  serial: z.number().int().nullable(),
  month: z.string(),
  county: labelled,
  department: labelled,
  source: z.object({ type: z.string(), id: z.string() }),
  row: ledgerRow,
  amendsId: z.string().nullable(),
  amendReason: z.string().nullable(),
  amendedBy: z.array(z.object({ id: z.string(), month: z.string() })).describe('更正本记录的更正记录（记入之后月份的台账）'),
  sharedAt: instant.nullable(),
  createdAt: instant,
});

export const ledgerShareView = z.object({
  county: labelled,
  department: labelled,
  month: z.string(),
  rowCount: z.number().int(),
  contentHash: z.string(),
  sharedAt: instant,
  sharedBy: z.string(),
  sharedByName: z.string().nullable().describe('共享人姓名（每月定时共享为“每月自动共享”）'),
  sharedWith: labelled,
  verified: z.boolean().optional().describe('重新计算的内容哈希与冻结时一致'),
});

export const ledgerView = z.object({
  title: z.string(),
  unit: z.string(),
  county: labelled,
  department: labelled,
  month: z.string(),
  headers: z.array(z.object({ key: z.string(), label: z.string() })),
  share: ledgerShareView.nullable(),
  unmasked: z.boolean().describe('是否为含完整身份证号的冻结台账'),
  items: z.array(ledgerEntryView),
  nextCursor,
});

export const ledgerShareList = z.object({ month: z.string().nullable().describe('所查月份；未指定月份时为 null（最近的共享记录）'), items: z.array(ledgerShareView) });

/** What sharing the month now would freeze (the confirmation shows it), or the share when it is shared. */
export const ledgerSharePreview = z.object({
  county: labelled,
  department: labelled,
  month: z.string(),
  unit: z.string(),
  monthOver: z.boolean().describe('该月是否已结束（月度台账须在次月共享）'),
  share: ledgerShareView.nullable(),
  rowCount: z.number().int().describe('共享时冻结的记录行数'),
  contentHash: z.string().describe('共享时冻结的内容哈希（sha256）'),
  waitingAdded: z.number().int().describe('共享时将记入本月台账的容缺后补待补材料案件数（已含在行数内）'),
});
