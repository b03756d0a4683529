/**
 * Registering and changing the people served (服务对象), as POST/PATCH /v1/subjects and the household
 * links do it: the request bodies, the checks that need the domain (ID and certificate numbers, scope),
 * and the writes (each one statement, or one transaction). The routes (api/routes/subjects.ts) only
 * parse, call these, audit unmasking and present.
 *
 * Decisions:
 * - Sex and birth date are derived from the ID number; the body cannot set them.
 * - The same ID number twice is a 409. Its `existingId` is given only when the existing subject is
 *   in the caller's scope; otherwise the 409 says that the person is registered in another county
 *   (so the coordinator does not register them twice) but gives no id, name or county.
 * - The ID number can be corrected only by an admin (typos happen; sex and birth date follow it).
 * - A referenced subject in a body (householdWithSubjectId, withSubjectId) that is unknown or out of
 *   scope is a 400 on that field; a merge never moves a household holding someone out of scope (409).
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { findSubject, findSubjectByIdNumber, householdsWithinScope } from '../../db/queries/subjects';
import { subjects, type NewSubject, type Subject } from '../../db/schema';
import { shanghaiDate } from '../../domain/calendar';
import { parseCertificateNumber } from '../../domain/certificateNumber';
import { COUNTY_CODES } from '../../domain/counties';
import { parseIdNumber } from '../../domain/idNumber';
import { inCountyScope, type AuthUser } from '../auth';
import { badRequest, conflict, forbidden, HttpProblem, notFound, type FieldError } from '../problem';

// ---- the request bodies and their fields (also used by surveys and the roster import) ----

/**
 * Characters that print as nothing or reorder the text around them: control and format characters
 * (bidirectional overrides such as U+202E, zero-width U+200B), private-use and unassigned code points,
 * and the blank-looking letters and symbols (Hangul fillers U+3164/U+115F/U+1160/U+FFA0, braille blank U+2800,
 * the Khmer and Mongolian invisible vowels).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u3164\uFFA0\u2800\u180E]|\u115F|\u1160|\u17B4|\u17B5/u;
/** Line breaks and tabs, which multi-line text may hold. */
const LINE_BREAKS = /[\n\r\t]/g;
/** More than two combining marks on one character (a stack that draws over the text around it). */
const MARK_STACK = /\p{M}{3,}/u;
/** At least one character that shows. */
const VISIBLE = /[^\p{Z}\p{M}]/u;

/**
 * Character checks are refinements, not `pattern`s: JSON Schema patterns cannot say \p{…} portably, and
 * an OpenAPI fuzzer could then not generate values for these fields at all.
 */
const printable = (s: string) => !INVISIBLE.test(s) && !MARK_STACK.test(s);

/** A one-line free-text field: trimmed, 1..max characters, nothing invisible. */
export const line = (max: number) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`)
  .refine((s) => printable(s) && VISIBLE.test(s), '不能包含控制字符、不可见字符或叠加符号');
/** A multi-line free-text field (notes): line breaks and tabs allowed, nothing else invisible. */
export const text = (max: number) => z.string().max(max, `不能超过 ${max} 个字符`)
  .refine((s) => printable(s.replace(LINE_BREAKS, ' ')), '不能包含控制字符、不可见字符或叠加符号');

/**
 * A person's name: letters of any script (Chinese, Latin, Uyghur…), combining marks (at most two on a
 * letter), spaces and the separators used in transliterated names (买买提·艾力, 阿依古丽•吐尔逊); no
 * digits, quotes, symbols or invisible letters.
 */
const NAME = /^[\p{L}\p{M}][\p{L}\p{M}·•・‧.\- ]*$/u;
export const personName = z.string().trim().min(1, '姓名不能为空').max(50, '姓名不能超过 50 个字符')
  .refine((s) => NAME.test(s) && printable(s) && /^\p{L}/u.test(s), '姓名只能包含文字、空格和间隔号（·），不能包含不可见字符或叠加符号');

/** Mainland mobile (1[3-9] + 9 digits) or landline with area code (0951-1234567, optional extension). */
export const phoneNumber = z.string().trim().max(30).regex(/^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$/, '电话号码格式不正确：手机号应为 11 位（1[3-9] 开头），固定电话应含区号，如 0951-1234567');

export const countyCode = z.enum(COUNTY_CODES, { error: '未知的区县代码，应为银川市六个县(市)区之一' });
export const idNumberField = z.string().max(40, '身份证号码过长');
const certificateField = z.string().max(40, '残疾人证号过长');

const guardian = z.object({
  name: personName,
  phone: phoneNumber.optional(),
  relation: line(20).optional(),
}).strict();

const subjectFields = {
  name: personName,
  certificateNumber: certificateField,
  county: countyCode,
  township: line(100),
  community: line(100),
  address: line(200),
  phone: phoneNumber,
  guardian,
  consentToShare: z.boolean(),
  notes: text(2000),
};

export const createSubjectBody = z.object({
  idNumber: idNumberField,
  name: subjectFields.name,
  certificateNumber: subjectFields.certificateNumber.optional(),
  county: subjectFields.county,
  township: subjectFields.township.optional(),
  community: subjectFields.community.optional(),
  address: subjectFields.address.optional(),
  phone: subjectFields.phone.optional(),
  guardian: subjectFields.guardian.optional(),
  consentToShare: subjectFields.consentToShare.default(false),
  /** Put the new subject in the household of this (existing, in-scope) subject. */
  householdWithSubjectId: z.string().min(1).max(64).optional(),
  notes: subjectFields.notes.optional(),
}).strict();

export const updateSubjectBody = z.object({
  /** Admins only: correct a mistyped ID number (sex and birth date follow). */
  idNumber: idNumberField.optional(),
  name: subjectFields.name.optional(),
  certificateNumber: subjectFields.certificateNumber.nullable().optional(),
  county: subjectFields.county.optional(),
  township: subjectFields.township.nullable().optional(),
  community: subjectFields.community.nullable().optional(),
  address: subjectFields.address.nullable().optional(),
  phone: subjectFields.phone.nullable().optional(),
  guardian: subjectFields.guardian.nullable().optional(),
  consentToShare: subjectFields.consentToShare.optional(),
  notes: subjectFields.notes.nullable().optional(),
}).strict();

export type CreateSubjectBody = z.infer<typeof createSubjectBody>;
export type UpdateSubjectBody = z.infer<typeof updateSubjectBody>;

// ---- validation that needs the domain ----

/** Parses an ID number from a request; the Chinese reason goes into the field error. */
export function requireIdNumber(raw: string, today: string, path: string, errors: FieldError[]) {
  const r = parseIdNumber(raw, { today });
  if (!r.ok) {
    errors.push({ path, message: r.message, code: r.reason });
    return undefined;
  }
  return r.value;
}

/** Parses a certificate number and checks that it belongs to this ID number. */
export function requireCertificate(raw: string, idNumber: string | undefined, today: string, errors: FieldError[]) {
  const r = parseCertificateNumber(raw, { today });
  if (!r.ok) {
    errors.push({ path: 'body.certificateNumber', message: r.message, code: r.reason });
    return undefined;
  }
  if (idNumber !== undefined && r.value.idNumber !== idNumber) {
    errors.push({ path: 'body.certificateNumber', message: '残疾人证号前 18 位应与身份证号码一致', code: 'id_mismatch' });
    return undefined;
  }
  return r.value;
}

export function throwIfAny(errors: FieldError[]): void {
  if (errors.length > 0) throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}

/** The PostgreSQL unique violation on subjects.id_number (a concurrent create of the same person). */
function isIdNumberConflict(e: unknown): boolean {
  const err = e as { code?: string; constraint_name?: string; cause?: { code?: string; constraint_name?: string } };
  const pg = err?.code === '23505' ? err : err?.cause?.code === '23505' ? err.cause : undefined;
  return !!pg && (pg.constraint_name === undefined || pg.constraint_name === 'subjects_id_number_uq');
}

/** The 409 for an ID number already registered: with the existing id only if the caller may see it. */
function duplicateIdNumber(existing: Subject, user: AuthUser): HttpProblem {
  if (inCountyScope(user, existing.county)) {
    return conflict('该身份证号码已登记为服务对象 This ID number is already registered', { existingId: existing.id });
  }
  return conflict('该身份证号码已在其他县(市)区登记为服务对象，请联系市残联协调 This ID number is registered in another county');
}

// ---- the writes ----

export interface SubjectDeps { db: Db; now: () => Date }

/** Loads a subject the user may see, or 404. */
export async function loadSubject(db: Db, user: AuthUser, id: string): Promise<Subject> {
  const s = await findSubject(db, id);
  if (!s || !inCountyScope(user, s.county)) throw notFound('服务对象');
  return s;
}

/** Registers a subject (joining the household of `householdWithSubjectId`, if given). */
export async function createSubject(deps: SubjectDeps, user: AuthUser, b: CreateSubjectBody): Promise<Subject> {
  const now = deps.now();
  const today = shanghaiDate(now);
  const errors: FieldError[] = [];
  const id = requireIdNumber(b.idNumber, today, 'body.idNumber', errors);
  const cert = b.certificateNumber !== undefined ? requireCertificate(b.certificateNumber, id?.number, today, errors) : undefined;
  if (!inCountyScope(user, b.county)) errors.push({ path: 'body.county', message: '该县(市)区不在您的权限范围内', code: 'out_of_scope' });
  let householdId: string | null = null;
  /** A subject without a household yet, joined into a new one with the new subject. */
  let anchor: string | undefined;
  if (b.householdWithSubjectId !== undefined) {
    const other = await findSubject(deps.db, b.householdWithSubjectId);
    if (!other || !inCountyScope(user, other.county)) {
      errors.push({ path: 'body.householdWithSubjectId', message: '服务对象不存在或不在您的权限范围内', code: 'not_found' });
    } else if (other.householdId) {
      householdId = other.householdId;
    } else {
      householdId = randomUUID();
      anchor = other.id;
    }
  }
  throwIfAny(errors);
  const existing = await findSubjectByIdNumber(deps.db, id!.number);
  if (existing) throw duplicateIdNumber(existing, user);

  const row: NewSubject = {
    id: randomUUID(),
    idNumber: id!.number,
    name: b.name,
    sex: id!.sex,
    birthDate: id!.birthDate,
    certificateNumber: cert?.number ?? null,
    disabilityCategory: cert?.category ?? null,
    disabilityGrade: cert?.grade ?? null,
    county: b.county,
    township: b.township ?? null,
    community: b.community ?? null,
    address: b.address ?? null,
    phone: b.phone ?? null,
    guardianName: b.guardian?.name ?? null,
    guardianPhone: b.guardian?.phone ?? null,
    guardianRelation: b.guardian?.relation ?? null,
    householdId,
    consentToShare: b.consentToShare,
    consentAt: b.consentToShare ? now : null,
    notes: b.notes ?? null,
    createdBy: user.id,
    createdAt: now,
    updatedAt: now,
  };
  let created: Subject;
  try {
    created = await deps.db.transaction(async (tx) => {
      if (anchor) await tx.update(subjects).set({ householdId, updatedAt: now }).where(eq(subjects.id, anchor));
      const [c] = await tx.insert(subjects).values(row).returning();
      return c;
    });
  } catch (e) {
    if (!isIdNumberConflict(e)) throw e;
    const winner = await findSubjectByIdNumber(deps.db, id!.number);
    if (!winner) throw e;
    throw duplicateIdNumber(winner, user);
  }
  return created;
}

/** Changes a subject the user may see (a partial update). */
export async function updateSubject(deps: SubjectDeps, user: AuthUser, s: Subject, b: UpdateSubjectBody): Promise<Subject> {
  if (Object.keys(b).length === 0) throw badRequest('没有要修改的字段 Nothing to update');
  if (b.idNumber !== undefined && user.role !== 'admin') throw forbidden('身份证号码登记后只能由管理员更正 Only an admin may correct an ID number');
  const now = deps.now();
  const today = shanghaiDate(now);
  const errors: FieldError[] = [];
  const set: Partial<NewSubject> = { updatedAt: now };

  let idNumber = s.idNumber;
  if (b.idNumber !== undefined) {
    const id = requireIdNumber(b.idNumber, today, 'body.idNumber', errors);
    if (id && id.number !== s.idNumber) {
      idNumber = id.number;
      Object.assign(set, { idNumber: id.number, sex: id.sex, birthDate: id.birthDate });
    }
  }
  if (b.certificateNumber === null) {
    Object.assign(set, { certificateNumber: null, disabilityCategory: null, disabilityGrade: null });
  } else if (b.certificateNumber !== undefined) {
    const cert = requireCertificate(b.certificateNumber, idNumber, today, errors);
    if (cert) Object.assign(set, { certificateNumber: cert.number, disabilityCategory: cert.category, disabilityGrade: cert.grade });
  } else if (set.idNumber && s.certificateNumber && s.certificateNumber.slice(0, 18) !== set.idNumber) {
    errors.push({ path: 'body.certificateNumber', message: '更正身份证号码时须同时更正或清除残疾人证号（前 18 位应与身份证号码一致）', code: 'id_mismatch' });
  }
  if (b.county !== undefined && !inCountyScope(user, b.county)) errors.push({ path: 'body.county', message: '该县(市)区不在您的权限范围内', code: 'out_of_scope' });
  throwIfAny(errors);

  if (b.name !== undefined) set.name = b.name;
  if (b.county !== undefined) set.county = b.county;
  if (b.township !== undefined) set.township = b.township;
  if (b.community !== undefined) set.community = b.community;
  if (b.address !== undefined) set.address = b.address;
  if (b.phone !== undefined) set.phone = b.phone;
  if (b.notes !== undefined) set.notes = b.notes;
  if (b.guardian !== undefined) {
    Object.assign(set, { guardianName: b.guardian?.name ?? null, guardianPhone: b.guardian?.phone ?? null, guardianRelation: b.guardian?.relation ?? null });
  }
  if (b.consentToShare !== undefined && b.consentToShare !== s.consentToShare) {
    Object.assign(set, { consentToShare: b.consentToShare, consentAt: b.consentToShare ? now : null });
  }
  if (set.idNumber) {
    const other = await findSubjectByIdNumber(deps.db, set.idNumber);
    if (other && other.id !== s.id) throw duplicateIdNumber(other, user);
  }
  let updated: Subject;
  try {
    [updated] = await deps.db.update(subjects).set(set).where(eq(subjects.id, s.id)).returning();
  } catch (e) {
    if (!isIdNumberConflict(e) || !set.idNumber) throw e;
    const other = await findSubjectByIdNumber(deps.db, set.idNumber);
    if (!other) throw e;
    throw duplicateIdNumber(other, user);
  }
  return updated;
}

/** Puts two subjects in one household (merging their households), in one transaction. */
export async function joinHousehold(deps: SubjectDeps, user: AuthUser, s: Subject, otherId: string): Promise<Subject> {
  if (otherId === s.id) throw badRequest('不能与自己关联', [{ path: 'body.withSubjectId', message: '不能与自己关联为同户' }]);
  const other = await findSubject(deps.db, otherId);
  if (!other || !inCountyScope(user, other.county)) {
    throw badRequest('服务对象不存在', [{ path: 'body.withSubjectId', message: '服务对象不存在或不在您的权限范围内' }]);
  }
  const now = deps.now();
  const updated = await deps.db.transaction(async (tx) => {
    // Lock both rows so that two concurrent merges cannot interleave.
    await tx.execute(sql`select id from ${subjects} where ${subjects.id} in (${s.id}, ${other.id}) for update`);
    const [a] = await tx.select().from(subjects).where(eq(subjects.id, s.id));
    const [b] = await tx.select().from(subjects).where(eq(subjects.id, other.id));
    // A merge moves whole households: never one that holds somebody outside the caller's scope.
    if (!(await householdsWithinScope(tx, [a.householdId, b.householdId], user))) {
      throw conflict('所在户中有不在您权限范围内的服务对象，不能合并，请联系市级协调员 A household has members outside your scope');
    }
    const target = a.householdId ?? b.householdId ?? randomUUID();
    for (const m of [a, b]) {
      if (m.householdId && m.householdId !== target) {
        // Merge: every member of the other household moves into this one.
        await tx.update(subjects).set({ householdId: target, updatedAt: now }).where(eq(subjects.householdId, m.householdId));
      } else if (!m.householdId) {
        await tx.update(subjects).set({ householdId: target, updatedAt: now }).where(eq(subjects.id, m.id));
      }
    }
    const [res] = await tx.select().from(subjects).where(eq(subjects.id, s.id));
    return res;
  });
  return updated;
}

/** Takes a subject out of its household. */
export async function leaveHousehold(deps: SubjectDeps, s: Subject): Promise<Subject> {
  const [updated] = await deps.db.update(subjects).set({ householdId: null, updatedAt: deps.now() }).where(eq(subjects.id, s.id)).returning();
  return updated;
}
