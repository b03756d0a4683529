/**
 * /v1/subjects/imports and /v1/subjects/export: bring in the people already on record (the DPF's
 * Excel rosters) and give them back in the same template.
 *
 * - GET  /subjects/imports/template   the XLSX template (Chinese headers, a sheet explaining each column
 *                                     and the DPF roster headers accepted for it)
 * - POST /subjects/imports            upload an XLSX or CSV (multipart, field `file`): the file is checked
 *                                     as a whole (size, real XLSX, zip bomb, headers), stored, and its dry
 *                                     run starts as a Temporal workflow; 202 with Location
 * - GET  /subjects/imports/:id        status, progress (rows done / total), counts, skipped empty rows
 * - GET  /subjects/imports/:id/report XLSX of the rejected rows with a 错误原因 column
 * - POST /subjects/imports/:id/commit write the validated rows (only when the dry run found no error)
 * - GET  /subjects/export             subjects matching the filters of GET /subjects, as the template
 *
 * Decisions: coordinators only (an import and an export carry every ID number in full, and only
 * coordinators may unmask lists, see api/audit.ts); an import is visible to the coordinator who uploaded
 * it (404 for anyone else); a file with any rejected row cannot be committed (nothing is half-written).
 */
import { createHash, randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { and, asc, eq, gt, inArray, like } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { searchSubjects } from '../../db/queries/subjects';
import { householdKeys, subjectImportRows, subjectImports, type Subject } from '../../db/schema';
import { disabilityCategoryLabel, disabilityGradeLabel, type DisabilityCategory, type DisabilityGrade } from '../../domain/certificateNumber';
import { REASON_HEADER, ROSTER_COLUMNS, type RosterField } from '../../domain/subjectTemplate';
import { commitImportUpdate, IMPORT_NOT_COMMITTABLE, importWorkflowId } from '../../workflows/subjectImportContract';
import { audit } from '../audit';
import { currentUser, requireRole } from '../auth';
import { countyL } from '../export/labels';
import { attachment, streamXlsx, XLSX_TYPE } from '../export/xlsx';
import { SEX_LABELS } from '../presenters/subject';
import { detectFormat, FileRejected, readHeaders, type HeaderMapping } from '../import/spreadsheet';
import { badRequest, conflict, HttpProblem, notFound, type FieldError } from '../problem';
import { requireIdNumber } from '../services/subjects';
import { searchQuery } from './subjects';
import type { RouteModule } from '../types';
import { fileResponse, problemResponses } from '../schemas/common';
import { importView } from '../schemas/subjects';

const importParams = z.object({ id: z.string().uuid('导入编号无效') }).strict();
const exportQuery = searchQuery.pick({ name: true, idNumber: true, county: true, township: true, community: true, householdId: true });

const STATUS_LABELS: Record<string, string> = {
  validating: '正在试导入（校验）', validated: '试导入完成，待提交', committing: '正在导入', committed: '已导入', failed: '文件无法读取', expired: '已过期',
};

/** A file refused as a whole: 400 naming the problem(s) on the file field. */
function fileProblem(e: FileRejected): HttpProblem {
  const messages = e.details.length > 0 ? e.details : [e.message];
  return badRequest(e.message, messages.map((m): FieldError => ({ path: 'body.file', message: m, code: e.reason })));
}

/** One subject as a template row (the same columns as the import). */
function templateRow(s: Subject, householdNumber: string | undefined): (string | number | null)[] {
  const value: Record<RosterField, string | null> = {
    name: s.name, idNumber: s.idNumber, sex: SEX_LABELS[s.sex] ?? s.sex, certificateNumber: s.certificateNumber,
    disabilityCategory: s.disabilityCategory ? disabilityCategoryLabel(s.disabilityCategory as DisabilityCategory) : null,
    disabilityGrade: s.disabilityGrade ? disabilityGradeLabel(s.disabilityGrade as DisabilityGrade) : null,
    county: countyL(s.county).label, township: s.township, community: s.community, address: s.address,
    phone: s.phone, guardianName: s.guardianName, guardianPhone: s.guardianPhone, guardianRelation: s.guardianRelation,
    householdNumber: householdNumber ?? s.householdId, consentToShare: s.consentToShare ? '是' : '否', notes: s.notes,
  };
  return ROSTER_COLUMNS.map((c) => value[c.field]);
}

/** The template workbook: the roster sheet (headers only) and a sheet explaining the columns. */
async function templateXlsx(): Promise<Buffer> {
  // Loaded when asked for (~28 MB resident): the API's streamed exports do not need exceljs.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'doorstep';
  const ws = wb.addWorksheet('服务对象');
  ws.columns = ROSTER_COLUMNS.map((c) => ({ header: c.header, width: c.width, style: { numFmt: '@' } }));
  ws.getRow(1).font = { bold: true };
  const help = wb.addWorksheet('填写说明');
  help.columns = [{ header: '列名', width: 14 }, { header: '是否必填', width: 10 }, { header: '填写要求', width: 60 }, { header: '也接受的表头（残联人口库导出）', width: 50 }];
  help.getRow(1).font = { bold: true };
  for (const c of ROSTER_COLUMNS) help.addRow([c.header, c.required ? '必填' : '选填', c.rule, c.aliases.join('、')]);
  help.addRow([]);
  help.addRow(['说明', '', '第一个工作表为名册；表头可在前 10 行内（其上可有标题行）。按身份证号码匹配已有服务对象：新的新增，有变化的更新，空白单元格不清除已有信息。不接受公式、合并单元格；空行跳过。先试导入，无错误后再提交。']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const subjectImportRoutes: RouteModule = async (app: FastifyInstance, deps) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const limit = deps.config.IMPORT_LIMIT_BYTES;
  await app.register(multipart, { limits: { fileSize: limit, files: 1, fields: 0, parts: 2 } });
  const coordinator = requireRole('coordinator');

  /** The import, if this user uploaded it (404 otherwise). */
  async function loadImport(userId: string, id: string) {
    const [row] = await db.select({
      id: subjectImports.id, status: subjectImports.status, fileName: subjectImports.fileName, format: subjectImports.format,
      sha256: subjectImports.sha256, size: subjectImports.size, createdBy: subjectImports.createdBy, mapping: subjectImports.mapping,
      rowsTotal: subjectImports.rowsTotal, rowsDone: subjectImports.rowsDone, rowsCommitted: subjectImports.rowsCommitted,
      counts: subjectImports.counts, skippedRows: subjectImports.skippedRows, error: subjectImports.error,
      createdAt: subjectImports.createdAt, validatedAt: subjectImports.validatedAt, committedAt: subjectImports.committedAt,
    }).from(subjectImports).where(eq(subjectImports.id, id));
    if (!row || row.createdBy !== userId) throw notFound('导入');
    return row;
  }
  type ImportRow = Awaited<ReturnType<typeof loadImport>>;
  const view = (i: ImportRow) => {
    const mapping = i.mapping as HeaderMapping;
    return {
      id: i.id, status: { code: i.status, label: STATUS_LABELS[i.status] ?? i.status }, fileName: i.fileName, format: i.format, size: i.size, sha256: i.sha256,
      progress: { rowsTotal: i.rowsTotal, rowsDone: i.rowsDone, rowsCommitted: i.rowsCommitted },
      counts: { create: 0, update: 0, unchanged: 0, rejected: 0, ...i.counts },
      skippedEmptyRows: i.skippedRows, ignoredColumns: mapping.ignored, error: i.error,
      createdAt: i.createdAt.toISOString(), validatedAt: i.validatedAt?.toISOString() ?? null, committedAt: i.committedAt?.toISOString() ?? null,
      links: { self: `/v1/subjects/imports/${i.id}`, report: `/v1/subjects/imports/${i.id}/report`, commit: `/v1/subjects/imports/${i.id}/commit` },
    };
  };

  r.get('/subjects/imports/template', {
    schema: { tags: ['subjects'], summary: '下载服务对象导入模板（XLSX，含填写说明与残联人口库表头对照）', response: { 200: fileResponse('导入模板', [XLSX_TYPE]), ...problemResponses } },
    preHandler: coordinator,
  }, async (_request, reply) => {
    return reply.type(XLSX_TYPE).header('content-disposition', attachment('服务对象导入模板.xlsx', 'subject-import-template.xlsx')).send(await templateXlsx());
  });

  r.post('/subjects/imports', {
    schema: { tags: ['subjects'], summary: '上传服务对象名册（XLSX 或 CSV，multipart 字段 file）并开始试导入', consumes: ['multipart/form-data'], response: { 202: importView, ...problemResponses } },
    preHandler: coordinator,
  }, async (request, reply) => {
    const user = currentUser(request);
    if (!request.isMultipart()) throw badRequest('须以 multipart/form-data 上传', [{ path: 'body.file', message: '须以 multipart/form-data 上传文件' }]);
    let bytes: Buffer;
    let fileName: string;
    try {
      const file = await request.file();
      if (!file) throw badRequest('缺少文件', [{ path: 'body.file', message: '缺少文件' }]);
      fileName = file.filename.slice(0, 200);
      bytes = await file.toBuffer();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpProblem(413, '文件过大 Payload Too Large', `文件超过大小上限 ${limit} 字节（${Math.floor(limit / 1024 / 1024)} MB），请分成几个文件导入`);
      if (e instanceof HttpProblem) throw e;
      // Anything else that breaks while reading the upload is a malformed multipart body the client sent.
      throw badRequest('上传内容无法读取', [{ path: 'body.file', message: (e as Error).message || '上传内容无法读取' }]);
    }
    if (bytes.length === 0) throw badRequest('文件为空', [{ path: 'body.file', message: '文件为空', code: 'empty' }]);
    let format;
    let mapping: HeaderMapping;
    try {
      format = detectFormat(bytes, fileName);
      mapping = await readHeaders(bytes, format);
    } catch (e) {
      if (e instanceof FileRejected) throw fileProblem(e);
      throw e;
    }
    const id = randomUUID();
    await db.insert(subjectImports).values({
      id, status: 'validating', fileName, format, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, file: bytes,
      createdBy: user.id, scope: { cityLevel: user.cityLevel, counties: user.counties }, mapping,
    });
    await deps.temporal.workflow.start('subjectImport', {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE, workflowId: importWorkflowId(id), args: [{ importId: id }],
    });
    return reply.status(202).header('location', `/v1/subjects/imports/${id}`).send(view(await loadImport(user.id, id)));
  });

  r.get('/subjects/imports/:id', {
    schema: { tags: ['subjects'], summary: '查看导入进度与试导入结果', params: importParams, response: { 200: importView, ...problemResponses } },
    preHandler: coordinator,
  }, async (request) => view(await loadImport(currentUser(request).id, request.params.id)));

  r.get('/subjects/imports/:id/report', {
    schema: { tags: ['subjects'], summary: '下载试导入错误报告（XLSX：有错误的行及错误原因）', params: importParams, response: { 200: fileResponse('错误报告', [XLSX_TYPE]), ...problemResponses } },
    preHandler: coordinator,
  }, async (request, reply) => {
    const imp = await loadImport(currentUser(request).id, request.params.id);
    if (imp.status === 'validating') throw conflict('试导入尚未完成，请稍后再下载错误报告');
    const mapping = imp.mapping as HeaderMapping;
    const width = mapping.headers.length;
    async function* rows() {
      let after = 0;
      for (;;) {
        const page = await db.select({ rowNumber: subjectImportRows.rowNumber, cells: subjectImportRows.cells, reasons: subjectImportRows.reasons })
          .from(subjectImportRows)
          .where(and(eq(subjectImportRows.importId, imp.id), eq(subjectImportRows.action, 'rejected'), gt(subjectImportRows.rowNumber, after)))
          .orderBy(asc(subjectImportRows.rowNumber)).limit(1000);
        if (page.length === 0) return;
        yield page.map((p) => [p.rowNumber, ...Array.from({ length: width }, (_, i) => p.cells[i] ?? ''), (p.reasons ?? []).join('；')]);
        after = page[page.length - 1].rowNumber;
      }
    }
    const counts = { rejected: 0, ...imp.counts };
    const stream = streamXlsx({
      sheetName: '错误报告', title: '服务对象导入错误报告',
      subtitle: `文件：${imp.fileName}；共 ${imp.rowsTotal ?? 0} 行，有错误 ${counts.rejected} 行`,
      columns: [{ header: '行号', width: 8 }, ...mapping.headers.map((h) => ({ header: h, width: 16 })), { header: REASON_HEADER, width: 60 }],
      rows: rows(),
    });
    return reply.type(XLSX_TYPE).header('content-disposition', attachment(`导入错误报告-${imp.fileName.replace(/\.[^.]*$/, '')}.xlsx`, 'import-report.xlsx')).send(stream);
  });

  r.post('/subjects/imports/:id/commit', {
    schema: { tags: ['subjects'], summary: '提交导入（试导入无错误后写入服务对象）', params: importParams, response: { 202: importView, ...problemResponses } },
    preHandler: coordinator,
  }, async (request, reply) => {
    const user = currentUser(request);
    const imp = await loadImport(user.id, request.params.id);
    try {
      await deps.temporal.workflow.getHandle(importWorkflowId(imp.id)).executeUpdate(commitImportUpdate, { args: [{ by: user.id }] });
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError) {
        const cause = e.cause as { type?: string; message?: string } | undefined;
        if (cause?.type === IMPORT_NOT_COMMITTABLE) throw conflict(cause.message ?? '该导入当前不能提交');
      }
      if ((e as Error).name === 'WorkflowNotFoundError' || (e as { cause?: { name?: string } }).cause?.name === 'WorkflowNotFoundError') {
        throw conflict(`该导入${STATUS_LABELS[imp.status] ?? imp.status}，不能再提交`);
      }
      if (imp.status !== 'validating' && imp.status !== 'validated') throw conflict(`该导入${STATUS_LABELS[imp.status] ?? imp.status}，不能再提交`);
      throw e;
    }
    return reply.status(202).header('location', `/v1/subjects/imports/${imp.id}`).send(view(await loadImport(user.id, imp.id)));
  });

  r.get('/subjects/export', {
    schema: { tags: ['subjects'], summary: '导出服务对象（XLSX，与导入模板相同的列；筛选条件同查询）', querystring: exportQuery, response: { 200: fileResponse('服务对象名册', [XLSX_TYPE]), ...problemResponses } },
    preHandler: coordinator,
  }, async (request, reply) => {
    const user = currentUser(request);
    const q = request.query;
    let idNumber: string | undefined;
    if (q.idNumber !== undefined) {
      const errors: FieldError[] = [];
      idNumber = requireIdNumber(q.idNumber, '9999-12-31', 'querystring.idNumber', errors)?.number;
      if (errors.length > 0) throw badRequest(errors.map((e) => e.message).join('; '), errors);
    }
    await audit(db, {
      user, action: 'personal_data.read', resourceType: 'subjects', ip: request.ip,
      detail: { route: request.routeOptions.url, export: true, filters: Object.keys(q) },
    });
    async function* rows() {
      let after: { t: string; i: string } | undefined;
      for (;;) {
        const page = await searchSubjects(db, user, { ...q, idNumber, limit: 1000, after });
        if (page.rows.length === 0) return;
        const hh = [...new Set(page.rows.map((s) => s.householdId).filter((h): h is string => !!h))];
        const numbers = new Map<string, string>();
        if (hh.length > 0) {
          for (const k of await db.select().from(householdKeys).where(and(inArray(householdKeys.householdId, hh), like(householdKeys.key, 'no:%')))) {
            numbers.set(k.householdId, k.key.slice(3));
          }
        }
        yield page.rows.map((s) => templateRow(s, s.householdId ? numbers.get(s.householdId) : undefined));
        if (!page.next) return;
        after = page.next;
      }
    }
    const stream = streamXlsx({
      sheetName: '服务对象', title: '服务对象名册', subtitle: `导出时间：${deps.now().toISOString()}（可修改后按同一模板导入）`,
      columns: ROSTER_COLUMNS.map((c) => ({ header: c.header, width: c.width })), rows: rows(),
    });
    return reply.type(XLSX_TYPE).header('content-disposition', attachment('服务对象名册.xlsx', 'subjects.xlsx')).send(stream);
  });
};
