/**
 * Notifications in the read model: the outbox writer (called inside the transaction of the write that
 * causes a notification), the inbox, the preferences, and the failed-delivery list.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, lt, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { notificationDeliveries, notificationPreferences, notifications, subjects, users } from '../schema';
import { audienceMembers, maskName, type ExternalChannel, type NotificationDraft, type NotificationKind, type StaffMember } from '../../domain/notifications';

/** A database or an open transaction (the outbox is written inside the caller's transaction). */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

/** The staff an audience may name: supervisors, coordinators, and the users named directly. */
async function staffFor(tx: DbOrTx, drafts: readonly NotificationDraft[]): Promise<StaffMember[]> {
  const named = [...new Set(drafts.flatMap((d) => d.audiences.flatMap((a) => (a.kind === 'user' ? [a.userId] : []))))];
  const byRole = drafts.some((d) => d.audiences.some((a) => a.kind !== 'user'));
  if (!named.length && !byRole) return [];
  return tx.select({
    id: users.id, role: users.role, counties: users.counties, departments: users.departments, cityLevel: users.cityLevel, disabled: users.disabled,
  }).from(users).where(or(
    named.length ? inArray(users.id, named) : sql`false`,
    byRole ? inArray(users.role, ['supervisor', 'coordinator']) : sql`false`,
  ));
}

/**
 * Writes each draft once per member of its audiences (a user named by two audiences gets one row).
 * Idempotent: (event key, recipient) is unique, so a retried write inserts nothing twice. Returns the
 * rows inserted.
 *
 * With `replacing`, the drafts are the whole truth about a case's events from `fromSeq` on (a
 * re-projected batch, see activities/projection.ts): the case's notifications from those seqs that are
 * not dispatched yet and that the drafts no longer make (a lost workflow task had written other events
 * under those seqs) are removed first.
 */
export async function writeNotifications(
  tx: DbOrTx, drafts: readonly NotificationDraft[], at = new Date(), replacing?: { caseId: string; fromSeq: number },
): Promise<number> {
  const staff = drafts.length ? await staffFor(tx, drafts) : [];
  const rows = drafts.flatMap((d) => {
    const recipients = [...new Set(d.audiences.flatMap((a) => audienceMembers(a, staff)))];
    return recipients.map((recipientId) => ({
      id: randomUUID(), eventKey: d.eventKey, recipientId, kind: d.kind, title: d.title, body: d.body, link: d.link,
      caseId: d.caseId ?? null, planId: d.planId ?? null, seq: d.seq ?? null, createdAt: at,
    }));
  });
  if (replacing) {
    const keep = rows.map((r) => `${r.eventKey}|${r.recipientId}`);
    await tx.delete(notifications).where(and(
      eq(notifications.caseId, replacing.caseId), sql`${notifications.seq} >= ${replacing.fromSeq}`, isNull(notifications.dispatchedAt),
      keep.length ? notInArray(sql`${notifications.eventKey} || '|' || ${notifications.recipientId}`, keep) : undefined,
    ));
  }
  if (!rows.length) return 0;
  const inserted = await tx.insert(notifications).values(rows).onConflictDoNothing({ target: [notifications.eventKey, notifications.recipientId] })
    .returning({ id: notifications.id });
  return inserted.length;
}

/** The masked name of a subject, for notification text (empty when unknown). */
export async function maskedSubjectName(tx: DbOrTx, subjectId: string): Promise<string> {
  const [s] = await tx.select({ name: subjects.name }).from(subjects).where(eq(subjects.id, subjectId)).limit(1);
  return s ? maskName(s.name) : '';
}

export type NotificationRow = typeof notifications.$inferSelect;

/** A user's inbox, newest first, after the keyset (createdAt, id). */
export async function inbox(db: Db, userId: string, opts: { unreadOnly: boolean; limit: number; after?: [Date, string] }): Promise<NotificationRow[]> {
  const after = opts.after;
  return db.select().from(notifications).where(and(
    eq(notifications.recipientId, userId),
    opts.unreadOnly ? isNull(notifications.readAt) : undefined,
    after ? or(lt(notifications.createdAt, after[0]), and(eq(notifications.createdAt, after[0]), lt(notifications.id, after[1]))) : undefined,
  )).orderBy(desc(notifications.createdAt), desc(notifications.id)).limit(opts.limit);
}

/** How many of a user's notifications are unread. */
export async function unreadCount(db: Db, userId: string): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(and(eq(notifications.recipientId, userId), isNull(notifications.readAt)));
  return r?.n ?? 0;
}

/** Marks one of the user's notifications read (kept read when it already was); undefined when the user has no such notification. */
export async function markRead(db: Db, userId: string, id: string, at: Date): Promise<NotificationRow | undefined> {
  const [row] = await db.update(notifications).set({ readAt: sql`coalesce(${notifications.readAt}, ${at.toISOString()}::timestamptz)` })
    .where(and(eq(notifications.id, id), eq(notifications.recipientId, userId))).returning();
  return row;
}

/** Marks every unread notification of the user read; returns how many. */
export async function markAllRead(db: Db, userId: string, at: Date): Promise<number> {
  const rows = await db.update(notifications).set({ readAt: at })
    .where(and(eq(notifications.recipientId, userId), isNull(notifications.readAt))).returning({ id: notifications.id });
  return rows.length;
}

export interface Preferences { channels: ExternalChannel[]; mobile: string | null; email: string | null }

/** A user's preferences (none set: no external channel). */
export async function preferencesOf(db: DbOrTx, userId: string): Promise<Preferences> {
  const [p] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId)).limit(1);
  return p ? { channels: p.channels, mobile: p.mobile, email: p.email } : { channels: [], mobile: null, email: null };
}

/** Replaces a user's preferences. */
export async function savePreferences(db: Db, userId: string, p: Preferences, at: Date): Promise<void> {
  await db.insert(notificationPreferences).values({ userId, ...p, updatedAt: at })
    .onConflictDoUpdate({ target: notificationPreferences.userId, set: { ...p, updatedAt: at } });
}

export interface FailedDelivery {
  notificationId: string; channel: ExternalChannel; kind: NotificationKind; recipientId: string; recipientName: string | null;
  caseId: string | null; planId: string | null; attempts: number; lastAnswer: string | null; lastAttemptAt: Date | null; failedAt: Date;
}

/**
 * Failed deliveries, newest first, after the keyset (failedAt, notificationId, channel). An admin
 * below city level sees only those of recipients inside their counties.
 */
export async function failedDeliveries(
  db: Db, scope: { cityLevel: boolean; counties: string[] }, limit: number, after?: [Date, string, string], channel?: ExternalChannel, notificationId?: string,
): Promise<FailedDelivery[]> {
  const d = notificationDeliveries;
  const rows = await db.select({
    notificationId: d.notificationId, channel: d.channel, kind: notifications.kind, recipientId: notifications.recipientId,
    recipientName: users.displayName, caseId: notifications.caseId, planId: notifications.planId, attempts: d.attempts,
    lastAnswer: d.lastAnswer, lastAttemptAt: d.lastAttemptAt, failedAt: d.failedAt,
  }).from(d)
    .innerJoin(notifications, eq(notifications.id, d.notificationId))
    .leftJoin(users, eq(users.id, notifications.recipientId))
    .where(and(
      eq(d.status, 'failed'),
      channel ? eq(d.channel, channel) : undefined,
      notificationId ? eq(d.notificationId, notificationId) : undefined,
      scope.cityLevel ? undefined : and(eq(users.cityLevel, false), sql`${users.counties} <@ ${JSON.stringify(scope.counties)}::jsonb`),
      after ? sql`(${d.failedAt}, ${d.notificationId}, ${d.channel}) < (${after[0].toISOString()}::timestamptz, ${after[1]}, ${after[2]})` : undefined,
    ))
    .orderBy(desc(d.failedAt), desc(d.notificationId), desc(d.channel)).limit(limit);
  return rows.map((r) => ({ ...r, failedAt: r.failedAt! }));
}

/**
 * Puts a failed delivery back to pending for another round of attempts (an admin fixed the
 * configuration); undefined when there is no such failed delivery in the admin's scope.
 */
export async function reopenFailedDelivery(
  db: Db, scope: { cityLevel: boolean; counties: string[] }, notificationId: string, channel: ExternalChannel, at: Date,
): Promise<{ attempts: number } | undefined> {
  const d = notificationDeliveries;
  const visible = await failedDeliveries(db, scope, 1, undefined, channel, notificationId);
  if (!visible.length) return undefined;
  const [row] = await db.update(d).set({ status: 'pending', failedAt: null, updatedAt: at })
    .where(and(eq(d.notificationId, notificationId), eq(d.channel, channel), eq(d.status, 'failed'))).returning({ attempts: d.attempts });
  return row;
}
