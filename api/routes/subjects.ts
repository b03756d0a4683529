/**
 * /v1/subjects: the people served (服务对象). Create, update, read and search, household links
 * (一户多残 is derived from them), guardian and contact, consent to share data with the DPF. The
 * checks and writes are api/services/subjects.ts; this module parses, audits unmasking and presents.
 *
 * - Out-of-scope subjects are 404.
 * - ID numbers, certificate numbers and phones are masked in every response unless `?unmask=true`
 *   and the caller's role may see them (403 when it may not, see api/audit.ts revealPersonalData);
 *   every unmasked read is audited, a list read as one record naming the subjects shown.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { householdSizes, searchSubjects } from '../../db/queries/subjects';
import type { Subject } from '../../db/schema';
import { shanghaiDate } from '../../domain/calendar';
import { auditIdNumberSearch, checkIdNumberSearch, mayUnmask, revealPersonalData } from '../audit';
import { currentUser, requireRole, type AuthUser } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { presentSubject } from '../presenters/subject';
import type { FieldError } from '../problem';
import { problemResponses } from '../schemas/common';
import { subjectList, subjectView } from '../schemas/subjects';
import {
  countyCode, createSubject, createSubjectBody, idNumberField, joinHousehold, leaveHousehold, line, loadSubject, requireIdNumber, throwIfAny,
  updateSubject, updateSubjectBody,
} from '../services/subjects';
import type { RouteModule } from '../types';

const unmaskQuery = z.enum(['true', 'false']).optional().transform((v) => v === 'true');
const idParams = z.object({ id: z.string().min(1).max(64) }).strict();
const viewQuery = z.object({ unmask: unmaskQuery }).strict();

export const searchQuery = z.object({
  name: line(50).optional(),
  idNumber: idNumberField.optional(),
  county: countyCode.optional(),
  township: line(100).optional(),
  community: line(100).optional(),
  householdId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(300).optional(),
  unmask: unmaskQuery,
}).strict();

/** Whether this response may show ID numbers and phones in full (asked, allowed; audited), see api/audit.ts. */
function unmaskFor(request: FastifyRequest, user: AuthUser, ids: string[], db: Db): Promise<boolean> {
  return revealPersonalData(db, request, user, ids.length === 1 ? { type: 'subjects', id: ids[0] } : { type: 'subjects', ids });
}

/** Subject views with their household sizes as the caller can see them. */
export async function presentSubjects(db: Db, user: AuthUser, rows: Subject[], unmasked: boolean, now: Date) {
  const sizes = await householdSizes(db, rows.map((r) => r.householdId), user);
  const today = shanghaiDate(now);
  const birthDerived = mayUnmask(user);
  return rows.map((s) => presentSubject(s, { unmasked, birthDerived, householdSize: s.householdId ? sizes.get(s.householdId) ?? 1 : 1, today }));
}

export const subjectRoutes: RouteModule = async (app: FastifyInstance, deps) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const view = async (user: AuthUser, s: Subject, unmasked: boolean) => (await presentSubjects(db, user, [s], unmasked, deps.now()))[0];

  r.post('/subjects', {
    schema: { tags: ['subjects'], summary: '登记服务对象（身份证号码校验，性别与出生日期由身份证号码得出）', body: createSubjectBody, querystring: viewQuery,
      response: { 201: subjectView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const created = await createSubject(deps, user, request.body);
    const unmasked = await unmaskFor(request, user, [created.id], db);
    return reply.status(201).header('location', `/v1/subjects/${created.id}`).send(await view(user, created, unmasked));
  });

  r.get('/subjects', {
    schema: {
      tags: ['subjects'],
      summary: '查询服务对象（姓名包含、身份证号码精确匹配、县(市)区、乡镇(街道)、村(社区)、户；游标分页）',
      querystring: searchQuery,
      response: { 200: subjectList, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    let idNumber: string | undefined;
    if (q.idNumber !== undefined) {
      await checkIdNumberSearch(db, request, user);
      const errors: FieldError[] = [];
      idNumber = requireIdNumber(q.idNumber, '9999-12-31', 'querystring.idNumber', errors)?.number;
      throwIfAny(errors);
    }
    // Keyset: the last row's created_at (PostgreSQL text form, microseconds kept) and id.
    const after = q.cursor !== undefined ? decodeCursor(q.cursor, ['pgTimestamp', 'key']) : undefined;
    const { rows, next } = await searchSubjects(db, user, {
      name: q.name, idNumber, county: q.county, township: q.township, community: q.community, householdId: q.householdId,
      limit: q.limit, after: after && { t: after[0], i: after[1] },
    });
    if (idNumber !== undefined) await auditIdNumberSearch(db, request, user, idNumber, rows.map((s) => s.id));
    const unmasked = await unmaskFor(request, user, rows.map((s) => s.id), db);
    return { items: await presentSubjects(db, user, rows, unmasked, deps.now()), nextCursor: next ? encodeCursor([next.t, next.i]) : null };
  });

  r.get('/subjects/:id', {
    schema: { tags: ['subjects'], summary: '查看服务对象', params: idParams, querystring: viewQuery, response: { 200: subjectView, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const s = await loadSubject(db, user, request.params.id);
    const unmasked = await unmaskFor(request, user, [s.id], db);
    return view(user, s, unmasked);
  });

  r.patch('/subjects/:id', {
    schema: { tags: ['subjects'], summary: '修改服务对象（部分更新；身份证号码仅管理员可更正）', params: idParams, body: updateSubjectBody, querystring: viewQuery,
      response: { 200: subjectView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const s = await loadSubject(db, user, request.params.id);
    const updated = await updateSubject(deps, user, s, request.body);
    const unmasked = await unmaskFor(request, user, [s.id], db);
    return view(user, updated, unmasked);
  });

  r.post('/subjects/:id/household', {
    schema: {
      tags: ['subjects'],
      summary: '关联同户服务对象（合并两户；一户多残由同户人数得出）',
      params: idParams,
      body: z.object({ withSubjectId: z.string().min(1).max(64) }).strict(),
      querystring: viewQuery,
      response: { 200: subjectView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const s = await loadSubject(db, user, request.params.id);
    const updated = await joinHousehold(deps, user, s, request.body.withSubjectId);
    const unmasked = await unmaskFor(request, user, [s.id], db);
    return view(user, updated, unmasked);
  });

  r.delete('/subjects/:id/household', {
    schema: { tags: ['subjects'], summary: '解除同户关联（该服务对象离开其所在户）', params: idParams, querystring: viewQuery,
      response: { 200: subjectView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'admin'),
  }, async (request) => {
    const user = currentUser(request);
    const s = await loadSubject(db, user, request.params.id);
    const updated = await leaveHousehold(deps, s);
    const unmasked = await unmaskFor(request, user, [s.id], db);
    return view(user, updated, unmasked);
  });
};
