/**
 * 容缺后补 (plan 四（三） "绿色通道+容缺后补"): a case accepted with documents missing waits for them
 * before its ledger entry; it still appears in its month's ledger, with its state, when the month is
 * shared (issue 15 point 3). Data: 永宁县 人社局, 2026-01 (no other test writes there).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { cases } from '../../db/schema';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { shanghai } from '../support/generate';

const COUNTY = '640181'; // not a county the supervision test seeds
let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let coordinator: TestUser;

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => shanghai('2026-02-03', 10) });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
});
afterAll(async () => { await app?.close(); await stack?.close(); });

function waitingCase(subjectId: string, status: 'pending' | 'overdue' | 'supplied', greenChannel = true) {
  return {
    id: randomUUID(), subjectId, itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', county: COUNTY, department: 'HRSS', catalogVersion: 'test',
    status: 'open' as const, step: 'ledger' as const, greenChannel, openedAt: shanghai('2026-01-12', 9), visitedAt: shanghai('2026-01-14', 9),
    lastEventAt: shanghai('2026-01-20', 9),
    state: { supplement: { missing: ['户口簿复印件'], supplied: [], dueDate: '2026-02-10', dueAt: shanghai('2026-02-11').toISOString(), status, escalationLevel: 0, evidence: [] } },
  };
}

describe('a case waiting for documents in its month\'s ledger', () => {
  it('is entered once, with its state, when the month is shared; a case whose documents came is not', async () => {
    const a = await makeSubject(stack.db, { county: COUNTY });
    const b = await makeSubject(stack.db, { county: COUNTY });
    const waiting = waitingCase(a.id, 'pending');
    await stack.db.insert(cases).values([waiting, waitingCase(b.id, 'supplied')]);

    const url = `/v1/ledger?county=${COUNTY}&department=HRSS&month=2026-01`;
    expect((await app.inject({ url, headers: coordinator.auth })).json().items).toEqual([]);
    const shared = await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'HRSS', month: '2026-01' } });
    expect(shared.statusCode, shared.body).toBe(201);
    expect(shared.json().rowCount).toBe(1);
    const items = (await app.inject({ url, headers: coordinator.auth })).json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      source: { type: 'case_waiting', id: waiting.id },
      row: { result: '容缺后补：待补交材料（补交期限 2026-02-10）', remarks: '审核时容缺受理；待补：户口簿复印件；绿色通道', askedOn: '2026-01-12', visitedOn: '2026-01-14' },
    });
    // The next month's share does not enter it again.
    const feb = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => shanghai('2026-03-02', 10) });
    try {
      const next = await feb.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'HRSS', month: '2026-02' } });
      expect(next.json().rowCount).toBe(0);
    } finally {
      await feb.close();
    }
  });
});
