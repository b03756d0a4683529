/**
 * Logs carry ids, never people. Generated people are registered, searched by ID number, read
 * unmasked and taken through a whole case (opened → assigned → visit with evidence → review →
 * delivery → closed) over HTTP, with the API logging at trace level and the Temporal runtime of the
 * worker (SDK, workflows, activities) too. Then every captured line is searched for their ID numbers,
 * phones, names and addresses; and the lines carry the request id, and the case, workflow and run ids.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { oneOffActions } from '../../domain/catalog';
import { createLogger } from '../../logger';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { LogCapture, runtimeLogger, runtimeLogs } from '../support/logs';
import { evidenceFile, multipartBody } from './casesSupport';

const COUNTY = '640122';
const SURNAMES = '欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙';
const GIVEN = '婉清峻熙瑾瑜璟珩翊宸锦程芷若沐阳';
const pick = (chars: string) => chars[randomInt(0, chars.length)];

interface Person { idNumber: string; name: string; phone: string; address: string; guardianName: string; guardianPhone: string }
function generatePerson(): Person {
  const name = () => `${pick(SURNAMES)}${pick(SURNAMES)}${pick(GIVEN)}${pick(GIVEN)}`;
  const phone = () => `13${randomInt(5, 10)}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  return {
    idNumber: uniqueIdNumber(COUNTY), name: name(), phone: phone(), guardianName: name(), guardianPhone: phone(),
    address: `永宁县杨和镇${pick(GIVEN)}${pick(GIVEN)}路${randomInt(100, 999)}号`,
  };
}

const apiLogs = new LogCapture();
let stack: TestStack;
let app: TestStack['app'];
let filesDir: string;
let coordinator: TestUser;
let reviewer: TestUser;
const people = [generatePerson(), generatePerson()];
const caseIds: string[] = [];

beforeAll(async () => {
  filesDir = mkdtempSync(join(tmpdir(), 'doorstep-logs-'));
  runtimeLogger.level = 'trace';
  stack = await startStack({ FILES_DIR: filesDir });
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, logger: createLogger({ level: 'trace', name: 'api', destination: apiLogs }) });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  reviewer = await makeUser(stack.db, 'reviewer', { counties: [COUNTY] });
});
afterAll(async () => {
  runtimeLogger.level = 'warn';
  await app?.close();
  await stack?.close();
  rmSync(filesDir, { recursive: true, force: true });
});

const post = (user: TestUser, url: string, payload: object) => app.inject({ method: 'POST', url, headers: user.auth, payload });

describe('logs hold no personal data', () => {
  it('a whole lifecycle of generated people leaves none of their ID numbers, phones, names or addresses in any line', async () => {
    const { item, action } = oneOffActions().find((a) => a.action.needsCertificate && a.action.deliveryMethods.includes('express'))!;
    const worker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: [action.implementing] });
    for (const p of people) {
      const created = await post(coordinator, '/v1/subjects', {
        idNumber: p.idNumber, name: p.name, county: COUNTY, address: p.address, phone: p.phone, consentToShare: true,
        guardian: { name: p.guardianName, phone: p.guardianPhone, relation: '母亲' },
      });
      expect(created.statusCode).toBe(201);
      const subjectId = created.json().id as string;
      // Searches put the ID number and the name in the query string; unmasked reads show everything.
      expect((await app.inject({ url: `/v1/subjects?idNumber=${p.idNumber}`, headers: coordinator.auth })).statusCode).toBe(200);
      expect((await app.inject({ url: `/v1/subjects?name=${encodeURIComponent(p.name)}`, headers: coordinator.auth })).statusCode).toBeLessThan(500);
      expect((await app.inject({ url: `/v1/subjects/${subjectId}?unmask=true`, headers: coordinator.auth })).statusCode).toBe(200);
      // Refused input that carries the person's data: a duplicate registration, a malformed phone.
      expect((await post(coordinator, '/v1/subjects', { idNumber: p.idNumber, name: p.name, county: COUNTY })).statusCode).toBe(409);
      expect((await post(coordinator, '/v1/subjects', { idNumber: uniqueIdNumber(COUNTY), name: p.name, county: COUNTY, phone: `${p.phone}9` })).statusCode).toBe(400);

      const opened = await post(coordinator, '/v1/cases', {
        subjectId, itemCode: item.code, actionCode: action.code,
        answers: { disabilityCategory: 4, disabilityGrade: 1, limitedMobility: true, noCapableCarer: true },
      });
      expect(opened.statusCode).toBe(201);
      const id = opened.json().id as string;
      caseIds.push(id);
      expect((await post(coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id })).statusCode).toBe(200);
      expect((await post(worker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: '2026-12-03T02:00:00Z' })).statusCode).toBe(200);
      const evidence = [];
      for (const req of action.evidence) {
        const { payload, headers } = multipartBody(evidenceFile(req.kinds[0]));
        const res = await app.inject({ method: 'POST', url: `/v1/cases/${id}/evidence`, headers: { ...worker.auth, ...headers }, payload });
        expect(res.statusCode).toBe(201);
        evidence.push({ sha256: res.json().sha256 as string, kind: req.kinds[0] });
      }
      expect((await post(worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence, notes: `已上门为${p.name}办理` })).statusCode).toBe(200);
      expect((await post(reviewer, `/v1/cases/${id}/review`, { decision: 'approve' })).statusCode).toBe(200);
      expect((await post(worker, `/v1/cases/${id}/deliver`, { method: 'express', trackingNumber: 'SF1234567890' })).statusCode).toBe(200);
      const closed = await post(worker, `/v1/cases/${id}/confirm-receipt`, {});
      expect(closed.statusCode).toBe(200);
      expect(closed.json().status.code).toBe('closed');
    }

    // The workflow lines reach the runtime logger through sinks, a moment after the task completes.
    const workerLines = await eventually(async () => {
      const mine = runtimeLogs.records().filter((r) => caseIds.includes(r.caseId as string));
      return mine.some((r) => r.activityType === 'projectCaseEvents') && caseIds.every((id) => mine.some((r) => r.caseId === id && r.msg === 'Workflow completed')) ? mine : undefined;
    });

    const all = [...apiLogs.lines, ...runtimeLogs.lines].join('\n');
    expect(apiLogs.lines.length).toBeGreaterThan(50);
    for (const p of people) {
      for (const value of [p.idNumber, p.idNumber.slice(0, 14), p.phone, p.name, p.address, p.guardianName, p.guardianPhone]) {
        expect(all, `a log line holds ${value}`).not.toContain(value);
      }
    }

    // Every API line carries its request id; those about a case carry the case and its workflow.
    const apiRecords = apiLogs.records();
    expect(apiRecords.filter((r) => typeof r.requestId !== 'string')).toEqual([]);
    const caseLines = apiRecords.filter((r) => r.caseId === caseIds[0]);
    expect(caseLines.length).toBeGreaterThan(0);
    expect(caseLines.every((r) => r.workflowId === `case-${caseIds[0]}`)).toBe(true);
    // Worker lines about a case carry its case, workflow and run ids (the SDK's own bookkeeping of an
    // activity task, outside the activity, knows the workflow id only).
    const bookkeeping = new Set(['Starting activity', 'Activity resolved']);
    expect(workerLines.filter((r) => r.workflowId !== `case-${r.caseId}`).map((r) => r.msg)).toEqual([]);
    expect(workerLines.filter((r) => !bookkeeping.has(r.msg as string) && typeof r.runId !== 'string').map((r) => r.msg)).toEqual([]);
    expect(workerLines.some((r) => r.msg === 'Activity completed' && typeof r.runId === 'string')).toBe(true);
  });
});
