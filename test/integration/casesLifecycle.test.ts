/**
 * One case of every one-off catalog action (items 1–4 and 8–10), driven to closed over HTTP against
 * the Temporal dev server and PostgreSQL; after every step the read model must match the workflow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerEntries } from '../../db/schema';
import { oneOffActions } from '../../domain/catalog';
import { startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { evidenceFile, expectReadModelMatches, post, upload } from './casesSupport';

const COUNTY = '640181';
let stack: TestStack;
let filesDir: string;
let coordinator: TestUser;
let reviewer: TestUser;
beforeAll(async () => {
  filesDir = mkdtempSync(join(tmpdir(), 'doorstep-files-'));
  stack = await startStack({ FILES_DIR: filesDir });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  reviewer = await makeUser(stack.db, 'reviewer', { counties: [COUNTY] });
});
afterAll(async () => {
  await stack?.close();
  rmSync(filesDir, { recursive: true, force: true });
});

describe('every one-off action, opened to closed over HTTP', () => {
  const actions = oneOffActions();

  it('covers items 1–4 and 8–10', () => {
    expect([...new Set(actions.map((a) => a.item.number))]).toEqual([1, 2, 3, 4, 8, 9, 10]);
  });

  it.each(actions.map(({ item, action }) => [`${item.code}/${action.code}`, item.code, action.code] as const))(
    '%s: assign → visit (with evidence) → review → %s delivery as the catalog says → ledger → closed',
    async (_name, itemCode, actionCode) => {
      const { action } = actions.find((a) => a.item.code === itemCode && a.action.code === actionCode)!;
      const worker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: [action.implementing] });
      const subject = await makeSubject(stack.db, { county: COUNTY });

      const opened = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode, actionCode }, `open-${subject.id}`);
      expect(opened.statusCode).toBe(201);
      const id = opened.json().id as string;
      expect(opened.json().department.code).toBe(action.implementing);
      let view = await expectReadModelMatches(stack, coordinator, id);
      expect(view.step.code).toBe('assignment');

      const assigned = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id });
      expect(assigned.statusCode).toBe(200);
      expect(assigned.json()).toMatchObject({ step: { code: 'visit', label: '上门办理' }, assignee: worker.id });
      // The response was sent after the projection: its marker is already the last event.
      expect(assigned.json().readModel.lastEventSeq).toBe(assigned.json().timeline.length);
      await expectReadModelMatches(stack, coordinator, id);

      expect((await post(stack, worker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: '2026-12-03T02:00:00Z' })).statusCode).toBe(200);
      await expectReadModelMatches(stack, coordinator, id);

      const evidence = [];
      for (const req of action.evidence) {
        const kind = req.kinds[0];
        const res = await upload(stack, worker, id, evidenceFile(kind));
        expect(res.statusCode).toBe(201);
        evidence.push({ sha256: res.json().sha256 as string, kind });
      }
      const visited = await post(stack, worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence, notes: '已上门办理' });
      expect(visited.statusCode).toBe(200);
      expect(visited.json().step.code).toBe('review');
      await expectReadModelMatches(stack, coordinator, id);

      const reviewed = await post(stack, reviewer, `/v1/cases/${id}/review`, { decision: 'approve' });
      expect(reviewed.statusCode).toBe(200);
      view = await expectReadModelMatches(stack, coordinator, id);

      if (action.needsCertificate) {
        expect(view.step.code).toBe('delivery');
        const method = action.deliveryMethods.includes('express') ? 'express' : action.deliveryMethods[0];
        const delivered = await post(stack, worker, `/v1/cases/${id}/deliver`, { method, ...(method === 'express' ? { trackingNumber: 'SF1234567890' } : {}) });
        expect(delivered.statusCode).toBe(200);
        view = await expectReadModelMatches(stack, coordinator, id);
        if (method !== 'in_person') {
          expect(view.step.code).toBe('delivery');
          expect((await post(stack, worker, `/v1/cases/${id}/confirm-receipt`, {})).statusCode).toBe(200);
          view = await expectReadModelMatches(stack, coordinator, id);
        }
      } else {
        expect(view.timeline.map((e: { type: string }) => e.type)).not.toContain('dispatched');
      }

      expect(view).toMatchObject({ status: { code: 'closed', label: '已办结' }, step: { code: 'done' }, completedOnTime: true });
      expect(view.timeline.slice(-2).map((e: { type: string }) => e.type)).toEqual(['ledger_shared', 'closed']);
      const [ledger] = await stack.db.select().from(ledgerEntries).where(and(eq(ledgerEntries.sourceType, 'case'), eq(ledgerEntries.sourceId, id)));
      expect(ledger).toMatchObject({ county: COUNTY, department: action.implementing, itemCode, actionCode });

      // Closed: no step is allowed any more.
      const late = await post(stack, coordinator, `/v1/cases/${id}/hold`, { reason: '测试' });
      expect(late.statusCode).toBe(409);
      expect(late.json().detail).toBe('案件已办结，不能暂停案件');
    },
  );
});
