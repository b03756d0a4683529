/**
 * Console sessions and password lockout.
 *
 * - A session is a row in `sessions`; the browser holds its secret in the httpOnly, SameSite=Strict
 *   cookie `doorstep_session` (only its SHA-256 is stored, like bearer tokens), and a CSRF token in the
 *   readable cookie `doorstep_csrf`, which the console echoes in `X-CSRF-Token` on every unsafe request
 *   (double submit; the token is also kept on the row, so a forged cookie alone does not pass).
 * - Idle expiry SESSION_IDLE_MINUTES (sliding: last_seen_at moves at most once a minute), absolute
 *   expiry SESSION_ABSOLUTE_HOURS after login. Disabling a user, or setting their password, ends them.
 * - Lockout: LOGIN_MAX_FAILURES failed logins for one username within LOGIN_FAILURE_WINDOW locks it for
 *   LOGIN_LOCK_DURATION; unknown usernames are counted the same way, so both answer alike.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, lt, ne, or, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client';
import { loginFailures, sessions, users, type User } from '../db/schema';
import { hashToken } from '../db/queries/users';
import type { Role } from '../domain/vocabulary';
import type { AuthUser } from './auth';

export const SESSION_COOKIE = 'doorstep_session';
export const CSRF_COOKIE = 'doorstep_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;
export const LOGIN_LOCK_MS = 15 * 60_000;

/** How long sessions live: idle (sliding) and absolute, in ms. */
export interface SessionLifetime { idleMs: number; absoluteMs: number }

/** The session lifetime the configuration asks for. */
export function sessionLifetime(config: { SESSION_IDLE_MINUTES: number; SESSION_ABSOLUTE_HOURS: number }): SessionLifetime {
  return { idleMs: config.SESSION_IDLE_MINUTES * 60_000, absoluteMs: config.SESSION_ABSOLUTE_HOURS * 3_600_000 };
}

/** How often last_seen_at is written at most (the idle clock's resolution). */
const SEEN_RESOLUTION_MS = 60_000;

/** The cookies of a request (the first value of each name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is as good as none
    }
  }
  return out;
}

/** The session secret of a request's cookie, when it has a well-formed one. */
export function sessionSecret(request: FastifyRequest): string | undefined {
  const v = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
  return v && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined;
}

/** The AuthUser of a users row. */
export function authUserOf(u: User): AuthUser {
  return {
    id: u.id, username: u.username, displayName: u.displayName, role: u.role as Role,
    counties: u.counties, departments: u.departments, cityLevel: u.cityLevel,
  };
}

/** Starts a session for a user; returns the cookie's secret and the CSRF token. */
export async function createSession(
  db: Db, userId: string, opts: { now: Date; lifetime: SessionLifetime; ip?: string; userAgent?: string },
): Promise<{ secret: string; csrfToken: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(opts.now.getTime() + opts.lifetime.absoluteMs);
  // The user's sessions past either expiry are of no use: sweep them while we are here (another user's dead
  // sessions go at their own next login or use, so one login never decides for the others by its clock).
  await db.delete(sessions).where(and(eq(sessions.userId, userId), or(
    lt(sessions.expiresAt, opts.now),
    lt(sessions.lastSeenAt, new Date(opts.now.getTime() - opts.lifetime.idleMs)),
  )));
  await db.insert(sessions).values({
    id: hashToken(secret), userId, csrfToken, createdAt: opts.now, lastSeenAt: opts.now, expiresAt,
    ip: opts.ip ?? null, userAgent: opts.userAgent?.slice(0, 300) ?? null,
  });
  return { secret, csrfToken, expiresAt };
}

/** The user of a live session (undefined: unknown, idle too long, past its absolute end, or the user disabled). */
export async function authenticateSession(db: Db, secret: string, now: Date, lifetime: SessionLifetime): Promise<AuthUser | undefined> {
  const id = hashToken(secret);
  const [row] = await db.select({ user: users, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt, csrfToken: sessions.csrfToken })
    .from(sessions).innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id)).limit(1);
  if (!row) return undefined;
  const idle = now.getTime() - row.lastSeenAt.getTime() >= lifetime.idleMs;
  if (idle || row.expiresAt <= now || row.user.disabled) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return undefined;
  }
  if (now.getTime() - row.lastSeenAt.getTime() >= SEEN_RESOLUTION_MS) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
  }
  return { ...authUserOf(row.user), session: { id, csrfToken: row.csrfToken } };
}

/** Ends one session (logout). */
export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/** Ends every session of a user except `keep` (a password change keeps the session that made it). */
export async function deleteUserSessions(db: Pick<Db, 'delete'>, userId: string, keep?: string): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.userId, userId), keep ? ne(sessions.id, keep) : undefined));
}

/** True when a request's CSRF header matches its session's token (constant time). */
export function csrfMatches(request: FastifyRequest, expected: string): boolean {
  const got = request.headers[CSRF_HEADER];
  if (typeof got !== 'string') return false;
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sets the session and CSRF cookies (Secure when the request came over https, e.g. behind the proxy). */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, s: { secret: string; csrfToken: string }, lifetime: SessionLifetime): void {
  const maxAge = Math.floor(lifetime.absoluteMs / 1000);
  const secure = request.protocol === 'https' ? '; Secure' : '';
  void reply.header('set-cookie', [
    `${SESSION_COOKIE}=${s.secret}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`,
    `${CSRF_COOKIE}=${s.csrfToken}; Path=/; Max-Age=${maxAge}; SameSite=Strict${secure}`,
  ]);
}

/** Clears both cookies. */
export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  void reply.header('set-cookie', [
    `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure}`,
    `${CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict${secure}`,
  ]);
}

/** Until when a username is locked (undefined: not locked now). */
export async function lockedUntil(db: Db, username: string, now: Date): Promise<Date | undefined> {
  const [row] = await db.select({ lockedUntil: loginFailures.lockedUntil }).from(loginFailures).where(eq(loginFailures.username, username)).limit(1);
  return row?.lockedUntil && row.lockedUntil > now ? row.lockedUntil : undefined;
}

/**
 * Counts one failed login for a username, atomically (one statement, so concurrent failures all count):
 * a new window when the last one is over; past the limit, the username is locked and the count starts
 * again. Returns the failures in the window and the lock's end when this failure locked it.
 */
export async function recordLoginFailure(db: Db, username: string, now: Date): Promise<{ failures: number; lockedUntil?: Date }> {
  const windowStart = new Date(now.getTime() - LOGIN_FAILURE_WINDOW_MS);
  const lockEnd = new Date(now.getTime() + LOGIN_LOCK_MS);
  const fresh = sql`${loginFailures.windowStartedAt} < ${windowStart.toISOString()}::timestamptz`;
  const next = sql`case when ${fresh} then 1 else ${loginFailures.failures} + 1 end`;
  const [row] = await db.insert(loginFailures).values({ username, failures: 1, windowStartedAt: now, lockedUntil: null })
    .onConflictDoUpdate({
      target: loginFailures.username,
      set: {
        failures: sql`case when ${next} >= ${LOGIN_MAX_FAILURES} then 0 else ${next} end`,
        windowStartedAt: sql`case when ${fresh} or ${next} >= ${LOGIN_MAX_FAILURES} then ${now.toISOString()}::timestamptz else ${loginFailures.windowStartedAt} end`,
        lockedUntil: sql`case when ${next} >= ${LOGIN_MAX_FAILURES} then ${lockEnd.toISOString()}::timestamptz else ${loginFailures.lockedUntil} end`,
      },
    })
    .returning();
  const lockedNow = row.lockedUntil !== null && row.lockedUntil.getTime() === lockEnd.getTime();
  return lockedNow ? { failures: LOGIN_MAX_FAILURES, lockedUntil: lockEnd } : { failures: row.failures };
}

/** Forgets a username's failures and lock (a successful login, or an admin setting the password). */
export async function clearLoginFailures(db: Pick<Db, 'delete'>, username: string): Promise<void> {
  await db.delete(loginFailures).where(eq(loginFailures.username, username));
}

/** Stores a user's new password hash; their sessions end (but `keepSession`) and any login lock is lifted. */
export async function storePassword(db: Db, user: Pick<User, 'id' | 'username'>, hash: string, keepSession?: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash: hash, passwordChangedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(users.id, user.id));
    await deleteUserSessions(tx, user.id, keepSession);
    await clearLoginFailures(tx, user.username);
  });
}
