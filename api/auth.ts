/**
 * Who may do what. Bearer tokens (stored as SHA-256 hashes), roles, and scopes (county codes and
 * departments; city-level users see all counties). Out-of-scope resources answer 404, never 403.
 */
import { and, eq, gt, inArray, isNull, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client';
import { apiTokens, users } from '../db/schema';
import { hashToken } from '../db/queries/users';
import { forbidden, unauthorized } from './problem';
import { ROLES, ROLE_LABELS, type Role } from '../domain/vocabulary';

/** The roles are part of the one vocabulary (domain/vocabulary); re-exported for the modules that check them. */
export { ROLES, ROLE_LABELS, type Role };

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
  interface FastifyRequest {
    user?: AuthUser;
    /** The bearer token's lookup, shared by the rate limiter (keyed by token) and the auth hook. */
    authLookup?: Promise<AuthUser | undefined>;
  }
}

/** Paths that need a bearer token: the API and the Temporal UI's codec endpoint. */
export const isProtectedPath = (url: string): boolean => url.startsWith('/v1/') || url === '/v1' || url.startsWith('/codec/');

/** The bearer token of a request's Authorization header, when there is a well-formed one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+([\x21-\x7e]{1,512})$/i.exec(header) : null;
  return match?.[1];
}

export { hashToken };

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

/** A scope: county codes and departments (empty departments: all), or the whole city. */
export interface Scope { counties: string[]; departments: string[]; cityLevel: boolean }

/**
 * True when `outer`'s scope covers all of `inner`'s: an admin may manage only users whose scope lies
 * inside their own (a county admin can neither see city-level users nor grant another county).
 */
export function scopeCovers(outer: Scope, inner: Scope): boolean {
  if (!outer.cityLevel) {
    if (inner.cityLevel || inner.counties.length === 0) return false;
    if (!inner.counties.every((c) => outer.counties.includes(c))) return false;
  }
  if (outer.departments.length > 0) {
    if (inner.departments.length === 0) return false;
    if (!inner.departments.every((d) => outer.departments.includes(d))) return false;
  }
  return true;
}

/**
 * The SQL condition that keeps a query inside the user's scope (undefined: no restriction).
 * Use it in every list query: `where(and(scopeWhere(user, cases.county, cases.department), …))`.
 */
export function scopeWhere(user: AuthUser, countyColumn: Column, departmentColumn?: Column): SQL | undefined {
  const parts: SQL[] = [];
  if (!user.cityLevel) parts.push(user.counties.length > 0 ? inArray(countyColumn, user.counties) : sql`false`);
  if (departmentColumn && user.departments.length > 0) parts.push(inArray(departmentColumn, user.departments));
  return parts.length > 0 ? and(...parts) : undefined;
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

/** How often a token's last_used_at is written at most (one write per token per minute, not per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Looks a bearer token up; undefined when unknown, expired, revoked or its user is disabled. */
export async function authenticate(db: Db, token: string, now: Date): Promise<AuthUser | undefined> {
  const rows = await db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
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
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await db.update(apiTokens).set({ lastUsedAt: now })
      .where(and(eq(apiTokens.id, row.tokenId), or(isNull(apiTokens.lastUsedAt), lte(apiTokens.lastUsedAt, threshold))));
  }
  const u = row.user;
  return {
    id: u.id, username: u.username, displayName: u.displayName, role: u.role as Role,
    counties: u.counties, departments: u.departments, cityLevel: u.cityLevel, tokenId: row.tokenId,
  };
}

/** The user behind a request's bearer token, looked up once per request (undefined: none or invalid). */
export function lookupUser(db: Db, request: FastifyRequest, now: () => Date): Promise<AuthUser | undefined> {
  if (!request.authLookup) {
    const token = bearerToken(request);
    request.authLookup = token ? authenticate(db, token, now()) : Promise.resolve(undefined);
  }
  return request.authLookup;
}

/** Requires a valid bearer token on every route under /v1 and on the codec endpoint. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { db: Db; now: () => Date }) => {
  app.addHook('onRequest', async (request) => {
    if (!isProtectedPath(request.url)) return;
    if (request.method === 'OPTIONS') return; // CORS preflight carries no credentials by design
    if (!bearerToken(request)) throw unauthorized();
    const user = await lookupUser(opts.db, request, opts.now);
    if (!user) throw unauthorized('访问令牌无效、已过期或已吊销 The token is invalid, expired or revoked');
    request.user = user;
  });
}, { name: 'doorstep-auth' });
