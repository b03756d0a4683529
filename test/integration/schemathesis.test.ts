/**
 * schemathesis (an OpenAPI fuzzer we did not write, installed by bin/setup) against the real stack:
 * API on a real port, a worker, PostgreSQL and the Temporal dev server. It reads the OpenAPI document
 * the API serves and sends what it generates from it, once as each role (one token per role), and
 * fails on any 5xx (not_a_server_error) and, where a route declares a response schema for the status
 * it answered, on a body that breaks it (response_schema_conformance).
 *
 * The fuzzer's stack has raised limits (auth failures, rate, unmask quota, ID searches), set through
 * config like any deployment would: the security code paths stay on, they just do not answer 429 to a
 * fuzzer that sends hundreds of requests a minute.
 *
 * Bounded in time: SCHEMATHESIS_EXAMPLES (default 6) test cases per operation and phase, one worker,
 * phases examples and fuzzing, no Hypothesis deadline (schemathesis 4 sets none), a fixed seed
 * (SCHEMATHESIS_SEED) so that a failure reproduces. Signing out (DELETE /v1/me/token) runs apart, last.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { cases } from '../../db/schema';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../api/auth';
import { shanghaiDate } from '../../domain/calendar';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { evidenceFile, upload } from './casesSupport';

const ST = resolve(import.meta.dirname, '../../.tools/venv/bin/st');
const EXAMPLES = Number(process.env.SCHEMATHESIS_EXAMPLES ?? 6);
const SEED = process.env.SCHEMATHESIS_SEED ?? '20';
/** examples,fuzzing; add coverage (boundary values of every constraint) for a deeper run by hand. */
const PHASES = process.env.SCHEMATHESIS_PHASES ?? 'examples,fuzzing';
/**
 * How long one role's runs may take. The bound is the number of examples (about 40 s a role with the
 * default, on a busy 2-CPU machine); this timeout only stops a run that hangs.
 */
const PER_ROLE_TIMEOUT_MS = Number(process.env.SCHEMATHESIS_ROLE_TIMEOUT_MS ?? 240_000);

let stack: TestStack;
let baseUrl: string;
let dir: string;
let schemaPath: string;
let configPath: string;
let operations: string[];
let doc: OpenApi;
interface OpenApi { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> }
const users = {} as Record<Role, TestUser>;

/** A TOML string (JSON's escapes are TOML's for what we write). */
const toml = (s: string) => JSON.stringify(s);

/**
 * Records the fuzzer can reach: path ids and body fields drawn, half of the time, from these
 * dictionaries (schemathesis.toml), so that steps, views and plan sessions get past 404 to the
 * handlers' own checks; the other half stays random.
 */
async function seed() {
  const today = shanghaiDate(new Date());
  const subjects = await Promise.all([0, 1, 2].map(() => makeSubject(stack.db)));
  const child = await makeSubject(stack.db, { idNumber: uniqueIdNumber('640104', Number(today.slice(0, 4)) - 4) });
  const caseIds: string[] = [];
  for (const s of subjects) {
    const res = await post(users.coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    expect(res.statusCode, res.body).toBe(201);
    caseIds.push(res.json().id);
  }
  const uploaded = await upload(stack, users.coordinator, caseIds[0], evidenceFile('photo'));
  expect(uploaded.statusCode, uploaded.body).toBe(201);
  const plan = await post(users.coordinator, '/v1/plans', {
    subjectId: child.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
    provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today,
  });
  expect(plan.statusCode, plan.body).toBe(201);
  const survey = await post(users.coordinator, '/v1/surveys', {
    subjectId: subjects[2].id, surveyedAt: new Date().toISOString(), answers: { limitedMobility: true, noCapableCarer: true },
    needs: [{ itemCode: 'ADULT_REHAB', actionCode: 'ENROL' }],
  });
  expect(survey.statusCode, survey.body).toBe(201);
  const list = (name: string, values: string[]) => `[dictionaries.${name}]\nvalues = [${values.map(toml).join(', ')}]\n`;
  const bind = (key: string, dictionary: string) => `${toml(key)} = { dictionary = ${toml(dictionary)}, probability = 0.5 }`;
  const operation = (pathRegex: string, key: string, dictionary: string) => `[[operations]]\ninclude-path-regex = ${toml(pathRegex)}\nparameters = { ${bind(key, dictionary)} }\n`;
  return [
    list('subjects', [...subjects, child].map((s) => s.id)),
    list('cases', caseIds),
    list('plans', [plan.json().id]),
    list('surveys', [survey.json().id]),
    list('evidence', [uploaded.json().sha256]),
    list('idNumbers', [uniqueIdNumber(), subjects[0].idNumber]),
    list('workers', [users.worker.id]),
    `[parameters]\n${[bind('body.subjectId', 'subjects'), bind('body.withSubjectId', 'subjects'), bind('body.householdWithSubjectId', 'subjects'), bind('body.idNumber', 'idNumbers'), bind('query.idNumber', 'idNumbers'), bind('body.assignee', 'workers'), bind('body.evidence[*].sha256', 'evidence')].join('\n')}\n`,
    operation('^/v1/subjects/\\{id\\}', 'path.id', 'subjects'),
    operation('^/v1/cases/\\{id\\}', 'path.id', 'cases'),
    operation('^/v1/cases/\\{id\\}/evidence/\\{sha256\\}', 'path.sha256', 'evidence'),
    operation('^/v1/plans/\\{id\\}', 'path.id', 'plans'),
    operation('^/v1/surveys/\\{id\\}', 'path.id', 'surveys'),
  ].join('\n');
}

let own: Awaited<ReturnType<typeof ownDatabase>> | undefined;

beforeAll(async () => {
  // A database of its own: as admin the fuzzer changes roles, disables users and signs them out, and as
  // coordinator it shares ledger months — none of which may reach another test file's data.
  own = await ownDatabase();
  stack = await startStack({
    DATABASE_URL: own.url,
    RATE_LIMIT_PER_MINUTE: 1_000_000, AUTH_FAILURES_PER_MINUTE: 1_000_000, UNMASK_QUOTA_PER_DAY: 1_000_000, ID_SEARCH_PER_HOUR: 1_000_000,
  });
  for (const role of ROLES) users[role] = await makeUser(stack.db, role, { cityLevel: true });
  const config = await seed();
  baseUrl = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  doc = await (await fetch(`${baseUrl}/docs/json`)).json() as OpenApi;
  operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item)
    .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
  dir = mkdtempSync(join(tmpdir(), 'schemathesis-'));
  schemaPath = join(dir, 'openapi.json');
  writeFileSync(schemaPath, JSON.stringify(doc));
  configPath = join(dir, 'schemathesis.toml');
  writeFileSync(configPath, config);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await own?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (user: TestUser, url: string, payload: object) => stack.app.inject({ method: 'POST', url, headers: user.auth, payload });

interface Run { code: number | null; output: string; tested: Set<string>; failed: string[] }

/** Signing out revokes the token the run uses: it runs on its own, last, with a token of its own. */
const SIGN_OUT = 'DELETE /v1/me/token';

/** One schemathesis run as `user`, asynchronously (the API answering it lives in this process). */
function runAs(user: TestUser, name: string, filter: string[], schema = schemaPath): Promise<Run> {
  const reportDir = join(dir, name);
  const args = [
    '--config-file', configPath, 'run', schema, '--url', baseUrl, ...filter,
    '--header', `Authorization: ${user.auth.authorization}`,
    '--checks', 'not_a_server_error,response_schema_conformance',
    '--phases', PHASES,
    '--max-examples', String(EXAMPLES), '--workers', '1', '--seed', SEED,
    '--request-timeout', '10', '--generation-with-security-parameters', 'false',
    '--generation-database', 'none', '--no-color', '--output-truncate', 'false',
    '--report', 'junit', '--report-junit-path', join(reportDir, 'junit.xml'),
  ];
  return new Promise((done, fail) => {
    const child = spawn(ST, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    // A run that hangs is stopped before the test's timeout, so that no fuzzer outlives the test.
    const stop = setTimeout(() => child.kill('SIGKILL'), PER_ROLE_TIMEOUT_MS - 15_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(stop);
      const junit = existsSync(join(reportDir, 'junit.xml')) ? readFileSync(join(reportDir, 'junit.xml'), 'utf8') : '';
      const tested = new Set<string>();
      const failed: string[] = [];
      for (const m of junit.matchAll(/<testcase\b[^>]*\bname="([^"]+)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
        const body = m[3] ?? '';
        if (!/<skipped\b/.test(body)) tested.add(m[1].replace(/&#x2F;|&#47;/g, '/'));
        if (/<(failure|error)\b/.test(body)) failed.push(m[1]);
      }
      done({ code, output, tested, failed });
    });
  });
}

describe('schemathesis against the real stack, as every role', () => {
  it('the API serves its OpenAPI document, with every /v1 and codec route', () => {
    expect(existsSync(ST), `${ST} is missing: run bash bin/setup`).toBe(true);
    expect(operations.length).toBeGreaterThan(30);
  });

  for (const role of ROLES) {
    it(`as ${role}: no 5xx, no response breaking its declared schema, every operation tested`, { timeout: PER_ROLE_TIMEOUT_MS }, async () => {
      const run = await runAs(users[role], role, ['--exclude-name', SIGN_OUT]);
      console.log(`schemathesis as ${role}: exit ${run.code}, ${run.tested.size}/${operations.length} operations tested\n${run.output.split('\n').slice(-40).join('\n')}`);
      expect(run.failed, run.output.slice(-20_000)).toEqual([]);
      expect(run.code, run.output.slice(-20_000)).toBe(0);
      // The token stayed valid all along, so every answer came from behind authentication.
      expect((await stack.app.inject({ url: '/v1/me', headers: users[role].auth })).statusCode).toBe(200);
      const signOut = await runAs(await makeUser(stack.db, role, { cityLevel: true }), `${role}-sign-out`, ['--include-name', SIGN_OUT]);
      expect(signOut.failed, signOut.output.slice(-20_000)).toEqual([]);
      expect(signOut.code, signOut.output.slice(-20_000)).toBe(0);
      expect(operations.filter((op) => !run.tested.has(op) && !signOut.tested.has(op))).toEqual([]);
    });
  }
});

describe('the response schema check', () => {
  /** The served document with GET /v1/me declaring this 200 body, in a file of its own. */
  const withMeSchema = (name: string, schema: object) => {
    const copy = structuredClone(doc);
    copy.paths['/v1/me'].get.responses = { 200: { description: 'me', content: { 'application/json': { schema } } } };
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(copy));
    return path;
  };
  const me = (codes: readonly string[]) => ({
    type: 'object', required: ['id', 'role'],
    properties: { role: { type: 'object', required: ['code', 'label'], properties: { code: { enum: codes } } } },
  });

  it('fails a run whose response breaks the schema its route declares, and passes one that keeps it', { timeout: 120_000 }, async () => {
    // A user of its own: the admin's fuzz run above may have disabled or signed out the seeded ones.
    const reviewer = await makeUser(stack.db, 'reviewer', { cityLevel: true });
    const broken = await runAs(reviewer, 'schema-broken', ['--include-name', 'GET /v1/me'], withMeSchema('broken', me(['nobody'])));
    expect(broken.code).not.toBe(0);
    expect(broken.failed).toEqual(['GET /v1/me']);
    expect(broken.output).toContain('Response violates schema');
    const kept = await runAs(reviewer, 'schema-kept', ['--include-name', 'GET /v1/me'], withMeSchema('kept', me(ROLES)));
    expect(kept.code, kept.output.slice(-5000)).toBe(0);
    expect([...kept.tested]).toEqual(['GET /v1/me']);
  });
});

describe('what schemathesis found, each fixed', () => {
  it('a step on a case whose read-model row has no running workflow (generated, or its workflow gone) is a 409 with the reason, not a 500', async () => {
    const coordinator = await makeUser(stack.db, 'coordinator', { cityLevel: true });
    const subject = await makeSubject(stack.db);
    const opened = await post(coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    expect(opened.statusCode).toBe(201);
    const [row] = await stack.db.select().from(cases).where(eq(cases.id, opened.json().id));
    const orphan = randomUUID();
    const st = row.state as { input: Record<string, unknown> };
    await stack.db.insert(cases).values({ ...row, id: orphan, state: { ...st, input: { ...st.input, caseId: orphan } } });
    const noWorkflow = await post(coordinator, `/v1/cases/${orphan}/deliver`, { method: 'electronic', trackingNumber: 'SF12345678' });
    expect(noWorkflow.statusCode, noWorkflow.body).toBe(409);
    expect(noWorkflow.json().detail).toContain('办理流程已不存在');
    const bare = randomUUID();
    await stack.db.insert(cases).values({ ...row, id: bare, state: {} });
    const noState = await post(coordinator, `/v1/cases/${bare}/deliver`, { method: 'electronic', trackingNumber: 'SF12345678' });
    expect(noState.statusCode, noState.body).toBe(409);
    expect(noState.json().detail).toContain('没有办理流程记录');
    const read = await stack.app.inject({ url: `/v1/cases/${bare}`, headers: coordinator.auth });
    expect(read.statusCode, read.body).toBe(409);
  });

  it('a ledger month in year 0000 is a 400 on the month, not a 500', async () => {
    const coordinator = await makeUser(stack.db, 'coordinator', { cityLevel: true }); // the fuzz may have disabled the seeded one
    const share = await post(coordinator, '/v1/ledger/share', { county: '640104', department: 'DPF', month: '0000-01' });
    expect(share.statusCode, share.body).toBe(400);
    expect(share.json().errors[0].path).toBe('body.month');
    const view = await stack.app.inject({ url: '/v1/ledger?county=640104&department=DPF&month=0000-01', headers: coordinator.auth });
    expect(view.statusCode, view.body).toBe(400);
    expect((await post(coordinator, '/v1/ledger/share', { county: '640104', department: 'DPF', month: '2025-01' })).statusCode).toBe(201);
  });
});
