/** Versions of the policy rules (domain/policy.ts) as admins set them: the latest of each key is in force. */
import { desc, eq } from 'drizzle-orm';
import { rulesInForce, type PolicyRule, type StoredRule } from '../../domain/policy';
import type { Db } from '../client';
import { policyRules } from '../schema';

type Row = typeof policyRules.$inferSelect;
const stored = (r: Row): StoredRule => ({ key: r.key, version: r.version, value: r.value, enforced: r.enforced, note: r.note, setBy: r.setBy, setAt: r.setAt.toISOString() });

/** Every rule as in force now. */
export async function loadPolicy(db: Db): Promise<PolicyRule[]> {
  const rows = await db.selectDistinctOn([policyRules.key]).from(policyRules).orderBy(policyRules.key, desc(policyRules.version));
  return rulesInForce(rows.map(stored));
}

/** Every stored version of a rule, newest first. */
export async function policyHistory(db: Db, key: string): Promise<StoredRule[]> {
  return (await db.select().from(policyRules).where(eq(policyRules.key, key)).orderBy(desc(policyRules.version))).map(stored);
}

/** Stores the next version of a rule (concurrent saves: the primary key lets one win, the other retries). */
export async function saveRule(db: Db, key: string, v: { value: unknown; enforced: boolean; note: string }, by: string, at: Date): Promise<StoredRule> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const [latest] = await db.select({ version: policyRules.version }).from(policyRules).where(eq(policyRules.key, key)).orderBy(desc(policyRules.version)).limit(1);
    const [row] = await db.insert(policyRules).values({ key, version: (latest?.version ?? 0) + 1, value: v.value, enforced: v.enforced, note: v.note, setBy: by, setAt: at })
      .onConflictDoNothing().returning();
    if (row) return stored(row);
  }
  throw new Error(`policy rule ${key}: concurrent saves did not settle`);
}
