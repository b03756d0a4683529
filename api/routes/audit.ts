/**
 * /v1/audit: admins read the append-only audit log, newest first, filtered by user, resource, action
 * and time range, cursor-paginated. A county admin sees the records of the users they manage only.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { and, desc, eq, gte, inArray, like, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { auditLog, users } from '../../db/schema';
import type { AppDeps } from '../types';
import { AUDIT_ACTION_LABELS } from '../audit';
import { currentUser, requireRole, type AuthUser } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { badRequest } from '../problem';
import { problemResponses } from '../schemas/common';
import { auditActionList, auditList } from '../schemas/users';

const auditQuery = z.object({
  userId: z.string().min(1).max(64).optional(),
  action: z.string().min(1).max(200).optional(),
  /** `true`: the action exactly (the console's action list); otherwise a prefix (`POST /v1/cases` with its sub-routes). */
  actionExact: z.enum(['true', 'false']).optional(),
  resourceType: z.string().min(1).max(64).optional(),
  resourceId: z.string().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
}).strict();

/** Users whose audit records a non-city-level admin may read: those inside the admin's own scope. */
function readableUsers(admin: AuthUser): SQL | undefined {
  if (admin.cityLevel && admin.departments.length === 0) return undefined;
  const parts: SQL[] = [];
  if (!admin.cityLevel) {
    parts.push(sql`not ${users.cityLevel} and jsonb_array_length(${users.counties}) > 0 and ${users.counties} <@ ${JSON.stringify(admin.counties)}::jsonb`);
  }
  if (admin.departments.length > 0) {
    parts.push(sql`jsonb_array_length(${users.departments}) > 0 and ${users.departments} <@ ${JSON.stringify(admin.departments)}::jsonb`);
  }
  return inArray(auditLog.userId, sql`(select ${users.id} from ${users} where ${and(...parts)})`);
}

/** `like` pattern for an action prefix (`POST /v1/cases` matches its sub-routes too); escapes wildcards. */
const prefixPattern = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const MUTATING = ['post', 'put', 'patch', 'delete'] as const;

/**
 * The Chinese name of every audit action: a route's (`PATCH /v1/users/:id`) is its OpenAPI summary up to
 * the first parenthesis, the others are AUDIT_ACTION_LABELS. Read from the app's own OpenAPI document
 * once all routes are registered, so a new route is named without a second table.
 */
function actionLabels(app: FastifyInstance): Map<string, string> {
  const labels = new Map(Object.entries(AUDIT_ACTION_LABELS));
  const doc = app.swagger() as { paths?: Record<string, Partial<Record<string, { summary?: string }>>> };
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const method of MUTATING) {
      const summary = ops[method]?.summary;
      if (summary) labels.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, summary.split(/[（(]/)[0].trim());
    }
  }
  return labels;
}

export async function auditRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  let labels: Map<string, string> | undefined;
  const labelsOf = () => (labels ??= actionLabels(app));

  r.get('/audit/actions', {
    schema: {
      tags: ['audit'], summary: '审计日志的操作类型及中文名称（管理员；供筛选）',
      response: { 200: auditActionList, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async () => ({ items: [...labelsOf()].map(([code, label]) => ({ code, label })).sort((a, b) => a.label.localeCompare(b.label, 'zh-CN')) }));

  r.get('/audit', {
    schema: {
      tags: ['audit'],
      summary: '审计日志（管理员）：按用户、对象、操作、时间筛选，游标分页，最新在前',
      querystring: auditQuery,
      response: { 200: auditList, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request) => {
    const admin = currentUser(request);
    const q = request.query;
    if (q.from && q.to && new Date(q.from) > new Date(q.to)) {
      throw badRequest('时间范围无效', [{ path: 'querystring.from', message: 'from 必须早于 to' }]);
    }
    const before = q.cursor ? decodeCursor(q.cursor, ['count'])[0] : undefined; // id desc
    const rows = await deps.db.select({ e: auditLog, username: users.username, displayName: users.displayName })
      .from(auditLog).leftJoin(users, eq(users.id, auditLog.userId)).where(and(
      readableUsers(admin),
      q.userId ? eq(auditLog.userId, q.userId) : undefined,
      q.action ? (q.actionExact === 'true' ? eq(auditLog.action, q.action) : like(auditLog.action, prefixPattern(q.action))) : undefined,
      q.resourceType ? eq(auditLog.resourceType, q.resourceType) : undefined,
      q.resourceId ? eq(auditLog.resourceId, q.resourceId) : undefined,
      q.from ? gte(auditLog.at, new Date(q.from)) : undefined,
      q.to ? lt(auditLog.at, new Date(q.to)) : undefined,
      before !== undefined ? lt(auditLog.id, before) : undefined,
    )).orderBy(desc(auditLog.id)).limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      items: page.map(({ e, username, displayName }) => ({
        id: String(e.id), at: e.at.toISOString(), userId: e.userId,
        user: e.userId && username ? { id: e.userId, username, displayName: displayName ?? username } : null,
        action: e.action, actionLabel: labelsOf().get(e.action) ?? null,
        resourceType: e.resourceType, resourceId: e.resourceId, ip: e.ip, detail: e.detail,
      })),
      nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].e.id]) : null,
    };
  });
}
