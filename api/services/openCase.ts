/**
 * Opening a case: validates the catalog action and the subject, derives the case id from the
 * Idempotency-Key, and starts the case workflow (workflows/caseEngine) with update-with-start. Used by POST /v1/cases and by surveys.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { shanghaiDate } from '../../domain/calendar';
import { effectiveCalendar } from '../../db/queries/calendar';
import { loadPolicy } from '../../db/queries/policy';
import { ruleOf } from '../../domain/policy';
import { CATALOG_VERSION, findAction } from '../../domain/catalog';
import type { Db } from '../../db/client';
import { subjects } from '../../db/schema';
import {
  CASE_WORKFLOW_TYPE, caseStartSearchAttributes, caseWorkflowId, getCaseStateQuery, openedUpdate, type CaseInput, type CaseState,
} from '../../workflows/contract';
import { inScope, type AuthUser } from '../auth';
import { keyReused } from '../idempotency';
import { badRequest, forbidden } from '../problem';
import type { EligibilityAnswers } from '../../domain/eligibility';
import { caseOpeningRefusal } from './casePermissions';
import { decideEligibility, recordEligibilityDecision } from './eligibility';

export interface OpenCaseRequest {
  subjectId: string;
  itemCode: string;
  actionCode: string;
  greenChannel?: boolean;
  notes?: string;
  surveyId?: string;
  /** Eligibility answers given with the request, over the surveyed ones (api/services/eligibility.ts). */
  answers?: EligibilityAnswers;
  /** A coordinator's reason to open despite the item's eligibility rule refusing. */
  override?: { reason: string };
  /** 绿色通道+容缺后补 at 申请受理: the documents missing, and the date they will be supplied by (green channel only). */
  acceptWithMissing?: { missing: string[]; supplementDueDate: string };
}

export interface OpenCaseDeps { db: Db; temporal: Client; taskQueue: string; now: () => Date; ip?: string }

/** The case id for a request: derived from the idempotency key (a retry maps to the same workflow) or fresh. */
export function caseIdFor(scope: string, key: string | undefined): string {
  if (!key) return randomUUID();
  const h = createHash('sha256').update(`case:${scope}:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** sha256 of a canonical JSON body: tells a retried request from a reused key. */
export const requestHash = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * Starts the case workflow. `created` is false when the same idempotency key already started it with
 * the same request (the existing case is returned); a different request under that key is a 409.
 */
export async function openCase(
  deps: OpenCaseDeps,
  user: AuthUser,
  req: OpenCaseRequest,
  idempotencyKey: string | undefined,
  fieldPrefix = 'body',
): Promise<{ created: boolean; state: CaseState }> {
  const found = findAction(req.itemCode, req.actionCode);
  if (!found) {
    throw badRequest('服务事项或办理事项不存在', [{ path: `${fieldPrefix}.actionCode`, message: `${req.itemCode}/${req.actionCode} 不在服务目录中` }]);
  }
  if (found.item.ongoing) {
    throw badRequest('持续性服务事项请通过服务计划办理', [{ path: `${fieldPrefix}.itemCode`, message: `${req.itemCode} 是持续性服务，请使用 /v1/plans` }]);
  }
  const [subject] = await deps.db.select().from(subjects).where(eq(subjects.id, req.subjectId)).limit(1);
  if (!subject || !inScope(user, subject.county)) {
    throw badRequest('服务对象不存在', [{ path: `${fieldPrefix}.subjectId`, message: '服务对象不存在或不在您的权限范围内' }]);
  }
  const refusal = caseOpeningRefusal(user, { department: found.action.implementing, greenChannel: req.greenChannel ?? false });
  if (refusal) throw forbidden(refusal);
  if (req.acceptWithMissing) {
    if (!req.greenChannel) throw badRequest('容缺受理须同时开启绿色通道', [{ path: `${fieldPrefix}.acceptWithMissing`, message: '容缺受理须同时开启绿色通道（方案：“绿色通道+容缺后补”）' }]);
    if (req.acceptWithMissing.supplementDueDate < shanghaiDate(deps.now())) {
      throw badRequest('补交期限不能早于今天', [{ path: `${fieldPrefix}.acceptWithMissing.supplementDueDate`, message: '补交期限不能早于今天' }]);
    }
  }
  // One eligibility rule per item, the same for every path that opens a case (409 when refused).
  const decision = await decideEligibility(deps.db, user, subject, found.item.label, {
    itemCode: found.item.code, on: shanghaiDate(deps.now()),
    ...(req.answers ? { answers: req.answers } : {}), ...(req.override ? { override: req.override } : {}), ...(req.surveyId ? { surveyId: req.surveyId } : {}),
  });
  const recordDecision = (state: CaseState) => recordEligibilityDecision(deps.db, user, decision, {
    kind: 'case', id: state.input.caseId, subjectId: subject.id, itemCode: found.item.code, county: subject.county,
    department: found.action.implementing, at: new Date(state.input.openedAt), ...(deps.ip ? { ip: deps.ip } : {}),
  });
  const caseId = caseIdFor(user.id, idempotencyKey);
  const stepDeadlines = ruleOf(await loadPolicy(deps.db), 'deadlines.steps');
  const hash = requestHash({ ...req, greenChannel: req.greenChannel ?? false });
  const input: CaseInput = {
    caseId,
    subjectId: subject.id,
    itemCode: found.item.code,
    actionCode: found.action.code,
    county: subject.county,
    department: found.action.implementing,
    catalogVersion: CATALOG_VERSION,
    greenChannel: req.greenChannel ?? false,
    openedAt: deps.now().toISOString(),
    openedBy: user.id,
    requestHash: hash,
    // The holiday table in force (the code's, with the years admins entered) travels with the case (see CaseInput.calendar).
    calendar: await effectiveCalendar(deps.db),
    // So does the step-deadline rule: a passed deadline escalates only while it is enforced (later versions come by signal).
    stepDeadlines: { version: stepDeadlines.version, enforced: stepDeadlines.enforced },
    ...(req.acceptWithMissing ? { acceptWithMissing: { missing: req.acceptWithMissing.missing, supplementDueDate: req.acceptWithMissing.supplementDueDate } } : {}),
    ...(req.surveyId ? { surveyId: req.surveyId } : {}),
    ...(req.notes ? { notes: req.notes } : {}),
  };
  // One round trip: start the workflow and wait for its opening to be in the read model (so a list
  // read right after shows the case). A retry under the same key finds the workflow already started.
  const start = new WithStartWorkflowOperation(CASE_WORKFLOW_TYPE, {
    taskQueue: deps.taskQueue,
    workflowId: caseWorkflowId(caseId),
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: caseStartSearchAttributes(input),
  });
  try {
    const state = await deps.temporal.workflow.executeUpdateWithStart(openedUpdate, { startWorkflowOperation: start });
    await recordDecision(state);
    return { created: true, state };
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
  const existing = await deps.temporal.workflow.getHandle(caseWorkflowId(caseId)).query(getCaseStateQuery);
  if (existing.input.requestHash !== hash) {
    throw keyReused({ method: 'POST', path: '/v1/cases', createdAt: new Date(existing.input.openedAt) });
  }
  await recordDecision(existing);
  return { created: false, state: existing };
}
