/** Users and their bearer tokens (tokens are stored as SHA-256 hashes only). */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { apiTokens, users } from './schema';

export interface NewUser {
  username: string;
  displayName: string;
  role: string;
  counties?: string[];
  departments?: string[];
  cityLevel?: boolean;
}

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
  const token = opts.token ?? `dst_${randomBytes(24).toString('base64url')}`;
  const id = randomUUID();
  await db.insert(apiTokens).values({
    id, userId, tokenHash: createHash('sha256').update(token).digest('hex'), label: opts.label ?? null, expiresAt: opts.expiresAt ?? null,
  });
  return { id, token };
}

/** Finds a user by username. */
export async function findUserByName(db: Db, username: string) {
  const [u] = await db.select().from(users).where(eq(users.username, username)).limit(1);
  return u;
}
