/**
 * The audit log: every state change and every read of unmasked personal data, append-only (the
 * database rejects UPDATE and DELETE on audit_log, see migration audit_append_only).
 *
 * Personal data in responses: ID numbers and phones are masked unless the caller's role may see them
 * AND the request asks (`?unmask=true`); every such unmasked read is audited here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';
import { maskIdNumber, maskPhone } from '../domain/idNumber';
import { ROLE_LABELS, type AuthUser, type Role } from './auth';
import { forbidden } from './problem';

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

/** Masks an optional ID number (null stays null). */
export const maskIdOrNull = (s: string | null | undefined): string | null => (s ? maskIdNumber(s) : null);
/** Masks an optional phone (null stays null). */
export const maskPhoneOrNull = (s: string | null | undefined): string | null => (s ? maskPhone(s) : null);

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
  await audit(db, {
    user, action: 'personal_data.read', resourceType: resource.type, resourceId: resource.id, ip: request.ip,
    detail: { route: request.routeOptions.url, ...(resource.ids ? { ids: resource.ids.slice(0, 500), count: resource.ids.length } : {}) },
  });
  return true;
}

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
export const auditPlugin = fp(async (app: FastifyInstance, opts: { db: Db }) => {
  // onSend, not onResponse: the record is written before the client hears "done", so a client that
  // reads the audit log right after a change finds it there.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || !request.url.startsWith('/v1/')) return payload;
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
