/** Users and their bearer tokens (tokens are stored as SHA-256 hashes only; the plain token is shown once). */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, isNull, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { apiTokens, sessions, users, type User } from '../schema';
import type { Role } from '../../domain/vocabulary';

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  counties?: string[];
  departments?: string[];
  cityLevel?: boolean;
}

/** SHA-256 of a token: the only form in which tokens are stored (auth looks tokens up by it). */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A fresh random bearer token. */
const newToken = (): string => `dst_${randomBytes(24).toString('base64url')}`;

/** Creates a user; returns its id. */
export async function createUser(db: Db, u: NewUser): Promise<string> {
  const id = randomUUID();
  await db.insert(users).values({
    id, username: u.username, displayName: u.displayName, role: u.role,
    counties: u.counties ?? [], departments: u.departments ?? [], cityLevel: u.cityLevel ?? false,
  });
  return id;
}

/** Issues a bearer token for a user (optionally a given one, for demo data); returns the plain token once. */
export async function issueToken(db: Db, userId: string, opts: { token?: string; label?: string; expiresAt?: Date } = {}): Promise<{ id: string; token: string }> {
  const token = opts.token ?? newToken();
  const id = randomUUID();
  await db.insert(apiTokens).values({
    id, userId, tokenHash: hashToken(token), label: opts.label ?? null, expiresAt: opts.expiresAt ?? null,
  });
  return { id, token };
}

/** Finds a user by username. */
export async function findUserByName(db: Db, username: string) {
  const [u] = await db.select().from(users).where(eq(users.username, username)).limit(1);
  return u;
}

/** Finds a user by id. */
export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const [u] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return u;
}

/** Users ordered by username, after `cursor` (a username), at most `limit`, optionally filtered. */
export async function listUsers(db: Db, opts: { where?: SQL; after?: string; limit: number }): Promise<User[]> {
  return db.select().from(users)
    .where(and(opts.where, opts.after ? gt(users.username, opts.after) : undefined))
    .orderBy(asc(users.username))
    .limit(opts.limit);
}

export type UserChanges = Partial<Pick<User, 'displayName' | 'role' | 'counties' | 'departments' | 'cityLevel' | 'disabled'>>;

/**
 * Changes a user's fields; returns the updated row (undefined when there is none). Disabling a user
 * revokes every live token and ends every console session in the same transaction, so enabling them
 * again revives none of them (they get new tokens and log in again).
 */
export async function updateUser(db: Db, id: string, changes: UserChanges, now: Date): Promise<User | undefined> {
  return db.transaction(async (tx) => {
    const [u] = await tx.update(users).set({ ...changes, updatedAt: now }).where(eq(users.id, id)).returning();
    if (u && changes.disabled === true) {
      await revokeAllTokens(tx, id, now);
      await tx.delete(sessions).where(eq(sessions.userId, id));
    }
    return u;
  });
}

export interface TokenInfo {
  id: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A user's tokens, newest first (never the hashes). */
export async function listTokens(db: Db, userId: string): Promise<TokenInfo[]> {
  return db.select({
    id: apiTokens.id, label: apiTokens.label, createdAt: apiTokens.createdAt, expiresAt: apiTokens.expiresAt,
    revokedAt: apiTokens.revokedAt, lastUsedAt: apiTokens.lastUsedAt,
  }).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
}

/** Revokes one token of a user (idempotent); false when the user has no such token. */
export async function revokeToken(db: Db, userId: string, tokenId: string, now: Date): Promise<boolean> {
  const [t] = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId))).limit(1);
  if (!t) return false;
  await db.update(apiTokens).set({ revokedAt: now, updatedAt: now }).where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)));
  return true;
}

/** Revokes every live token of a user; returns how many were revoked. */
export async function revokeAllTokens(db: Pick<Db, 'update'>, userId: string, now: Date): Promise<number> {
  const rows = await db.update(apiTokens).set({ revokedAt: now, updatedAt: now })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id });
  return rows.length;
}
