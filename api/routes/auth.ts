/**
 * /v1/auth: the console's login and logout (sessions and lockout: api/sessions.ts; passwords:
 * api/passwords.ts). These two routes take no credentials; every other /v1 route takes a bearer token
 * or the session cookie (api/auth.ts). Logins, failures, lockouts and logouts are audited; the
 * password never is.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findUserByName, hashToken } from '../../db/queries/users';
import { audit } from '../audit';
import { AuthFailureLimiter, type AuthUser } from '../auth';
import { PASSWORD_MAX, verifyPassword } from '../passwords';
import { forbidden, HttpProblem, unauthorized } from '../problem';
import { noContent, problemResponses } from '../schemas/common';
import { loginView } from '../schemas/users';
import {
  authenticateSession, authUserOf, clearLoginFailures, clearSessionCookies, createSession, csrfMatches, deleteSession, lockedUntil,
  LOGIN_LOCK_MS, LOGIN_MAX_FAILURES, recordLoginFailure, sessionSecret, setSessionCookies, type SessionLifetime,
} from '../sessions';
import type { AppDeps } from '../types';
import { presentMe } from './users';

const loginBody = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(PASSWORD_MAX),
}).strict();

/** 'HH:mm' Beijing time of an instant, for the lockout message. */
const beijingTime = (t: Date) => new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);

/** The 423 of a locked username: when it unlocks, in the detail (Chinese), a field and Retry-After. */
function locked(until: Date, now: Date): HttpProblem {
  return new HttpProblem(
    423, '账号已锁定 Locked',
    `连续 ${LOGIN_MAX_FAILURES} 次登录失败，账号已锁定 ${LOGIN_LOCK_MS / 60_000} 分钟，请于北京时间 ${beijingTime(until)} 后再试，或请管理员重设密码`,
    undefined,
    { lockedUntil: until.toISOString(), retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)) },
  );
}

type Deps = AppDeps & { now: () => Date; limiter: AuthFailureLimiter; sessions: SessionLifetime };

export async function authRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  /** An audit record of an authentication event (who when known; the username tried; never the password). */
  const auditAuth = (request: FastifyRequest, action: string, user: AuthUser | undefined, detail: Record<string, unknown>) =>
    audit(db, { user, action, resourceType: 'auth', resourceId: user?.id, ip: request.ip, detail: { ...detail, userAgent: request.headers['user-agent']?.slice(0, 200) ?? null } });

  r.post('/auth/login', {
    schema: {
      tags: ['auth'], summary: '登录（用户名和密码）：建立会话（Cookie），返回当前用户与 CSRF 令牌', security: [], body: loginBody,
      response: { 200: loginView, ...problemResponses },
    },
  }, async (request, reply) => {
    const now = deps.now();
    const { username, password } = request.body;
    const until = await lockedUntil(db, username, now);
    const row = await findUserByName(db, username);
    const known = row ? authUserOf(row) : undefined;
    if (until) {
      await auditAuth(request, 'auth.login_locked', known, { username, lockedUntil: until.toISOString() });
      void reply.header('retry-after', String(Math.ceil((until.getTime() - now.getTime()) / 1000)));
      throw locked(until, now);
    }
    // One scrypt whether or not the user exists, so the answer's timing tells nothing either.
    const ok = await verifyPassword(password, row?.passwordHash);
    if (!ok || !row || row.disabled) {
      deps.limiter.fail(request.ip);
      const failure = await recordLoginFailure(db, username, now);
      await auditAuth(request, 'auth.login_failed', known, { username, failures: failure.failures });
      if (failure.lockedUntil) {
        await auditAuth(request, 'auth.lockout', known, { username, lockedUntil: failure.lockedUntil.toISOString() });
        void reply.header('retry-after', String(LOGIN_LOCK_MS / 1000));
        throw locked(failure.lockedUntil, now);
      }
      throw unauthorized('用户名或密码错误 Wrong username or password');
    }
    await clearLoginFailures(db, username);
    // A login on a browser that still holds a session (another user on a shared phone) ends that one.
    const previous = sessionSecret(request);
    if (previous) await deleteSession(db, hashToken(previous));
    const session = await createSession(db, row.id, { now, lifetime: deps.sessions, ip: request.ip, userAgent: request.headers['user-agent'] });
    const user = await authenticateSession(db, session.secret, now, deps.sessions);
    if (!user) throw unauthorized('用户名或密码错误 Wrong username or password'); // disabled in between
    await auditAuth(request, 'auth.login', user, { session: user.session!.id.slice(0, 12) });
    setSessionCookies(request, reply, session, deps.sessions);
    return reply.header('cache-control', 'no-store').send({
      user: presentMe(user), csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString(), idleMinutes: deps.sessions.idleMs / 60_000,
    });
  });

  r.post('/auth/logout', {
    schema: {
      tags: ['auth'], summary: '退出登录：结束会话，清除 Cookie（会话仍有效时须带 X-CSRF-Token）', security: [],
      response: { 204: noContent(), ...problemResponses },
    },
  }, async (request, reply) => {
    const secret = sessionSecret(request);
    const user = secret ? await authenticateSession(db, secret, deps.now(), deps.sessions) : undefined;
    if (user?.session) {
      // A live session ends only by its own page's hand: another site cannot log the user out.
      if (!csrfMatches(request, user.session.csrfToken)) throw forbidden('缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）Missing or wrong X-CSRF-Token');
      await deleteSession(db, user.session.id);
      await auditAuth(request, 'auth.logout', user, { session: user.session.id.slice(0, 12) });
    }
    clearSessionCookies(request, reply);
    return reply.status(204).send();
  });
}
