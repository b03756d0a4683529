import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CATALOG_VERSION } from '../../domain/catalog';
import { caseWorkflowId, getCaseStateQuery, type CaseInput } from '../../workflows/contract';
import type { ProjectCaseInput } from '../../activities/projection';
import { testWorker, timeSkippingEnv } from '../support/env';

let env: TestWorkflowEnvironment;
beforeAll(async () => { env = await timeSkippingEnv(); });
afterAll(async () => { await env?.teardown(); });

const input = (): CaseInput => ({
  caseId: randomUUID(), subjectId: 's1', itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', county: '640104',
  department: 'DPF', catalogVersion: CATALOG_VERSION, greenChannel: false, openedAt: '2026-03-02T02:00:00.000Z', openedBy: 'u1', requestHash: 'h',
});

describe('serviceCase on the time-skipping server', () => {
  it('opens the case and projects the opening event, then answers its state query', async () => {
    const projected: ProjectCaseInput[] = [];
    const { worker, taskQueue } = await testWorker(env.nativeConnection, { projectCase: async (i: ProjectCaseInput) => { projected.push(i); } });
    const i = input();
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('serviceCase', { taskQueue, workflowId: caseWorkflowId(i.caseId), args: [i] });
      // The first projection is the opening event.
      for (let k = 0; k < 50 && projected.length === 0; k++) await new Promise((r) => setTimeout(r, 100));
      const state = await handle.query(getCaseStateQuery);
      expect(state.status).toBe('open');
      expect(state.events[0]).toMatchObject({ seq: 1, type: 'opened', actor: 'u1' });
      expect(projected[0].event.type).toBe('opened');
      expect(projected[0].state.input.caseId).toBe(i.caseId);
      await handle.terminate('test over');
    });
  });
});
