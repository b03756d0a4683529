/**
 * Issue 15 through the API, the dev server and PostgreSQL:
 * - point 3, plan 四（三）“必要时第一时间启动‘绿色通道+容缺后补’机制，并指定专人负责申请受理”: POST /v1/cases opens a
 *   green-channel case with documents missing (validated with problem+json), the case view shows them,
 *   and the case waiting for them is in its month's ledger with its state;
 * - point 2: step deadlines are a local rule (the plan sets none): PUT /v1/policy/deadlines.steps reaches
 *   running cases (setPolicy), new cases open with the rule in force, and its figures are not edited here.
 * A database of its own: enforcing the rule must not reach other files' cases.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { cases } from '../../db/schema';
import { addDaysToDate, shanghaiDate } from '../../domain/calendar';
import { caseWorkflowId, getCaseStateQuery } from '../../workflows/contract';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { expectReadModelMatches, post } from './casesSupport';

const COUNTY = '640121'; // 永宁县 × 司法局, on a database of this file's own
let own: Awaited<ReturnType<typeof ownDatabase>>;
let stack: TestStack;
let coordinator: TestUser;
let admin: TestUser;

beforeAll(async () => {
  own = await ownDatabase();
  stack = await startStack({ DATABASE_URL: own.url });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); await own?.drop(); });

const today = () => shanghaiDate(new Date());
const openBody = (subjectId: string, extra: object = {}) => ({ subjectId, itemCode: 'LEGAL_AID', actionCode: 'LEGAL_AID', ...extra });

describe('绿色通道+容缺后补 at 申请受理 (plan 四（三）)', () => {
  it('POST /v1/cases opens a green-channel case with documents missing; the view shows them, the read model agrees', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const dueDate = addDaysToDate(today(), 7);
    const res = await post(stack, coordinator, '/v1/cases', openBody(subject.id, {
      greenChannel: true, acceptWithMissing: { missing: ['身份证复印件', '调解申请书'], supplementDueDate: dueDate },
    }));
    expect(res.statusCode, res.body).toBe(201);
    const view = await expectReadModelMatches(stack, coordinator, res.json().id);
    expect(view).toMatchObject({
      status: { code: 'open' }, step: { code: 'assignment' }, greenChannel: true, supplementDueAt: `${dueDate}T16:00:00.000Z`,
      supplement: {
        stage: { code: 'acceptance', label: '申请受理时容缺（绿色通道+容缺后补）' }, missing: ['身份证复印件', '调解申请书'],
        outstanding: ['身份证复印件', '调解申请书'], dueDate, status: 'pending',
      },
    });
    // Supplying one document at the first step is allowed; the view keeps what is still outstanding.
    const supplied = await post(stack, coordinator, `/v1/cases/${view.id}/supplement`, { documents: ['调解申请书'] });
    expect(supplied.statusCode, supplied.body).toBe(200);
    expect(supplied.json().supplement).toMatchObject({ supplied: ['调解申请书'], outstanding: ['身份证复印件'] });
  });

  it('refuses bad requests with 400 naming the field, and opens nothing', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const bad = async (extra: object) => {
      const res = await post(stack, coordinator, '/v1/cases', openBody(subject.id, extra));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      return res.json().errors.map((e: { path: string }) => e.path);
    };
    const missing = { missing: ['身份证复印件'], supplementDueDate: addDaysToDate(today(), 3) };
    expect(await bad({ acceptWithMissing: missing })).toEqual(['body.acceptWithMissing']); // not on the green channel
    expect(await bad({ greenChannel: true, acceptWithMissing: { ...missing, supplementDueDate: addDaysToDate(today(), -1) } })).toEqual(['body.acceptWithMissing.supplementDueDate']);
    expect(await bad({ greenChannel: true, acceptWithMissing: { ...missing, supplementDueDate: '2026-02-30' } })).toEqual(['body.acceptWithMissing.supplementDueDate']);
    expect(await bad({ greenChannel: true, acceptWithMissing: { ...missing, missing: [] } })).toEqual(['body.acceptWithMissing.missing']);
    expect(await bad({ greenChannel: true, acceptWithMissing: { ...missing, missing: ['照片', '照片'] } })).toEqual(['body.acceptWithMissing.missing']);
    expect(await bad({ greenChannel: true, acceptWithMissing: { ...missing, extra: 1 } })).toEqual(['body.acceptWithMissing']);
    expect(await stack.db.select().from(cases).where(eq(cases.subjectId, subject.id))).toEqual([]);
  });

  it('a case still waiting for the documents accepted missing is in its month\'s ledger, with its state', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const dueDate = addDaysToDate(today(), 20);
    const res = await post(stack, coordinator, '/v1/cases', openBody(subject.id, { greenChannel: true, acceptWithMissing: { missing: ['户口簿复印件'], supplementDueDate: dueDate } }));
    expect(res.statusCode, res.body).toBe(201);
    const caseId = res.json().id as string;
    // The month is shared once it is over: an app whose clock is in the next month.
    const month = today().slice(0, 7);
    const next = addDaysToDate(`${month}-28`, 7);
    const later = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => new Date(`${next}T02:00:00Z`) });
    try {
      const shared = await later.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'JUSTICE', month } });
      expect(shared.statusCode, shared.body).toBe(201);
      const items = (await later.inject({ url: `/v1/ledger?county=${COUNTY}&department=JUSTICE&month=${month}`, headers: coordinator.auth })).json().items;
      expect(items.find((i: { source: { id: string } }) => i.source.id === caseId)).toMatchObject({
        source: { type: 'case_waiting', id: caseId },
        row: { result: `容缺后补：待补交材料（补交期限 ${dueDate}）`, remarks: '申请受理时容缺（绿色通道+容缺后补）；待补：户口簿复印件；绿色通道', askedOn: today() },
      });
    } finally {
      await later.close();
    }
  });
});

describe('step deadlines are a local rule (deadlines.steps): advisory until enforced, and running cases follow it', () => {
  it('GET /v1/catalog tells the plan\'s mechanism (绿色通道+容缺后补, 四（三）) from our escalations (local) and the step-deadline rule', async () => {
    const catalog = (await stack.app.inject({ url: '/v1/catalog', headers: coordinator.auth })).json();
    const m = (key: string) => catalog.mechanisms.find((x: { key: string }) => x.key === key);
    expect(m('acceptWithMissing.acceptance')).toMatchObject({ tag: { code: 'plan' } });
    expect(m('acceptWithMissing.acceptance').clause).toContain('绿色通道+容缺后补');
    expect(m('acceptWithMissing.acceptance').clause).toContain('申请受理');
    for (const key of ['escalation.stepOverdue', 'escalation.failedVisits', 'escalation.supplementOverdue']) {
      expect(m(key), key).toMatchObject({ tag: { code: 'local' }, clause: null });
      expect(m(key).rationale, key).toContain('方案');
    }
    expect(catalog.rules.find((r: { key: string }) => r.key === 'deadlines.steps')).toMatchObject({ tag: { code: 'local' }, enforcedByDefault: false });
  });

  it('GET /v1/supervision/overdue marks a case past a step deadline as a reminder unless the rule it follows is enforced', async () => {
    const row = async (rule: { version: number; enforced: boolean } | undefined) => {
      const subject = await makeSubject(stack.db, { county: COUNTY });
      const id = randomUUID();
      await stack.db.insert(cases).values({
        id, subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'LEGAL_AID', county: COUNTY, department: 'JUSTICE', catalogVersion: 'test',
        status: 'open', step: 'visit', openedAt: new Date('2026-10-08T02:00:00Z'), dueAt: new Date('2026-10-15T16:00:00Z'), overdue: true,
        lastEventAt: new Date('2026-10-16T02:00:00Z'), state: rule ? { stepDeadlines: rule } : {},
      });
      return id;
    };
    const advisory = await row({ version: 0, enforced: false });
    const enforced = await row({ version: 4, enforced: true });
    const older = await row(undefined); // opened before the rule travelled with cases: the rule in force now (advisory)
    const res = await stack.app.inject({ url: `/v1/supervision/overdue?county=${COUNTY}&department=JUSTICE&limit=100`, headers: coordinator.auth });
    expect(res.statusCode, res.body).toBe(200);
    const flag = (id: string) => res.json().items.find((i: { id: string }) => i.id === id)?.advisory;
    expect([flag(advisory), flag(enforced), flag(older)]).toEqual([true, false, true]);
  });

  it('new cases open with the rule in force; enforcing it reaches running cases; its figures are not edited here', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const opened = await post(stack, coordinator, '/v1/cases', openBody(subject.id));
    expect(opened.statusCode, opened.body).toBe(201);
    const running = opened.json().id as string;
    expect(opened.json().stepDeadlineRule).toMatchObject({ key: 'deadlines.steps', version: 0, enforced: false, effect: { code: 'advisory' } });

    const put = (payload: object) => stack.app.inject({ method: 'PUT', url: '/v1/policy/deadlines.steps', headers: admin.auth, payload });
    // The figures travel with the catalog version each case opened with: not changed here (409 with why).
    const figures = await put({ value: { assignment: { normal: 3, green: 1 }, visit: { normal: 5, green: 2 }, review: { normal: 5, green: 2 }, delivery: { normal: 3, green: 1 }, ledger: { normal: 2, green: 1 } }, note: '调整分派时限' });
    expect(figures.statusCode, figures.body).toBe(409);
    expect(figures.json().detail).toContain('服务目录版本');

    const enforced = await put({ enforced: true, note: '领导小组决定按时限督办' });
    expect(enforced.statusCode, enforced.body).toBe(201);
    expect(enforced.json()).toMatchObject({ key: 'deadlines.steps', version: 1, enforced: true, runningCases: { failed: 0 } });
    expect(enforced.json().runningCases.signalled).toBeGreaterThanOrEqual(1);
    const state = await eventually(async () => {
      const s = await stack.client.workflow.getHandle(caseWorkflowId(running)).query(getCaseStateQuery);
      return s.stepDeadlines?.enforced === true && s;
    });
    expect(state.events.at(-1)).toMatchObject({ type: 'policy_updated', data: { key: 'deadlines.steps', version: 1, enforced: true } });
    const view = await eventually(async () => {
      const v = await expectReadModelMatches(stack, coordinator, running);
      return v.stepDeadlineRule.enforced && v;
    });
    expect(view.stepDeadlineRule.effect.code).toBe('enforced');

    const other = await makeSubject(stack.db, { county: COUNTY });
    const later = await post(stack, coordinator, '/v1/cases', openBody(other.id));
    expect(later.json().stepDeadlineRule).toMatchObject({ version: 1, enforced: true });

    // Advisory again: a new version, sent on as well.
    const advisory = await put({ enforced: false, note: '恢复为仅提醒' });
    expect(advisory.json()).toMatchObject({ version: 2, enforced: false });
    await eventually(async () => (await stack.client.workflow.getHandle(caseWorkflowId(running)).query(getCaseStateQuery)).stepDeadlines?.version === 2);
  });
});
