/**
 * Who may do what. Two ways in: bearer tokens (API clients; stored as SHA-256 hashes) and console
 * sessions (a cookie from POST /v1/auth/login, with CSRF double submit on unsafe methods: api/sessions.ts).
 * Roles, and scopes (county codes and departments; city-level users see all counties). Out-of-scope
 * resources answer 404, never 403.
 */
import { and, eq, gt, inArray, isNull, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client';
import { apiTokens, users } from '../db/schema';
import { hashToken } from '../db/queries/users';
import { forbidden, HttpProblem, unauthorized } from './problem';
import { authenticateSession, authUserOf, csrfMatches, sessionSecret, type SessionLifetime } from './sessions';
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
  /** The bearer token this request used (API clients). */
  tokenId?: string;
  /** The console session this request used (cookie), with its CSRF token. */
  session?: { id: string; csrfToken: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: AuthUser;
    /** The bearer token's lookup, shared by the rate limiter (keyed by token) and the auth hook. */
    authLookup?: Promise<AuthUser | undefined>;
  }
}

/** Paths that need a bearer token or a session: the API and the Temporal UI's codec endpoint. */
export const isProtectedPath = (url: string): boolean => url.startsWith('/v1/') || url === '/v1' || url.startsWith('/codec/');

/** Routes under /v1 that take no credentials (they establish or end a session themselves: api/routes/auth.ts). */
export const SESSION_ROUTES: ReadonlySet<string> = new Set(['/v1/auth/login', '/v1/auth/logout']);

/** Methods a cross-site page could not use to change anything; every other one needs the CSRF header with a session. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request needs a bearer token, judged on the path the router matched (`/%761/catalog` is
 * routed as `/v1/catalog`), and on the raw path too when no route matched (so unknown /v1 paths stay 401).
 */
export function isProtectedRequest(request: FastifyRequest): boolean {
  const routed = request.routeOptions.url;
  return (routed !== undefined && isProtectedPath(routed)) || isProtectedPath(request.url);
}

/**
 * Failed authentications per client address in fixed one-minute windows: past the limit, protected
 * requests from that address answer 429 before any token is looked up (each lookup costs a database
 * query). In memory, per API process: a bound on what one process spends, not an account lockout.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(private readonly maxPerMinute: number, private readonly clock: () => number = Date.now) {}

  /** Seconds until the address may try again, or 0 when it is not blocked. */
  retryAfter(ip: string): number {
    const w = this.current(ip);
    return w && w.failures >= this.maxPerMinute ? Math.max(1, Math.ceil((w.start + 60_000 - this.clock()) / 1000)) : 0;
  }

  fail(ip: string): void {
    const w = this.current(ip);
    if (w) w.failures += 1;
    else {
      if (this.windows.size >= 100_000) this.sweep();
      this.windows.set(ip, { start: this.clock(), failures: 1 });
    }
  }

  private current(ip: string) {
    const w = this.windows.get(ip);
    return w && this.clock() - w.start < 60_000 ? w : undefined;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [ip, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(ip);
    if (this.windows.size >= 100_000) this.windows.clear();
  }
}

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

/** Why this user's role may not do what needs one of `roles` (Chinese), or undefined when it may. */
export function roleRefusal(user: AuthUser, roles: readonly Role[]): string | undefined {
  return roles.includes(user.role) ? undefined : `此操作需要以下角色之一：${roles.map((r) => ROLE_LABELS[r]).join('、')}`;
}

/** A preHandler that admits only the given roles. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    const why = roleRefusal(currentUser(request), roles);
    if (why) throw forbidden(why);
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
  return { ...authUserOf(row.user), tokenId: row.tokenId };
}

/**
 * The user behind a request's bearer token or, without one, its session cookie, looked up once per
 * request (undefined: none or invalid). A bearer token wins: browsers never send one by themselves.
 */
export function lookupUser(db: Db, request: FastifyRequest, now: () => Date, lifetime: SessionLifetime): Promise<AuthUser | undefined> {
  if (!request.authLookup) {
    const token = bearerToken(request);
    const secret = token ? undefined : sessionSecret(request);
    request.authLookup = token ? authenticate(db, token, now())
      : secret ? authenticateSession(db, secret, now(), lifetime)
      : Promise.resolve(undefined);
  }
  return request.authLookup;
}

/**
 * Refuses (429) protected requests from an address that failed authentication too often this minute.
 * Registered before the rate limiter, whose key generator looks the token up.
 */
export const authFailureGuard = fp(async (app: FastifyInstance, opts: { limiter: AuthFailureLimiter }) => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS' || !isProtectedRequest(request)) return;
    const wait = opts.limiter.retryAfter(request.ip);
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      throw new HttpProblem(429, '请求过于频繁 Too Many Requests', `认证失败次数过多，请在 ${wait} 秒后重试 Too many failed authentications; retry in ${wait} s`);
    }
  });
}, { name: 'doorstep-auth-failures' });

/** A stale session cookie: the console sends the user back to the login page on this type. */
export const sessionExpired = () => new HttpProblem(401, '未认证 Unauthorized', '登录已过期，请重新登录', undefined, {
  type: 'https://doorstep.example/problems/session-expired',
});

/**
 * Requires a valid bearer token or session on every route under /v1 (but login and logout) and on the
 * codec endpoint; a session's unsafe requests must carry the CSRF header (403 otherwise).
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: { db: Db; now: () => Date; limiter: AuthFailureLimiter; sessions: SessionLifetime }) => {
  app.addHook('onRequest', async (request) => {
    if (!isProtectedRequest(request)) return;
    if (request.method === 'OPTIONS') return; // CORS preflight carries no credentials by design
    if (request.routeOptions.url !== undefined && SESSION_ROUTES.has(request.routeOptions.url)) return;
    const token = bearerToken(request);
    const secret = token ? undefined : sessionSecret(request);
    const user = token || secret ? await lookupUser(opts.db, request, opts.now, opts.sessions) : undefined;
    if (!user) {
      opts.limiter.fail(request.ip);
      if (token) throw unauthorized('访问令牌无效、已过期或已吊销 The token is invalid, expired or revoked');
      throw secret ? sessionExpired() : unauthorized('需要登录或有效的访问令牌 Log in, or send a valid bearer token');
    }
    if (user.session && !SAFE_METHODS.has(request.method) && !csrfMatches(request, user.session.csrfToken)) {
      throw forbidden('缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token），请刷新页面后重试 Missing or wrong X-CSRF-Token');
    }
    request.user = user;
  });
}, { name: 'doorstep-auth' });
