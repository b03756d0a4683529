/**
 * 工作台账 rows (attachment 2 of the plan): one per handled case or plan period, written once by
 * the workflow's ledger step (idempotent on source + month). The row is a snapshot in the words of the
 * ledger's columns, so a later edit of the subject never rewrites what was shared.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { findAction, findItem, DELIVERY_METHOD_LABELS, type DeliveryMethod } from '../domain/catalog';
import { monthOf, shanghaiDate } from '../domain/calendar';
import { disabilityCategoryLabel, disabilityGradeLabel, isDisabilityCategory, isDisabilityGrade } from '../domain/certificateNumber';
import { maskIdNumber } from '../domain/idNumber';
import type { Db } from '../db/client';
import { cases, ledgerEntries, plans, subjects, users } from '../db/schema';

/** One ledger row's content; the export layer gives each key its Chinese column header. */
export interface LedgerRow {
  subjectName: string;
  idNumberMasked: string;
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

const OUTCOME_LABELS: Record<string, string> = {
  approved: '已办结', approved_with_missing: '已办结（容缺后补）', rejected: '不予办理', cancelled: '已撤销', closed: '已办结',
};

const day = (d: Date | null | undefined) => (d ? shanghaiDate(d) : null);
const ledgerId = (parts: string[]) => createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);

async function subjectColumns(db: Db, subjectId: string) {
  const [s] = await db.select().from(subjects).where(eq(subjects.id, subjectId)).limit(1);
  if (!s) throw new Error(`subject ${subjectId} not found`);
  return {
    subjectName: s.name,
    idNumberMasked: maskIdNumber(s.idNumber),
    disabilityCategory: isDisabilityCategory(s.disabilityCategory) ? disabilityCategoryLabel(s.disabilityCategory) : '',
    disabilityGrade: isDisabilityGrade(s.disabilityGrade) ? disabilityGradeLabel(s.disabilityGrade) : '',
  };
}

async function userName(db: Db, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const [u] = await db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).limit(1);
  return u?.name ?? userId;
}

/** Writes the ledger row of a finished case (once; a retry finds it written). Returns the row id. */
export async function writeCaseLedgerEntry(db: Db, input: { caseId: string; at: string; remarks?: string }): Promise<string> {
  const [c] = await db.select().from(cases).where(eq(cases.id, input.caseId)).limit(1);
  if (!c) throw new Error(`case ${input.caseId} is not in the read model yet`);
  const at = new Date(input.at);
  const month = monthOf(at);
  const found = findAction(c.itemCode, c.actionCode);
  const row: LedgerRow = {
    ...(await subjectColumns(db, c.subjectId)),
    item: { code: c.itemCode, label: found?.item.label ?? c.itemCode },
    action: { code: c.actionCode, label: found?.action.label ?? c.actionCode },
    askedOn: shanghaiDate(c.openedAt),
    visitedOn: day(c.visitedAt),
    handledBy: await userName(db, c.assignee),
    result: OUTCOME_LABELS[c.outcome ?? c.status] ?? c.outcome ?? c.status,
    deliveryMethod: c.deliveryMethod ? DELIVERY_METHOD_LABELS[c.deliveryMethod as DeliveryMethod] ?? c.deliveryMethod : null,
    deliveredOn: day(c.deliveredAt),
    remarks: [c.greenChannel ? '绿色通道' : '', input.remarks ?? ''].filter(Boolean).join('；'),
  };
  const id = ledgerId(['case', c.id, month]);
  await db.insert(ledgerEntries).values({
    id, county: c.county, department: c.department, month, sourceType: 'case', sourceId: c.id,
    subjectId: c.subjectId, itemCode: c.itemCode, actionCode: c.actionCode, row, sharedAt: at,
  }).onConflictDoNothing();
  return id;
}

/** Writes the ledger row of one checked plan period (once). */
export async function writePlanPeriodLedgerEntry(db: Db, input: {
  planId: string; period: string; at: string; sessions: number; compliant: boolean; shortfall?: string; lastSessionOn?: string | null; providerName?: string;
}): Promise<string> {
  const [p] = await db.select().from(plans).where(eq(plans.id, input.planId)).limit(1);
  if (!p) throw new Error(`plan ${input.planId} is not in the read model`);
  const at = new Date(input.at);
  const month = monthOf(at);
  const item = findItem(p.itemCode);
  const found = findAction(p.itemCode, p.actionCode);
  const row: LedgerRow = {
    ...(await subjectColumns(db, p.subjectId)),
    item: { code: p.itemCode, label: item?.label ?? p.itemCode },
    action: { code: p.actionCode, label: found?.action.label ?? p.actionCode },
    askedOn: p.startDate,
    visitedOn: input.lastSessionOn ?? null,
    handledBy: input.providerName ?? null,
    result: input.compliant ? `${input.period} 达标（${input.sessions} 次）` : `${input.period} 未达标（${input.sessions} 次）`,
    deliveryMethod: null,
    deliveredOn: null,
    remarks: input.shortfall ?? '',
  };
  const id = ledgerId(['plan_period', p.id, input.period]);
  await db.insert(ledgerEntries).values({
    id, county: p.county, department: p.department, month, sourceType: 'plan_period', sourceId: `${p.id}:${input.period}`,
    subjectId: p.subjectId, itemCode: p.itemCode, actionCode: p.actionCode, row, sharedAt: at,
  }).onConflictDoNothing();
  return id;
}
