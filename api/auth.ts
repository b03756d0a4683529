/**
 * Who may do what. Bearer tokens (stored as SHA-256 hashes), roles, and scopes (county codes and
 * departments; city-level users see all counties). Out-of-scope resources answer 404, never 403.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client';
import { apiTokens, users } from '../db/schema';
import { forbidden, unauthorized } from './problem';

export const ROLES = ['coordinator', 'worker', 'reviewer', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  coordinator: '协调员', worker: '上门工作人员', reviewer: '审核员', supervisor: '督导', admin: '管理员',
};

/** The authenticated caller, attached to every /v1 request. */
export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  counties: string[];
  departments: string[];
  cityLevel: boolean;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest { user?: AuthUser }
}

/** SHA-256 of a token: the only form in which tokens are stored. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A fresh random bearer token. */
export const newToken = (): string => `dst_${randomBytes(24).toString('base64url')}`;

/** True when the user's scope includes this county (city-level users: every county). */
export function inCountyScope(user: AuthUser, county: string): boolean {
  return user.cityLevel || user.counties.includes(county);
}

/** True when the user's scope includes this department (an empty list means every department). */
export function inDepartmentScope(user: AuthUser, department: string): boolean {
  return user.departments.length === 0 || user.departments.includes(department);
}

/** True when a resource with this county and department is visible to the user. */
export function inScope(user: AuthUser, county: string, department?: string): boolean {
  return inCountyScope(user, county) && (department === undefined || inDepartmentScope(user, department));
}

/** The authenticated user of a request (routes under /v1 always have one). */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw unauthorized();
  return request.user;
}

/** A preHandler that admits only the given roles. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    const user = currentUser(request);
    if (!roles.includes(user.role)) throw forbidden(`此操作需要以下角色之一：${roles.map((r) => ROLE_LABELS[r]).join('、')}`);
  };
}

/** Looks a bearer token up; undefined when unknown, expired, revoked or its user is disabled. */
export async function authenticate(db: Db, token: string, now: Date): Promise<AuthUser | undefined> {
  const rows = await db
    .select({ user: users, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(
      eq(apiTokens.tokenHash, hashToken(token)),
      isNull(apiTokens.revokedAt),
      or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
      eq(users.disabled, false),
    ))
    .limit(1);
  const row = rows[0];
  if (!row) return undefined;
  const u = row.user;
  return {
    id: u.id, username: u.username, displayName: u.displayName, role: u.role as Role,
    counties: u.counties, departments: u.departments, cityLevel: u.cityLevel, tokenId: row.tokenId,
  };
}

/** Requires a valid bearer token on every route under /v1. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { db: Db; now: () => Date }) => {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw unauthorized();
    const user = await authenticate(opts.db, match[1], opts.now());
    if (!user) throw unauthorized('访问令牌无效、已过期或已吊销 The token is invalid, expired or revoked');
    request.user = user;
  });
}, { name: 'doorstep-auth' });
