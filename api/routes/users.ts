/**
 * /v1/me and /v1/users: who am I; admins create, list, change and disable users, and issue and revoke
 * their tokens. An admin manages only users whose scope lies inside their own (api/auth scopeCovers);
 * a user outside it is answered 404, like any out-of-scope resource. Plain tokens are shown once.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { users, type User } from '../../db/schema';
import { escapeLike } from '../../db/queries/subjects';
import { createUser, findUserById, findUserByName, issueToken, listTokens, listUsers, revokeToken, updateUser, type TokenInfo } from '../../db/queries/users';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { countyL, departmentL } from '../export/labels';
import { BULK_UNMASK_ROLES, mayUnmask } from '../audit';
import { hashPassword, passwordProblem, PASSWORD_MAX, verifyPassword } from '../passwords';
import { clearSessionCookies, deleteSession, storePassword } from '../sessions';
import type { AppDeps } from '../types';
import { currentUser, requireRole, ROLE_LABELS, ROLES, scopeCovers, type AuthUser, type Role } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { badRequest, conflict, notFound } from '../problem';
import { noContent, problemResponses } from '../schemas/common';
import { issuedToken, meView, tokenList, userList, userView } from '../schemas/users';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_TOKEN_DAYS = 90;

const id = z.string().min(1).max(64);
const county = z.enum(COUNTY_CODES);
const department = z.enum(DEPARTMENT_CODES);
const scopeFields = {
  counties: z.array(county).max(COUNTY_CODES.length),
  departments: z.array(department).max(DEPARTMENT_CODES.length),
  cityLevel: z.boolean(),
};

const createUserBody = z.object({
  username: z.string().trim().min(2).max(64).regex(/^[A-Za-z0-9._@-]+$/, '只能包含字母、数字和 . _ @ -'),
  displayName: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  counties: scopeFields.counties.default([]),
  departments: scopeFields.departments.default([]),
  cityLevel: scopeFields.cityLevel.default(false),
}).strict();

const changeUserBody = z.object({
  displayName: z.string().trim().min(1).max(100).optional(),
  role: z.enum(ROLES).optional(),
  counties: scopeFields.counties.optional(),
  departments: scopeFields.departments.optional(),
  cityLevel: scopeFields.cityLevel.optional(),
  disabled: z.boolean().optional(),
}).strict();

const issueTokenBody = z.object({
  label: z.string().trim().min(1).max(100).optional(),
  expiresInDays: z.number().int().min(1).max(3650).default(DEFAULT_TOKEN_DAYS),
}).strict();

const password = z.string().min(1).max(PASSWORD_MAX);
const setPasswordBody = z.object({ password }).strict();
const changeOwnPasswordBody = z.object({ currentPassword: password, newPassword: password }).strict();

/**
 * Sets a user's password after checking it against the policy (400 on `field`), ends their sessions
 * (but `keepSession`, the one changing its own password) and lifts a login lockout.
 */
async function setPassword(deps: AppDeps, target: User, plain: string, field: string, keepSession?: string): Promise<void> {
  const why = passwordProblem(plain, target.username);
  if (why) throw badRequest(why, [{ path: field, message: why }]);
  await storePassword(deps.db, target, await hashPassword(plain), keepSession);
}

const listQuery = z.object({
  /** Part of the username or the name. */
  q: z.string().trim().min(1).max(64).optional(),
  role: z.enum(ROLES).optional(),
  /** Users whose scope names this county. */
  county: county.optional(),
  disabled: z.enum(['true', 'false']).optional(),
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).strict();

/** `ilike` pattern for a substring. */
const containsPattern = (s: string) => `%${escapeLike(s)}%`;

/** How a user looks over HTTP: codes with their Chinese labels. */
export function presentUser(u: User | AuthUser & { disabled?: boolean; createdAt?: Date; updatedAt?: Date }) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: { code: u.role, label: ROLE_LABELS[u.role as Role] ?? u.role },
    scope: {
      cityLevel: u.cityLevel,
      counties: u.counties.map(countyL),
      departments: u.departments.map(departmentL),
    },
    disabled: u.disabled ?? false,
    ...(u.createdAt ? { createdAt: u.createdAt.toISOString() } : {}),
    ...(u.updatedAt ? { updatedAt: u.updatedAt.toISOString() } : {}),
  };
}

/** The caller as GET /v1/me (and the login) shows them. */
export function presentMe(user: AuthUser) {
  return {
    ...presentUser(user),
    authMethod: user.session ? 'session' as const : 'token' as const,
    ...(user.tokenId ? { tokenId: user.tokenId } : {}),
    mayUnmask: mayUnmask(user),
    mayBulkUnmask: BULK_UNMASK_ROLES.includes(user.role),
  };
}

const presentToken = (t: TokenInfo, now: Date) => ({
  id: t.id,
  label: t.label,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  active: !t.revokedAt && (!t.expiresAt || t.expiresAt > now),
});

/** The SQL condition for the users an admin may manage (undefined: all of them). */
function manageableWhere(admin: AuthUser): SQL | undefined {
  const parts: SQL[] = [];
  if (!admin.cityLevel) {
    parts.push(sql`not ${users.cityLevel} and jsonb_array_length(${users.counties}) > 0 and ${users.counties} <@ ${JSON.stringify(admin.counties)}::jsonb`);
  }
  if (admin.departments.length > 0) {
    parts.push(sql`jsonb_array_length(${users.departments}) > 0 and ${users.departments} <@ ${JSON.stringify(admin.departments)}::jsonb`);
  }
  return parts.length > 0 ? and(...parts) : undefined;
}

/** Checks that a scope is one the admin may grant; a 400 on the scope field otherwise. */
function assertGrantable(admin: AuthUser, scope: { counties: string[]; departments: string[]; cityLevel: boolean }) {
  if (!scope.cityLevel && scope.counties.length === 0) {
    throw badRequest('用户必须有权限范围', [{ path: 'body.counties', message: '请至少指定一个县（市）区，或设为市级用户 (cityLevel)' }]);
  }
  if (!scopeCovers(admin, scope)) {
    throw badRequest('不能授予超出您自身权限范围的范围', [{ path: scope.cityLevel && !admin.cityLevel ? 'body.cityLevel' : 'body.counties', message: '超出您的权限范围 Outside your own scope' }]);
  }
}

export async function userRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const adminOnly = requireRole('admin');

  /** Loads a user the admin may manage, or 404. */
  async function loadManaged(admin: AuthUser, userId: string): Promise<User> {
    const u = await findUserById(deps.db, userId);
    if (!u || !scopeCovers(admin, u)) throw notFound('用户');
    return u;
  }

  r.get('/me', {
    schema: { tags: ['users'], summary: '当前用户：身份、角色与权限范围', response: { 200: meView, ...problemResponses } },
  }, async (request) => {
    return presentMe(currentUser(request));
  });

  r.delete('/me/token', {
    schema: { tags: ['users'], summary: '注销：吊销本次请求所用的访问令牌（登录会话则结束该会话）', response: { 204: noContent(), ...problemResponses } },
  }, async (request, reply) => {
    const user = currentUser(request);
    if (user.tokenId) await revokeToken(deps.db, user.id, user.tokenId, deps.now());
    if (user.session) {
      await deleteSession(deps.db, user.session.id);
      clearSessionCookies(request, reply);
    }
    return reply.status(204).send();
  });

  r.post('/me/password', {
    schema: {
      tags: ['users'], summary: '修改自己的登录密码（其他登录会话随之失效）', body: changeOwnPasswordBody,
      response: { 204: noContent(), ...problemResponses },
    },
  }, async (request, reply) => {
    const user = currentUser(request);
    const row = await findUserById(deps.db, user.id);
    if (!row || !(await verifyPassword(request.body.currentPassword, row.passwordHash))) {
      throw badRequest('当前密码不正确', [{ path: 'body.currentPassword', message: '当前密码不正确' }]);
    }
    await setPassword(deps, row, request.body.newPassword, 'body.newPassword', user.session?.id);
    return reply.status(204).send();
  });

  r.put('/users/:id/password', {
    schema: {
      tags: ['users'], summary: '设置用户的登录密码（管理员；该用户的登录会话全部失效，登录锁定解除）', params: z.object({ id }), body: setPasswordBody,
      response: { 204: noContent(), ...problemResponses },
    },
    preHandler: adminOnly,
  }, async (request, reply) => {
    const target = await loadManaged(currentUser(request), request.params.id);
    await setPassword(deps, target, request.body.password, 'body.password');
    return reply.status(204).send();
  });

  r.get('/users', {
    schema: { tags: ['users'], summary: '用户列表（管理员；按用户名或姓名、角色、县区、停用筛选，按用户名排序，游标分页）', querystring: listQuery, response: { 200: userList, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request) => {
    const admin = currentUser(request);
    const q = request.query;
    const rows = await listUsers(deps.db, {
      where: and(
        manageableWhere(admin),
        q.q ? or(ilike(users.username, containsPattern(q.q)), ilike(users.displayName, containsPattern(q.q))) : undefined,
        q.role ? eq(users.role, q.role) : undefined,
        q.county ? sql`${users.counties} @> ${JSON.stringify([q.county])}::jsonb` : undefined,
        q.disabled ? eq(users.disabled, q.disabled === 'true') : undefined,
      ),
      after: q.cursor ? decodeCursor(q.cursor, ['key'])[0] : undefined, // username asc
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return { items: page.map(presentUser), nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1].username]) : null };
  });

  r.post('/users', {
    schema: { tags: ['users'], summary: '创建用户（管理员）', body: createUserBody, response: { 201: userView, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request, reply) => {
    const admin = currentUser(request);
    const body = request.body;
    const scope = { counties: [...new Set(body.counties)], departments: [...new Set(body.departments)], cityLevel: body.cityLevel };
    assertGrantable(admin, scope);
    if (await findUserByName(deps.db, body.username)) throw conflict(`用户名 ${body.username} 已存在 Username taken`);
    let userId: string;
    try {
      userId = await createUser(deps.db, { username: body.username, displayName: body.displayName, role: body.role, ...scope });
    } catch (e) {
      if ((e as { code?: string }).code === '23505' || (e as { cause?: { code?: string } }).cause?.code === '23505') {
        throw conflict(`用户名 ${body.username} 已存在 Username taken`);
      }
      throw e;
    }
    const created = await findUserById(deps.db, userId);
    return reply.status(201).header('location', `/v1/users/${userId}`).send(presentUser(created!));
  });

  r.get('/users/:id', {
    schema: { tags: ['users'], summary: '查看用户（管理员）', params: z.object({ id }), response: { 200: userView, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request) => presentUser(await loadManaged(currentUser(request), request.params.id)));

  r.patch('/users/:id', {
    schema: { tags: ['users'], summary: '修改用户：角色、范围、停用/启用（管理员）', params: z.object({ id }), body: changeUserBody, response: { 200: userView, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request) => {
    const admin = currentUser(request);
    const target = await loadManaged(admin, request.params.id);
    const body = request.body;
    if (target.id === admin.id && (body.disabled === true || (body.role && body.role !== 'admin'))) {
      throw conflict('不能停用自己或取消自己的管理员角色 You cannot disable or demote yourself');
    }
    const scope = {
      counties: body.counties ? [...new Set(body.counties)] : target.counties,
      departments: body.departments ? [...new Set(body.departments)] : target.departments,
      cityLevel: body.cityLevel ?? target.cityLevel,
    };
    if (body.counties || body.departments || body.cityLevel !== undefined) assertGrantable(admin, scope);
    const updated = await updateUser(deps.db, target.id, { ...body, ...scope }, deps.now());
    return presentUser(updated!);
  });

  r.get('/users/:id/tokens', {
    schema: { tags: ['users'], summary: '用户的访问令牌（不含令牌本身）（管理员）', params: z.object({ id }), response: { 200: tokenList, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request) => {
    const target = await loadManaged(currentUser(request), request.params.id);
    const now = deps.now();
    return { items: (await listTokens(deps.db, target.id)).map((t) => presentToken(t, now)) };
  });

  r.post('/users/:id/tokens', {
    schema: { tags: ['users'], summary: '签发访问令牌（明文只显示这一次）（管理员）', params: z.object({ id }), body: issueTokenBody, response: { 201: issuedToken, ...problemResponses } },
    preHandler: adminOnly,
  }, async (request, reply) => {
    const target = await loadManaged(currentUser(request), request.params.id);
    if (target.disabled) throw conflict('用户已停用，不能签发令牌 The user is disabled');
    const now = deps.now();
    const expiresAt = new Date(now.getTime() + request.body.expiresInDays * DAY_MS);
    const { id: tokenId, token } = await issueToken(deps.db, target.id, { label: request.body.label, expiresAt });
    return reply.status(201).header('cache-control', 'no-store').header('location', `/v1/users/${target.id}/tokens/${tokenId}`)
      .send({ id: tokenId, token, label: request.body.label ?? null, expiresAt: expiresAt.toISOString() });
  });

  r.delete('/users/:id/tokens/:tokenId', {
    schema: { tags: ['users'], summary: '吊销访问令牌（管理员）', params: z.object({ id, tokenId: id }), response: { 204: noContent(), ...problemResponses } },
    preHandler: adminOnly,
  }, async (request, reply) => {
    const target = await loadManaged(currentUser(request), request.params.id);
    if (!(await revokeToken(deps.db, target.id, request.params.tokenId, deps.now()))) throw notFound('令牌');
    return reply.status(204).send();
  });
}
