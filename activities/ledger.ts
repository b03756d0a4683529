/**
 * 工作台账 rows (attachment 2 of the plan): one per handled case or plan period, written once by
 * the workflow's ledger step (idempotent on source + month). The row is a snapshot in the words of the
 * ledger's columns, so a later edit of the subject never rewrites what was shared.
 *
 * A month's ledger is frozen once it is shared with the same-level DPF (db/queries/ledger.ts
 * shareLedger; a trigger enforces it). A row that arrives for a month already shared (a retried
 * activity after the monthly share) goes into the next month still open, with a remark saying so.
 */
import { createHash } from 'node:crypto';
import { and, eq, gte } from 'drizzle-orm';
import { findAction, findItem } from '../domain/catalog';
import { DELIVERY_METHOD_LABELS, type DeliveryMethod } from '../domain/vocabulary';
import { monthOf, shanghaiDate } from '../domain/calendar';
import type { Db } from '../db/client';
import { cases, ledgerEntries, ledgerShares, plans, subjects, users } from '../db/schema';
import { subjectLedgerColumns, type LedgerRow } from '../domain/ledger';
import { officialPeriodVerdict } from './policy';

export const OUTCOME_LABELS: Record<string, string> = {
  approved: '已办结', approved_with_missing: '已办结（容缺后补）', rejected: '不予办理', cancelled: '已撤销', closed: '已办结',
};

const day = (d: Date | null | undefined) => (d ? shanghaiDate(d) : null);

/** The ledger row id of a source in the month it belongs to: deterministic, so a retried write finds its row. */
export const ledgerEntryId = (parts: string[]) => createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);

export { subjectLedgerColumns };

/** The case fields a ledger row reads. */
export interface CaseLedgerSource {
  itemCode: string; actionCode: string; openedAt: Date; visitedAt: Date | null; deliveredAt: Date | null;
  outcome: string | null; status: string; deliveryMethod: string | null; greenChannel: boolean;
}

/** The ledger row of a finished case (pure: the generator of test data builds rows the same way). */
export function caseLedgerRow(
  c: CaseLedgerSource, subject: Parameters<typeof subjectLedgerColumns>[0], handledBy: string | null, remarks?: string,
): LedgerRow {
  const found = findAction(c.itemCode, c.actionCode);
  return {
    ...subjectLedgerColumns(subject),
    item: { code: c.itemCode, label: found?.item.label ?? c.itemCode },
    action: { code: c.actionCode, label: found?.action.label ?? c.actionCode },
    askedOn: shanghaiDate(c.openedAt),
    visitedOn: day(c.visitedAt),
    handledBy,
    result: OUTCOME_LABELS[c.outcome ?? c.status] ?? c.outcome ?? c.status,
    deliveryMethod: c.deliveryMethod ? DELIVERY_METHOD_LABELS[c.deliveryMethod as DeliveryMethod] ?? c.deliveryMethod : null,
    deliveredOn: day(c.deliveredAt),
    remarks: [c.greenChannel ? '绿色通道' : '', remarks ?? ''].filter(Boolean).join('；'),
  };
}

/** The ledger row of one checked plan period (pure). */
export function planPeriodLedgerRow(
  p: { itemCode: string; actionCode: string; startDate: string }, subject: Parameters<typeof subjectLedgerColumns>[0],
  input: { period: string; sessions: number; compliant: boolean; shortfall?: string; lastSessionOn?: string | null; providerName?: string; advisory?: boolean },
): LedgerRow {
  const item = findItem(p.itemCode);
  const found = findAction(p.itemCode, p.actionCode);
  return {
    ...subjectLedgerColumns(subject),
    item: { code: p.itemCode, label: item?.label ?? p.itemCode },
    action: { code: p.actionCode, label: found?.action.label ?? p.actionCode },
    askedOn: p.startDate,
    visitedOn: input.lastSessionOn ?? null,
    handledBy: input.providerName ?? null,
    // A local cadence not enforced is a recommendation: short of it is never an official 未达标 (domain/policy.ts).
    result: input.compliant ? `${input.period} 达标（${input.sessions} 次）`
      : input.advisory ? `${input.period} 已服务 ${input.sessions} 次（未达到本地建议频次；方案未规定频次，仅作提示）` : `${input.period} 未达标（${input.sessions} 次）`,
    deliveryMethod: null,
    deliveredOn: null,
    remarks: input.advisory && input.shortfall ? `本地建议：${input.shortfall}` : input.shortfall ?? '',
  };
}

async function loadSubject(db: Db, subjectId: string) {
  const [s] = await db.select().from(subjects).where(eq(subjects.id, subjectId)).limit(1);
  if (!s) throw new Error(`subject ${subjectId} not found`);
  return s;
}

async function userName(db: Db, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const [u] = await db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).limit(1);
  return u?.name ?? userId;
}

/** The first month ≥ `month` whose ledger for this county department is not shared yet. */
async function openMonthFrom(db: Db, county: string, department: string, month: string): Promise<string> {
  const shared = await db.select({ month: ledgerShares.month }).from(ledgerShares)
    .where(and(eq(ledgerShares.county, county), eq(ledgerShares.department, department), gte(ledgerShares.month, month)));
  const taken = new Set(shared.map((s) => s.month));
  let m = month;
  while (taken.has(m)) {
    const [y, mo] = m.split('-').map(Number);
    m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  }
  return m;
}

/**
 * Inserts a ledger row once. The id comes from the source and the month it belongs to, so a retry
 * returns the row already written, even when a share in between moved a first write to a later month.
 */
async function insertOnce(db: Db, id: string, values: Omit<typeof ledgerEntries.$inferInsert, 'id'>): Promise<string> {
  const [existing] = await db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.id, id)).limit(1);
  if (existing) return id;
  const month = await openMonthFrom(db, values.county, values.department, values.month);
  const late = month !== values.month ? `补录：原属 ${values.month} 台账（该月已共享）` : '';
  const row = late ? { ...(values.row as LedgerRow), remarks: [(values.row as LedgerRow).remarks, late].filter(Boolean).join('；') } : values.row;
  await db.insert(ledgerEntries).values({ ...values, id, month, row, sharedAt: null }).onConflictDoNothing();
  return id;
}

/** Writes the ledger row of a finished case (once; a retry finds it written). Returns the row id. */
export async function writeCaseLedgerEntry(db: Db, input: { caseId: string; at: string; remarks?: string }): Promise<string> {
  const [c] = await db.select().from(cases).where(eq(cases.id, input.caseId)).limit(1);
  if (!c) throw new Error(`case ${input.caseId} is not in the read model yet`);
  const month = monthOf(new Date(input.at));
  const row = caseLedgerRow(c, await loadSubject(db, c.subjectId), await userName(db, c.assignee), input.remarks);
  return insertOnce(db, ledgerEntryId(['case', c.id, month]), {
    county: c.county, department: c.department, month, sourceType: 'case', sourceId: c.id,
    subjectId: c.subjectId, itemCode: c.itemCode, actionCode: c.actionCode, row,
  });
}

/** Writes the ledger row of one checked plan period (once). */
export async function writePlanPeriodLedgerEntry(db: Db, input: {
  planId: string; period: string; at: string; sessions: number; compliant: boolean; shortfall?: string; lastSessionOn?: string | null; providerName?: string;
}): Promise<string> {
  const [p] = await db.select().from(plans).where(eq(plans.id, input.planId)).limit(1);
  if (!p) throw new Error(`plan ${input.planId} is not in the read model`);
  const month = monthOf(new Date(input.at));
  const official = await officialPeriodVerdict(db, p, input);
  const row = planPeriodLedgerRow(p, await loadSubject(db, p.subjectId), { ...input, compliant: official.compliant, shortfall: official.shortfall, advisory: official.advisory });
  return insertOnce(db, ledgerEntryId(['plan_period', p.id, input.period]), {
    county: p.county, department: p.department, month, sourceType: 'plan_period', sourceId: `${p.id}:${input.period}`,
    subjectId: p.subjectId, itemCode: p.itemCode, actionCode: p.actionCode, row,
  });
}

