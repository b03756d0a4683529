/**
 * /v1/ledger: the 工作台账 (attachment 2 of the plan) of one county department and month, as JSON,
 * streamed XLSX or CSV; the monthly share with the same-level DPF (manual share of a past month; the
 * Temporal Schedule shares every month on the 1st); edits before sharing, amendment rows after.
 *
 * Decisions: a ledger is always one county department's month (county, department and month are
 * required). Reading: coordinator, reviewer, supervisor, admin. Editing and amending: coordinator,
 * admin. Manual share: coordinator, supervisor, admin. A row of a shared month answers 409 to an
 * edit; a correction is then POST /v1/ledger/amendments, which only applies to shared rows (an
 * unshared row is simply edited).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LEDGER_HEADERS, type LedgerRow } from '../../domain/ledger';
import { isDateString, monthOf } from '../../domain/calendar';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { DELIVERY_METHOD_LABELS, DELIVERY_METHODS } from '../../domain/vocabulary';
import {
  amendLedgerEntry, editLedgerEntry, findLedgerEntry, findShare, isFrozenError, ledgerBatches, ledgerPage, ledgerSubjectIds, listShares,
  withFullIdNumbers,
  LedgerChangedError, monthIsOver, previewShare, shareLedger, type LedgerChanges, type LedgerEntry, type LedgerShare, type NumberedLedgerEntry,
} from '../../db/queries/ledger';
import type { AppDeps } from '../types';
import { audit, revealPersonalData, wantsUnmask } from '../audit';
import { currentUser, inScope, requireRole } from '../auth';
import { attachment, CSV_TYPE, streamCsv, streamXlsx, XLSX_TYPE } from '../export/xlsx';
import { countyL, departmentL, unitName } from '../export/labels';
import { decodeCursor, encodeCursor } from '../cursor';
import { conflict, notFound } from '../problem';
import { scopeOf } from './supervision';
import { jsonOrFileResponse, problemResponses } from '../schemas/common';
import { ledgerEntryView, ledgerShareList, ledgerSharePreview, ledgerShareView, ledgerView } from '../schemas/ledger';

export const LEDGER_TITLE = '为特殊困难残疾人上门代办服务工作台账';

/** A month of 1900–2099 (like report quarters): year 0000 has no timestamp in PostgreSQL. */
const month = z.string().regex(/^(?:19|20)\d{2}-(0[1-9]|1[0-2])$/, 'YYYY-MM（1900–2099 年）');
const date = z.string().refine(isDateString, 'YYYY-MM-DD');
const ledgerKey = z.object({ county: z.enum(COUNTY_CODES), department: z.enum(DEPARTMENT_CODES), month });

const changes = z.object({
  visitedOn: date.nullable().optional(),
  handledBy: z.string().min(1).max(50).nullable().optional(),
  result: z.string().min(1).max(200).optional(),
  deliveryMethod: z.enum(DELIVERY_METHODS).nullable().optional(),
  deliveredOn: date.nullable().optional(),
  remarks: z.string().max(500).optional(),
}).strict().refine((o) => Object.keys(o).length > 0, '至少修改一项 At least one column must change');

/** Column changes as stored in the row (delivery method in its Chinese words, like the rows the workflow writes). */
function rowChanges(c: z.infer<typeof changes>): LedgerChanges {
  const { deliveryMethod, ...rest } = c;
  return { ...rest, ...(deliveryMethod !== undefined ? { deliveryMethod: deliveryMethod === null ? null : DELIVERY_METHOD_LABELS[deliveryMethod] } : {}) };
}

/** The cells of a ledger row in LEDGER_HEADERS order. */
export function ledgerCells(e: NumberedLedgerEntry): Array<string | number | null> {
  return LEDGER_HEADERS.map(([key]) => {
    if (key === 'serial') return e.serial;
    if (key === 'idNumberMasked' && e.row.idNumber) return e.row.idNumber;
    const v = e.row[key as keyof LedgerRow];
    if (v && typeof v === 'object') return v.label;
    return v ?? '';
  });
}

function presentEntry(e: NumberedLedgerEntry | (LedgerEntry & { serial?: number })) {
  return {
    id: e.id,
    serial: e.serial ?? null,
    month: e.month,
    county: countyL(e.county),
    department: departmentL(e.department),
    source: { type: e.sourceType, id: e.sourceId },
    row: e.row,
    amendsId: e.amendsId,
    amendReason: e.amendReason,
    amendedBy: 'amendedBy' in e ? e.amendedBy ?? [] : [],
    sharedAt: e.sharedAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

function presentShare(s: LedgerShare & { verified?: boolean }) {
  return {
    county: countyL(s.county), department: departmentL(s.department), month: s.month, rowCount: s.rowCount,
    contentHash: s.contentHash, sharedAt: s.sharedAt.toISOString(), sharedBy: s.sharedBy,
    sharedByName: s.sharedBy === 'schedule' ? '每月自动共享' : s.sharedByName ?? null,
    sharedWith: { code: 'DPF', label: `${countyL(s.county).label}残联` },
    ...(s.verified !== undefined ? { verified: s.verified } : {}),
  };
}

/** The format asked for: ?format= wins, else the Accept header, else JSON. */
function formatOf(query: string | undefined, accept: string | undefined): 'json' | 'xlsx' | 'csv' {
  if (query === 'json' || query === 'xlsx' || query === 'csv') return query;
  if (accept?.includes('spreadsheetml')) return 'xlsx';
  if (accept?.includes('text/csv')) return 'csv';
  return 'json';
}

export async function ledgerRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const readers = requireRole('coordinator', 'reviewer', 'supervisor', 'admin');
  const editors = requireRole('coordinator', 'admin');

  r.get('/ledger', {
    schema: {
      tags: ['ledger'], summary: '工作台账（附件2）：某县区某部门某月，JSON / XLSX / CSV',
      querystring: ledgerKey.extend({
        format: z.enum(['json', 'xlsx', 'csv']).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        cursor: z.string().min(1).max(200).optional(),
        /** The frozen (shared) copy with full ID numbers, for the DPF to match records (数据同源); audited. */
        unmask: z.enum(['true', 'false', '1', '0']).optional(),
      }),
      response: { 200: jsonOrFileResponse('工作台账：JSON，或 XLSX / CSV 文件（?format= 或 Accept）', ledgerView, [XLSX_TYPE, 'text/csv']), ...problemResponses },
    },
    preHandler: readers,
  }, async (request, reply) => {
    const user = currentUser(request);
    const q = request.query;
    if (!inScope(user, q.county, q.department)) throw notFound('台账');
    const key = { county: q.county, department: q.department, month: q.month };
    const format = formatOf(q.format, request.headers.accept);
    // Full ID numbers: only in the frozen copy of a shared month, for roles that may unmask lists; every download audited.
    let idNumbers: ((rows: NumberedLedgerEntry[]) => Promise<NumberedLedgerEntry[]>) | undefined;
    if (wantsUnmask(request)) {
      const frozen = await findShare(deps.db, key);
      if (!frozen) throw conflict(`${q.month} 台账尚未与同级残联共享：完整身份证号仅随已冻结的共享台账提供`);
      const subjectIds = await ledgerSubjectIds(deps.db, key);
      await revealPersonalData(deps.db, request, user, { type: 'ledger', id: `${q.county}/${q.department}/${q.month}`, ids: subjectIds });
      idNumbers = (rows) => withFullIdNumbers(deps.db, rows);
    }
    const unit = unitName(q.county, q.department);
    const [y, m] = q.month.split('-');
    if (format !== 'json') {
      const rows = (async function* () {
        for await (const batch of ledgerBatches(deps.db, key)) yield (idNumbers ? await idNumbers(batch) : batch).map(ledgerCells);
      })();
      const base = `工作台账-${unit}-${q.month}`;
      const ascii = `ledger-${q.county}-${q.department}-${q.month}`;
      if (format === 'csv') {
        return reply.type(CSV_TYPE).header('content-disposition', attachment(`${base}.csv`, `${ascii}.csv`))
          .send(streamCsv(LEDGER_HEADERS.map(([, h]) => h), rows));
      }
      return reply.type(XLSX_TYPE).header('content-disposition', attachment(`${base}.xlsx`, `${ascii}.xlsx`)).send(streamXlsx({
        sheetName: '工作台账', title: LEDGER_TITLE, subtitle: `填报单位：${unit}    月份：${y}年${Number(m)}月`,
        columns: LEDGER_HEADERS.map(([k, h]) => ({ header: h, width: k === 'serial' ? 6 : k === 'idNumberMasked' ? 21 : k === 'item' || k === 'action' || k === 'result' || k === 'remarks' ? 24 : 12 })),
        rows,
      }));
    }
    const page = await ledgerPage(deps.db, key, q.limit, q.cursor ? decodeCursor(q.cursor, ['count'])[0] : 0);
    const share = await findShare(deps.db, key);
    return {
      title: LEDGER_TITLE, unit, county: countyL(q.county), department: departmentL(q.department), month: q.month,
      headers: LEDGER_HEADERS.map(([k, label]) => ({ key: k, label })),
      share: share ? presentShare(share) : null,
      unmasked: idNumbers !== undefined,
      items: (idNumbers ? await idNumbers(page.items) : page.items).map(presentEntry),
      nextCursor: page.next === null ? null : encodeCursor([page.next]),
    };
  });

  r.patch('/ledger/entries/:id', {
    schema: {
      tags: ['ledger'], summary: '修改台账记录（仅限尚未共享的月份；已共享请提交更正）',
      params: z.object({ id: z.string().min(1).max(64) }), body: z.object({ changes }).strict(),
      response: { 200: ledgerEntryView, ...problemResponses },
    },
    preHandler: editors,
  }, async (request) => {
    const user = currentUser(request);
    const entry = await findLedgerEntry(deps.db, request.params.id);
    if (!entry || !inScope(user, entry.county, entry.department)) throw notFound('台账记录');
    const share = await findShare(deps.db, entry);
    const frozen = () => conflict(`${entry.month} 台账已于 ${share?.sharedAt.toISOString() ?? '此前'} 与同级残联共享，不可修改；请提交更正记录（POST /v1/ledger/amendments）`, { sharedAt: share?.sharedAt.toISOString() });
    if (share) throw frozen();
    let updated: LedgerEntry;
    try {
      updated = await editLedgerEntry(deps.db, entry.id, rowChanges(request.body.changes));
    } catch (e) {
      if (isFrozenError(e)) throw frozen();
      throw e;
    }
    await audit(deps.db, { user, action: 'ledger.edit', resourceType: 'ledger_entry', resourceId: entry.id, ip: request.ip, detail: { fields: Object.keys(request.body.changes) } });
    return presentEntry(updated);
  });

  r.post('/ledger/amendments', {
    schema: {
      tags: ['ledger'], summary: '台账更正：对已共享月份的记录追加一条更正记录（记入更正当月台账）',
      body: z.object({ ledgerEntryId: z.string().min(1).max(64), changes, reason: z.string().trim().min(2).max(500) }).strict(),
      response: { 201: ledgerEntryView, ...problemResponses },
    },
    preHandler: editors,
  }, async (request, reply) => {
    const user = currentUser(request);
    const original = await findLedgerEntry(deps.db, request.body.ledgerEntryId);
    if (!original || !inScope(user, original.county, original.department)) throw notFound('台账记录');
    if (!(await findShare(deps.db, original))) throw conflict(`${original.month} 台账尚未共享，请直接修改该记录（PATCH /v1/ledger/entries/${original.id}）`);
    const now = deps.now();
    const target = { county: original.county, department: original.department, month: monthOf(now) };
    if (await findShare(deps.db, target)) throw conflict(`${target.month} 台账已共享，无法记入更正`);
    const amendment = await amendLedgerEntry(deps.db, original, rowChanges(request.body.changes), request.body.reason, user.id, now);
    await audit(deps.db, { user, action: 'ledger.amend', resourceType: 'ledger_entry', resourceId: amendment.id, ip: request.ip, detail: { amends: original.id } });
    return reply.status(201).header('location', `/v1/ledger?county=${amendment.county}&department=${amendment.department}&month=${amendment.month}`).send(presentEntry(amendment));
  });

  const sharers = requireRole('coordinator', 'supervisor', 'admin');

  r.get('/ledger/share-preview', {
    schema: {
      tags: ['ledger'], summary: '共享前预览：此刻共享将冻结的记录行数与内容哈希（不共享；已共享则给出共享记录）',
      querystring: ledgerKey,
      response: { 200: ledgerSharePreview, ...problemResponses },
    },
    preHandler: sharers,
  }, async (request) => {
    const user = currentUser(request);
    const key = request.query;
    if (!inScope(user, key.county, key.department)) throw notFound('台账');
    const share = await findShare(deps.db, key);
    const monthOver = monthIsOver(key.month, deps.now());
    const base = { county: countyL(key.county), department: departmentL(key.department), month: key.month, unit: unitName(key.county, key.department), monthOver };
    if (share) return { ...base, share: presentShare(share), rowCount: share.rowCount, contentHash: share.contentHash, waitingAdded: 0 };
    return { ...base, share: null, ...(await previewShare(deps.db, key)) };
  });

  r.post('/ledger/share', {
    schema: {
      tags: ['ledger'], summary: '手动共享某县区某部门已结束月份的台账（冻结：记录行数与内容哈希；幂等）',
      body: ledgerKey.extend({
        contentHash: z.string().regex(/^[0-9a-f]{64}$/, '64 位十六进制 sha256').optional()
          .describe('确认时看到的内容哈希（GET /v1/ledger/share-preview）：台账此后有变化则不共享，答 409'),
      }).strict(),
      response: { 200: ledgerShareView.describe('已共享（幂等）'), 201: ledgerShareView, ...problemResponses },
    },
    preHandler: sharers,
  }, async (request, reply) => {
    const user = currentUser(request);
    const { contentHash, ...key } = request.body;
    if (!inScope(user, key.county, key.department)) throw notFound('台账');
    const now = deps.now();
    if (!monthIsOver(key.month, now)) throw conflict(`${key.month} 尚未结束，月度台账须在次月共享`);
    let shared: Awaited<ReturnType<typeof shareLedger>>;
    try {
      shared = await shareLedger(deps.db, key, now, user.id, contentHash);
    } catch (e) {
      if (!(e instanceof LedgerChangedError)) throw e;
      throw conflict(`${key.month} 台账在确认后发生了变化（现有 ${e.now.rowCount} 行，内容哈希 ${e.now.contentHash.slice(0, 12)}…），未共享；请重新核对后再共享`, e.now);
    }
    const { created, share } = shared;
    if (created) await audit(deps.db, { user, action: 'ledger.share', resourceType: 'ledger_share', resourceId: `${key.county}/${key.department}/${key.month}`, ip: request.ip, detail: { rowCount: share.rowCount, contentHash: share.contentHash } });
    return reply.status(created ? 201 : 200).send(presentShare(share));
  });

  r.get('/ledger/shares', {
    schema: {
      tags: ['ledger'], summary: '台账共享记录（某月，或不指定月份时最近的若干条；逐条重新校验内容哈希）',
      querystring: z.object({
        month: month.optional(), county: z.enum(COUNTY_CODES).optional(), department: z.enum(DEPARTMENT_CODES).optional(),
        limit: z.coerce.number().int().min(1).max(120).default(24).describe('不指定月份时最多列出的条数（按月份倒序）'),
      }),
      response: { 200: ledgerShareList, ...problemResponses },
    },
    preHandler: readers,
  }, async (request) => {
    const user = currentUser(request);
    const scope = scopeOf(user);
    const { limit, ...q } = request.query;
    const shares = await listShares(deps.db, { ...q, ...(q.month ? {} : { limit }), counties: scope.counties, departments: scope.departments });
    return { month: q.month ?? null, items: shares.map(presentShare) };
  });
}
