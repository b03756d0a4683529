/** Data the tests make for themselves: users with tokens, subjects with valid, unique ID numbers. */
import { randomInt, randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../api/passwords';
import { subjects, users, type NewSubject } from '../../db/schema';
import { createUser, issueToken } from '../../db/queries/users';
import { makeIdNumber } from '../../domain/idNumber';
import type { Role } from '../../domain/vocabulary';

export interface TestUser { id: string; token: string; auth: { authorization: string } }

/** A user of `role` with this scope, and a bearer token for it. */
export async function makeUser(db: Db, role: string, scope: { counties?: string[]; departments?: string[]; cityLevel?: boolean } = { cityLevel: true }): Promise<TestUser> {
  const id = await createUser(db, { username: `${role}-${randomUUID()}`, displayName: `测试${role}`, role: role as Role, ...scope });
  const { token } = await issueToken(db, id);
  return { id, token, auth: { authorization: `Bearer ${token}` } };
}

/** Gives a test user a console password and a display name; returns it with its username (for the login form). */
export async function withPassword(db: Db, u: TestUser, password: string, displayName: string): Promise<TestUser & { username: string }> {
  await db.update(users).set({ passwordHash: await hashPassword(password), displayName }).where(eq(users.id, u.id));
  const [row] = await db.select({ username: users.username }).from(users).where(eq(users.id, u.id));
  return { ...u, username: row.username };
}

/** A fresh valid ID number no other test uses (random birth date and sequence). */
export function uniqueIdNumber(regionCode = '640104', birthYear?: number): string {
  const year = birthYear ?? 1940 + randomInt(0, 60);
  const month = String(randomInt(1, 13)).padStart(2, '0');
  const day = String(randomInt(1, 29)).padStart(2, '0');
  return makeIdNumber({ regionCode, birthDate: `${year}-${month}-${day}`, sequence: randomInt(0, 1000) });
}

/**
 * The surveyed facts a fixture subject carries unless told otherwise: a blind person with a severe
 * physical disability, limited mobility and no capable carer, who meets every item's eligibility rule
 * (domain/eligibility.ts) except the children's items' age. Tests of eligibility pass their own.
 */
export const ELIGIBLE_FIXTURE = Object.freeze({
  surveyId: 'fixture', surveyedAt: '2023-04-21T00:00:00.000Z', eligible: true, groups: ['severe_physical_or_blind'], reasons: [], missing: [],
  answers: { disabilityCategory: 4, disabilityGrade: 1, blind: true, limitedMobility: true, noCapableCarer: true },
});

/** Inserts a subject directly (for tests of other resources); eligible by default (ELIGIBLE_FIXTURE). */
export async function makeSubject(db: Db, overrides: Partial<NewSubject> = {}): Promise<typeof subjects.$inferSelect> {
  const county = overrides.county ?? '640104';
  const idNumber = overrides.idNumber ?? uniqueIdNumber(county);
  const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  const [row] = await db.insert(subjects).values({
    id: randomUUID(), idNumber, name: '测试对象', sex: Number(idNumber[16]) % 2 === 1 ? 'male' : 'female', birthDate: birth,
    county, township: '测试街道', community: '测试社区', phone: '13912345678', consentToShare: true, eligibility: ELIGIBLE_FIXTURE,
    ...overrides,
  }).returning();
  return row;
}
