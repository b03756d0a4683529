/**
 * Issue 15 point 8 (the speed of 附件3 工作情况统计表): an ended quarter is counted once and stored
 * (quarter_statistics); a read uses the stored count while no row timed before the quarter's end has
 * been written since, and counts again otherwise, so the stored figures always equal a recount.
 * Data: 金凤区 (640106) × 民政局 in 2021, a year no other test writes into.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQuarter, quarterStatistics } from '../../db/queries/statistics';
import { caseEvents, cases } from '../../db/schema';
import { startStack, type TestStack } from '../support/env';
import { makeSubject } from '../support/fixtures';
import { seedReadModel, shanghai, type Generated } from '../support/generate';

const QUARTER = '2021-Q2';
const NOW = shanghai('2021-07-12', 10); // the quarter has ended
const SCOPE = { counties: ['640106'], departments: ['CIVIL_AFFAIRS'] };
let stack: TestStack;
let data: Generated;

beforeAll(async () => {
  stack = await startStack();
  data = await seedReadModel(stack.db, {
    seed: 77, prefix: 'stq', cases: 400, plans: 0, from: shanghai('2021-01-05'), now: NOW, counties: SCOPE.counties, departments: SCOPE.departments, lateRate: 0.3,
  });
  // As if written long ago: what this test writes later is what is "new" to a stored count.
  const ids = data.cases.map((c) => c.id);
  await stack.db.execute(sql`update case_events set recorded_at = now() - interval '1 day' where case_id in ${ids}`);
  await stack.db.execute(sql`update cases set created_at = now() - interval '1 day' where id in ${ids}`);
}, 120_000);
afterAll(async () => { await stack?.close(); });

const stored = async () => (await stack.db.execute<{ rows: unknown; counted_at: string }>(sql`select rows, counted_at from quarter_statistics where quarter = ${QUARTER}`))[0];
const sumOf = (rows: Array<{ casesOpened: number; overdue: number }>, k: 'casesOpened' | 'overdue') => rows.reduce((s, r) => s + r[k], 0);

describe('an ended quarter is counted once, stored, and counted again when rows of it are written later', () => {
  it('reads the stored count (the same figures as a recount) until a row timed before the quarter\'s end is written', async () => {
    const first = await quarterStatistics(stack.db, QUARTER, NOW, SCOPE);
    expect(first.length).toBeGreaterThan(0);
    expect(first).toEqual(await countQuarter(stack.db, QUARTER, NOW, SCOPE));
    const kept = await stored();
    expect(kept).toBeDefined();

    // A second read uses the stored count: a stored figure marked here comes back as it is.
    await stack.db.execute(sql`update quarter_statistics set rows = jsonb_set(rows::jsonb, '{0,casesOpened}', '9999')::json where quarter = ${QUARTER}`);
    const marked = await quarterStatistics(stack.db, QUARTER, NOW);
    expect(marked[0].casesOpened).toBe(9999);

    // A case opened in the quarter, written now (e.g. a projection that came late): the next read counts again.
    const subject = await makeSubject(stack.db, { county: '640106' });
    await stack.db.insert(cases).values({
      id: randomUUID(), subjectId: subject.id, itemCode: 'SOCIAL_ASSISTANCE', actionCode: 'LOW_INCOME', county: '640106', department: 'CIVIL_AFFAIRS', catalogVersion: 'test',
      status: 'open', step: 'visit', openedAt: shanghai('2021-05-10', 9), lastEventAt: shanghai('2021-05-10', 9), state: {},
    });
    const recounted = await quarterStatistics(stack.db, QUARTER, NOW, SCOPE);
    expect(recounted).toEqual(await countQuarter(stack.db, QUARTER, NOW, SCOPE));
    expect(sumOf(recounted, 'casesOpened')).toBe(sumOf(first, 'casesOpened') + 1);
    expect(recounted.some((r) => r.casesOpened === 9999)).toBe(false);
    expect(new Date((await stored()).counted_at).getTime()).toBeGreaterThan(new Date(kept.counted_at).getTime());
  });

  it('an overdue event of a pending case timed before the end, recorded later, is counted (逾期件数)', async () => {
    const before = await quarterStatistics(stack.db, QUARTER, NOW, SCOPE);
    const endOfQuarter = shanghai('2021-07-01');
    // A case still pending at the end that had not been overdue before it.
    const pending = data.cases.find((c) => c.openedAt < endOfQuarter && (c.closedAt === null || c.closedAt >= endOfQuarter) && c.status !== 'cancelled'
      && !data.events.some((e) => e.caseId === c.id && (e.type === 'overdue' || e.type === 'supplement_overdue') && e.at < endOfQuarter)
      && (c.status === 'open' || (c.closedAt ?? c.lastEventAt) >= endOfQuarter))!;
    expect(pending).toBeDefined();
    await stack.db.insert(caseEvents).values({ caseId: pending.id, seq: 900, type: 'overdue', at: shanghai('2021-06-20', 9), data: {} });
    const after = await quarterStatistics(stack.db, QUARTER, NOW, SCOPE);
    expect(sumOf(after, 'overdue')).toBe(sumOf(before, 'overdue') + 1);
    expect(after).toEqual(await countQuarter(stack.db, QUARTER, NOW, SCOPE));
  });
});
