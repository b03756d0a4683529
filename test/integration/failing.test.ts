/**
 * A workflow whose task keeps failing (here: a case whose workflow the worker cannot run, as after a
 * bad deploy) must not hide: it is listed for supervisors in scope (GET /v1/supervision/failing),
 * counted for operators (doorstep_workflows_failing), and a step on it answers 503 with a clear
 * problem within the update deadline, never a 500 or a hang. Other cases keep working meanwhile. The
 * console's 工作流异常 page (issue #14) shows it in Chromium.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMetricsServer } from '../../api/metrics';
import { cases } from '../../db/schema';
import { caseWorkflowId } from '../../workflows/contract';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser, withPassword, type TestUser } from '../support/fixtures';
import { checkPage, launchBrowser, logIn, serveConsole, watchErrors } from '../browser/browser';
import { runtimeLogs } from '../support/logs';

let stack: TestStack;
let supervisor: TestUser;
let coordinator: TestUser;
let otherCounty: TestUser;
let brokenId: string;
let healthyId: string;
let subjectId: string;

beforeAll(async () => {
  runtimeLogs.echoFromLevel = Infinity; // the failing task's warnings are on purpose
  stack = await startStack({ UPDATE_TIMEOUT_MS: 3000 });
  supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  otherCounty = await makeUser(stack.db, 'coordinator', { counties: ['640106'] });
  const subject = await makeSubject(stack.db, { county: '640104' });
  subjectId = subject.id;
  const opened = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' } });
  expect(opened.statusCode).toBe(201);
  healthyId = opened.json().id;
  // The broken case: a read-model row like the healthy one's, and a workflow of a type no worker can run.
  brokenId = randomUUID();
  const [healthy] = await stack.db.select().from(cases).where(eq(cases.id, healthyId));
  const state = healthy.state as { input: Record<string, unknown> };
  await stack.db.insert(cases).values({ ...healthy, id: brokenId, state: { ...state, input: { ...state.input, caseId: brokenId } } });
  await stack.client.workflow.start('caseEngineFromABadDeploy', { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, workflowId: caseWorkflowId(brokenId) });
}, 60_000);

afterAll(async () => {
  await stack?.client.workflow.getHandle(caseWorkflowId(brokenId)).terminate('test over').catch(() => undefined);
  await stack?.close();
  runtimeLogs.echoFromLevel = 40;
});

const failingList = async (user: TestUser) => {
  const res = await stack.app.inject({ url: '/v1/supervision/failing', headers: user.auth });
  expect(res.statusCode).toBe(200);
  return res.json() as { total: number; items: Array<{ id: string; kind: string; workflowId: string; problems: string[]; county: { code: string } | null }> };
};

describe('failing workflows', () => {
  it('are listed for supervisors and the case\'s own county, not for another county; healthy cases are not listed', { timeout: 150_000 }, async () => {
    const list = await eventually(async () => {
      const l = await failingList(supervisor);
      return l.items.some((i) => i.id === brokenId) ? l : undefined;
    }, 120_000, 1000); // Temporal flags a workflow after its second failed task; task retries back off
    const item = list.items.find((i) => i.id === brokenId)!;
    expect(item).toMatchObject({ kind: 'case', workflowId: caseWorkflowId(brokenId) });
    expect(item.problems.join(' ')).toContain('WorkflowTaskFailed');
    expect(list.items.some((i) => i.id === healthyId)).toBe(false);
    expect((await failingList(coordinator)).items.map((i) => i.id)).toContain(brokenId);
    expect((await failingList(otherCounty)).items.map((i) => i.id)).not.toContain(brokenId);
  });

  it('the console\'s 工作流异常 page shows it to the supervisor, with the problem Temporal reports', { timeout: 150_000 }, async () => {
    await eventually(async () => ((await failingList(supervisor)).items.some((i) => i.id === brokenId) ? true : undefined), 120_000, 1000);
    const base = await serveConsole(stack);
    const person = await withPassword(stack.db, supervisor, 'failing-test-pass-1', '督导甲');
    const browser = await launchBrowser();
    try {
      const page = watchErrors(await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' }));
      await logIn(page, `${base}/dashboard/failing`, person.username, 'failing-test-pass-1');
      await page.getByText(/个工作流的任务连续失败/).waitFor();
      const link = page.locator(`a[href="/cases/${brokenId}"]`);
      await link.waitFor();
      const row = page.locator('tr', { has: link });
      expect(await row.textContent()).toContain('工作流任务连续失败（category=WorkflowTaskFailed）');
      expect(await row.textContent()).toContain('案件');
      expect(await page.locator(`a[href="/cases/${healthyId}"]`).count()).toBe(0);
      await checkPage(page, 'dashboard-12-failing-workflow');
    } finally {
      await browser.close();
    }
  });

  it('a step on a failing case answers 503 with the reason and Retry-After, within the deadline; other cases keep working', { timeout: 30_000 }, async () => {
    const worker = await makeUser(stack.db, 'worker', { counties: ['640104'], departments: ['DPF'] });
    const t0 = Date.now();
    const [broken, healthy] = await Promise.all([
      stack.app.inject({ method: 'POST', url: `/v1/cases/${brokenId}/assign`, headers: coordinator.auth, payload: { assignee: worker.id } }),
      stack.app.inject({ method: 'POST', url: `/v1/cases/${healthyId}/assign`, headers: coordinator.auth, payload: { assignee: worker.id } }),
    ]);
    expect(broken.statusCode).toBe(503);
    expect(broken.headers['content-type']).toContain('application/problem+json');
    expect(broken.headers['retry-after']).toBe('30');
    expect(broken.json().detail).toContain('工作流任务持续失败');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(healthy.statusCode).toBe(200);
    expect(healthy.json().step.code).toBe('visit');
  });

  it('are counted in doorstep_workflows_failing', { timeout: 60_000 }, async () => {
    const server = await buildMetricsServer(stack.app.metrics);
    try {
      const text = await eventually(async () => {
        const body = (await server.inject({ url: '/metrics' })).body;
        return /^doorstep_workflows_failing\{workflow_type="caseEngineFromABadDeploy"\} [1-9]/m.test(body) ? body : undefined;
      }, 30_000, 1000);
      expect(text).toMatch(/^doorstep_workflows_failing\{workflow_type="caseEngine"\} \d+/m);
    } finally {
      await server.close();
    }
  });
});
