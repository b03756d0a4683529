/**
 * The audit log: every state change and every read of unmasked personal data, append-only (the
 * database rejects UPDATE and DELETE on audit_log, see migration audit_append_only).
 *
 * Personal data in responses: ID numbers and phones are masked unless the caller's role may see them
 * AND the request asks (`?unmask=true`); every such unmasked read is audited here.
 */
import { and, eq, gte, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';
import { maskIdNumber, maskPhone } from '../domain/idNumber';
import { ROLE_LABELS, type AuthUser, type Role } from './auth';
import { forbidden, HttpProblem } from './problem';

/** Per-user limits on reading personal data (set from the configuration by auditPlugin). */
export interface PersonalDataLimits {
  /** Records one user may unmask in any 24 hours (lists count each record, decoded workflows count one each). */
  unmaskPerDay: number;
  /** Exact ID-number searches one user may make in any hour. */
  idSearchPerHour: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    personalDataLimits: PersonalDataLimits;
  }
}

/** The audit action of a refused unmask over the quota: the alert admins watch (GET /v1/audit?action=personal_data.quota_exceeded). */
export const QUOTA_ALERT_ACTION = 'personal_data.quota_exceeded';
/** The audit action of an exact ID-number search. */
export const ID_SEARCH_ACTION = 'subjects.id_search';

const tooMany = (detail: string) => new HttpProblem(429, '请求过于频繁 Too Many Requests', detail);

/**
 * Roles that may ask for unmasked ID numbers and phones (each such read is audited).
 * Coordinators, workers and reviewers handle a person's paperwork and must type, check and dial the
 * numbers; supervisors and admins oversee counts, deadlines and accounts and need no one's number:
 * masked views serve them, and a leaked supervisor or admin token (broad, city-level scope) then
 * reveals no ID numbers or phones at all.
 */
export const UNMASK_ROLES: readonly Role[] = ['coordinator', 'worker', 'reviewer'];

/**
 * Roles that may unmask a list of several people at once. Workers and reviewers deal with one person
 * at a time (the one they visit, the case they review): a stolen worker's token must not dump a
 * county's ID numbers page by page, so for them unmasking is one record per request.
 */
export const BULK_UNMASK_ROLES: readonly Role[] = ['coordinator'];

/** True when this user may see unmasked personal data (when it asks for it). */
export function mayUnmask(user: AuthUser): boolean {
  return UNMASK_ROLES.includes(user.role);
}

export { maskIdNumber, maskPhone };

/** True when the request asks for unmasked personal data (`?unmask=true` or `?unmask=1`). */
export function wantsUnmask(request: FastifyRequest): boolean {
  const v = (request.query as Record<string, unknown> | undefined)?.unmask;
  return v === true || v === 'true' || v === '1';
}

/**
 * Decides whether this response may carry unmasked ID numbers and phones, and audits it when it does.
 * Not asked: false (masked). Asked by a role that may never see them: 403. Asked by a role that may:
 * an audit record (who, when, which resource, from where), then true.
 * Call it after the resource has been found and checked against the caller's scope.
 */
export async function revealPersonalData(
  db: Db, request: FastifyRequest, user: AuthUser, resource: { type: string; id?: string; ids?: string[] },
): Promise<boolean> {
  if (!wantsUnmask(request)) return false;
  if (!mayUnmask(user)) {
    throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）不能查看完整的身份证号和电话 Your role may not see unmasked personal data`);
  }
  if (resource.ids && resource.ids.length > 1 && !BULK_UNMASK_ROLES.includes(user.role)) {
    throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）只能逐条查看完整的身份证号和电话 Your role may unmask one record at a time`);
  }
  await checkUnmaskQuota(db, request, user, resource.ids?.length ?? 1);
  await audit(db, {
    user, action: 'personal_data.read', resourceType: resource.type, resourceId: resource.id, ip: request.ip,
    detail: { route: request.routeOptions.url, ...(resource.ids ? { ids: resource.ids.slice(0, 500), count: resource.ids.length } : {}) },
  });
  return true;
}

/** The audit action of reading the full phones of one's own assigned cases' subjects (我的任务). */
export const ASSIGNED_CONTACTS_ACTION = 'personal_data.assigned_contacts';

/**
 * Decides whether 我的任务 may show the full phones of the subjects of the caller's own open assigned
 * cases, and audits it when it does. A worker phones the people they are to visit (tap to call), so
 * the one-record-per-request rule of lists does not apply here: the list is only their own assignments,
 * never a county's roster. Not asked: masked. Asked by a role that may never unmask: 403. Otherwise an
 * audit record naming the subjects (its own action, outside the daily unmask quota, which guards
 * browsing beyond one's work).
 */
export async function revealAssignedContacts(db: Db, request: FastifyRequest, user: AuthUser, subjectIds: string[]): Promise<boolean> {
  if (!wantsUnmask(request)) return false;
  if (!mayUnmask(user)) {
    throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）不能查看完整的电话 Your role may not see unmasked personal data`);
  }
  if (subjectIds.length === 0) return true;
  await audit(db, {
    user, action: ASSIGNED_CONTACTS_ACTION, resourceType: 'subjects', ip: request.ip,
    detail: { route: request.routeOptions.url, ids: subjectIds.slice(0, 500), count: subjectIds.length },
  });
  return true;
}

/** Records this user unmasked in the last 24 hours (from the audit log, in the database's clock: one per record read or workflow decoded). */
async function unmaskedRecently(db: Db, userId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`coalesce(sum(coalesce((${auditLog.detail}->>'count')::int, 1)), 0)::int` }).from(auditLog)
    .where(and(eq(auditLog.userId, userId), sql`${auditLog.action} in ('personal_data.read', 'codec.decode')`, gte(auditLog.at, sql`now() - interval '24 hours'`)));
  return Number(row?.n ?? 0);
}

/**
 * The per-user unmask quota: refuses (429) a read that would pass it, and raises the alert — an audit
 * record (QUOTA_ALERT_ACTION, at most one per user per hour), a warning in the log naming the user id
 * only, and a count in doorstep_personal_data_limit_refusals_total, which the Prometheus alert
 * DoorstepUnmaskQuotaExceeded watches — so that following cursors one record at a time cannot unmask
 * a whole list unnoticed.
 */
export async function checkUnmaskQuota(db: Db, request: FastifyRequest, user: AuthUser, records: number): Promise<void> {
  const quota = request.server.personalDataLimits.unmaskPerDay;
  const used = await unmaskedRecently(db, user.id);
  if (used + records <= quota) return;
  request.server.limitRefusals.inc({ limit: 'unmask_per_day', role: user.role });
  const [recent] = await db.select({ id: auditLog.id }).from(auditLog)
    .where(and(eq(auditLog.userId, user.id), eq(auditLog.action, QUOTA_ALERT_ACTION), gte(auditLog.at, sql`now() - interval '1 hour'`))).limit(1);
  if (!recent) {
    await audit(db, { user, action: QUOTA_ALERT_ACTION, resourceType: 'users', resourceId: user.id, ip: request.ip, detail: { quota, used, asked: records, route: request.routeOptions.url } });
    request.log.warn({ userId: user.id, role: user.role, quota, used }, 'personal data unmask quota exceeded');
  }
  throw tooMany(`已达到每 24 小时查看完整个人信息 ${quota} 条的上限，请稍后再试或联系管理员 Unmask quota of ${quota} records per 24 hours reached`);
}

/**
 * Exact ID-number search confirms whether a number is registered, so it is a read of personal data:
 * only roles that may unmask may search (403 otherwise), at most PersonalDataLimits.idSearchPerHour times
 * an hour per user (429), and every search is audited with the masked number and how many it found.
 */
export async function checkIdNumberSearch(db: Db, request: FastifyRequest, user: AuthUser): Promise<void> {
  if (!mayUnmask(user)) {
    throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）不能按身份证号码查询 Your role may not search by ID number`);
  }
  const limit = request.server.personalDataLimits.idSearchPerHour;
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(auditLog)
    .where(and(eq(auditLog.userId, user.id), eq(auditLog.action, ID_SEARCH_ACTION), gte(auditLog.at, sql`now() - interval '1 hour'`)));
  if (Number(row?.n ?? 0) >= limit) {
    request.server.limitRefusals.inc({ limit: 'id_search_per_hour', role: user.role });
    throw tooMany(`每小时最多按身份证号码查询 ${limit} 次，请稍后再试 At most ${limit} ID-number searches per hour`);
  }
}

/** Audits one exact ID-number search: the masked number and the subjects it found. */
export async function auditIdNumberSearch(db: Db, request: FastifyRequest, user: AuthUser, idNumber: string, foundIds: string[]): Promise<void> {
  await audit(db, {
    user, action: ID_SEARCH_ACTION, resourceType: 'subjects', ip: request.ip,
    detail: { idNumber: maskIdNumber(idNumber), found: foundIds.length, ids: foundIds },
  });
}

/** The Chinese names of the audit actions that are not routes (a route's action is its OpenAPI summary: api/routes/audit.ts). */
export const AUDIT_ACTION_LABELS: Readonly<Record<string, string>> = Object.freeze({
  'personal_data.read': '查看完整个人信息',
  [ASSIGNED_CONTACTS_ACTION]: '查看本人任务的完整电话',
  [QUOTA_ALERT_ACTION]: '超出查看个人信息上限（告警）',
  [ID_SEARCH_ACTION]: '按身份证号码查询',
  'codec.decode': '解密工作流数据',
  'evidence.download': '下载佐证材料',
  'eligibility.override': '服务对象条件例外认定',
  'policy.change': '修改本地规则',
  'policy.broadcast': '规则下发到在办案件',
  'calendar.save': '保存节假日安排',
  'ledger.edit': '修改台账行',
  'ledger.amend': '更正已共享台账',
  'ledger.share': '共享月度台账',
  'report.submit': '报送季度统计表',
  'report.region_send': '报送至自治区',
  'report.remind': '催报提醒',
  'auth.login': '登录',
  'auth.logout': '退出登录',
  'auth.login_failed': '登录失败',
  'auth.login_locked': '锁定期间尝试登录',
  'auth.lockout': '连续登录失败，账号锁定',
});

export interface AuditEntry {
  user?: AuthUser;
  action: string;
  resourceType: string;
  resourceId?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

/** Appends one audit record. */
export async function audit(db: Db, e: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    userId: e.user?.id ?? null,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId ?? null,
    ip: e.ip ?? null,
    detail: e.detail ?? {},
  });
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The resource type and id of a /v1 route: `/v1/cases/:id/visit` → cases, the id param (or the Location of a 201). */
function resourceOf(routeUrl: string, params: Record<string, unknown>, location: unknown): { type: string; id?: string } {
  const segments = routeUrl.replace(/^\/v1\/?/, '').split('/').filter(Boolean);
  const type = segments[0] ?? 'v1';
  const idParam = segments[1]?.startsWith(':') ? segments[1].slice(1) : undefined;
  const fromParams = idParam ? params[idParam] : undefined;
  if (typeof fromParams === 'string') return { type, id: fromParams.slice(0, 200) };
  if (typeof location === 'string') {
    const last = location.split('?')[0].split('/').filter(Boolean).pop();
    if (last) return { type, id: decodeURIComponent(last).slice(0, 200) };
  }
  return { type };
}

/**
 * Audits every successful state change under /v1 (POST, PUT, PATCH, DELETE answered 2xx): who, when,
 * which route and parameters, from where. Bodies are never recorded: they carry personal data.
 */
export const auditPlugin = fp(async (app: FastifyInstance, opts: { db: Db; limits: PersonalDataLimits }) => {
  app.decorate('personalDataLimits', opts.limits);
  // onSend, not onResponse: the record is written before the client hears "done", so a client that
  // reads the audit log right after a change finds it there.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || !(request.routeOptions.url ?? request.url).startsWith('/v1/')) return payload;
    if (reply.statusCode < 200 || reply.statusCode >= 300 || !request.user) return payload;
    const route = request.routeOptions.url ?? request.url.split('?')[0];
    const params = (request.params ?? {}) as Record<string, unknown>;
    const resource = resourceOf(route, params, reply.getHeader('location'));
    try {
      await audit(opts.db, {
        user: request.user,
        action: `${request.method} ${route}`,
        resourceType: resource.type,
        resourceId: resource.id,
        ip: request.ip,
        detail: { status: reply.statusCode, params, requestId: request.id },
      });
    } catch (err) {
      // The change has happened and been answered; a lost audit record must at least be loud.
      request.log.error({ err, reqId: request.id, route }, 'audit record could not be written');
    }
    return payload;
  });
}, { name: 'doorstep-audit' });
