/**
 * caseEngine: the serviceCase story (DOMAIN.md "The life of a case"; workflows/serviceCase.ts tells it
 * top to bottom) rebuilt so that every transition is atomic under concurrent use. New cases start this
 * type; `serviceCase` stays registered, frozen, for the cases opened before it (same updates, same query).
 *
 *   opened → assignment → visit → review → delivery (when a certificate is issued) → ledger → closed;
 *   at any open step: cancel, hold / resume, green channel.
 *
 * How a transition runs (the design of issue #11):
 * - Validate, then apply, with no await in between. An update's validator checks the step is allowed
 *   (domain/caseFlow whyNot, plus the step's own rules: evidence, dates, delivery methods, "only the
 *   assigned worker"); the handler checks it again — another update may have applied since — and applies
 *   the transition synchronously: it mutates the state and appends its events (the next seq numbers) in
 *   one go. A refusal is an ApplicationFailure: a rejected update (the API answers 409), never a failed
 *   workflow task. A transition that throws anything else is rolled back and rejected too.
 * - Projection: the events not yet projected, with the state that follows them, go to PostgreSQL in one
 *   local activity per batch (activities/projection projectCaseEvents: one transaction, authoritative
 *   from its first seq on, so a batch of a task that was never committed is overwritten by the one that is). One batch at a time, in seq order (`writing`):
 *   the update handler that made the events writes them itself when no batch is in flight (so the
 *   write is part of its request's trace), else waits and writes what is left; a background writer
 *   (`flush`) projects what deadlines, the ledger and signals append. Events appended while a batch is
 *   in flight go in the next one. Retries back off without end while the database is down; an update
 *   answers once its last seq is projected (the API gives up with a 503 after its deadline).
 * - The ledger step is the one transition that needs the database first. The transition that lets it
 *   run (reaching it, the last supplement, a resume) reserves it in the same synchronous step; the main
 *   loop then waits for the projection, writes the ledger row (an activity) and applies "ledger
 *   shared + closed". While it is reserved, cancel / hold / green channel are refused with a reason
 *   (they would race the closing), and the update that reserved it answers once the case has closed.
 * - The main loop keeps time: it races the next deadline against any change and turns a passed deadline
 *   into overdue + escalation events (rules in domain/caseFlow.ts).
 *
 * Versioning: any later change to this file's logic must be guarded with `patched('<change-id>')` so
 * that recorded histories (test/workflows/histories/) still replay. The changes so far:
 * - {@link ACCEPT_WITH_MISSING} (issue 15): a green-channel case opened with documents missing
 *   (绿色通道+容缺后补 at 申请受理) starts with its supplement running.
 * - {@link STEP_DEADLINE_POLICY} (issue 15): step deadlines are a local rule (policy `deadlines.steps`);
 *   a passed one is recorded (overdue, shown as advisory) but escalates only while an admin enforces
 *   the rule. Histories recorded before replay as they ran (every passed deadline escalated); a case
 *   that was running before the change follows the rule from its next deadline on.
 */
import {
  allHandlersFinished, ApplicationFailure, condition, currentUpdateInfo, log, patched, proxyActivities, proxyLocalActivities, setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { createActivities } from '../activities';
import { HOLIDAY_CALENDAR, isDateString, shanghaiDate, type HolidayYear } from '../domain/calendar';
import { missingEvidence } from '../domain/catalog';
import type { CaseEventType, CaseStatus, CaseStep, StepKind } from '../domain/vocabulary';
import {
  CASE_ACTION_LABELS, caseAction, escalationTarget, FAILED_VISITS_TO_ESCALATE, level2At, nextStep, stepDef, stepDueAt, stepOrder,
  stepWorkingDays, supplementDueAt, whyNot, workingMsBetween, type CaseAction, type EscalationReason,
} from '../domain/caseFlow';
import {
  assignUpdate, cancelCaseUpdate, confirmReceiptUpdate, deliverUpdate, getCaseStateQuery, greenChannelUpdate, holdUpdate, NOT_ASSIGNEE,
  openedUpdate, resumeUpdate, reviewUpdate, SA, scheduleVisitUpdate, setCalendarSignal, setPolicySignal, STEP_NOT_ALLOWED, supplementUpdate,
  visitReportUpdate, type CaseEvent, type CaseInput, type CaseState, type EvidenceRef, type StepActor, type Supplement, type Visit,
} from './contract';

type Activities = ReturnType<typeof createActivities>;

/**
 * The projection is a local activity: it runs inside the workflow task that made the events, so an
 * update answers after one workflow task and one transaction, not after an activity's round trips
 * through the server. A local activity may run in a task that is never committed (a worker dying
 * mid-task, a task retried); the committed task then writes the same seqs again, and each batch is
 * authoritative from its first seq on (activities/projection.ts), so the read model ends as the
 * history says. Retried with backoff for as long as PostgreSQL is down (the SDK keeps the task alive
 * with timers past the local retry threshold). The ledger row stays a regular activity: it is written
 * once, in its own step, after the case row is projected.
 */
const { projectCaseEvents } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const { writeCaseLedgerEntry } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Patch: a green-channel case opened with documents missing starts with its supplement (容缺后补 at 申请受理). */
export const ACCEPT_WITH_MISSING = 'accept-with-missing-at-opening';
/** Patch: a passed step deadline escalates only while the step-deadline rule is enforced. */
export const STEP_DEADLINE_POLICY = 'step-deadline-policy';

/** A step not allowed now: the update fails with this reason and the API answers 409. */
function notAllowed(reason: string): ApplicationFailure {
  return ApplicationFailure.create({ message: reason, type: STEP_NOT_ALLOWED, nonRetryable: true });
}

/** The steps only the assigned worker (or a coordinator) may take. */
const ASSIGNEE_ONLY: ReadonlySet<CaseAction> = new Set(['schedule_visit', 'visit_report', 'supplement', 'deliver', 'confirm_receipt']);
/** The steps that would race the ledger's closing while its row is being written. */
const NOT_WHILE_LEDGER: ReadonlySet<CaseAction> = new Set(['cancel', 'hold', 'green_channel']);

export async function caseEngine(input: CaseInput): Promise<CaseState> {
  const found = caseAction(input.catalogVersion, input.itemCode, input.actionCode);
  if (!found) {
    throw ApplicationFailure.nonRetryable(
      `catalog ${input.catalogVersion} has no action ${input.itemCode}/${input.actionCode}`, 'UnknownCatalogAction',
    );
  }
  const action = found;
  let calendar: readonly HolidayYear[] = input.calendar ?? HOLIDAY_CALENDAR;
  const now = (): Date => new Date(); // workflow time
  const first = action.steps[0];

  const state: CaseState = {
    input,
    status: 'open',
    step: first.kind,
    steps: stepOrder(action),
    greenChannel: input.greenChannel,
    onHold: false,
    overdue: false,
    escalationLevel: 0,
    stepStartedAt: now().toISOString(),
    stepWorkingDays: stepWorkingDays(first, input.greenChannel),
    stepHeldWorkingMs: 0,
    stepEscalationLevel: 0,
    holds: [],
    visits: [],
    failedVisits: 0,
    evidence: [],
    reviews: [],
    escalations: [],
    ...(input.stepDeadlines ? { stepDeadlines: { ...input.stepDeadlines } } : {}),
    lateSteps: [],
    events: [],
  };
  /**
   * The engine's own bookkeeping (rolled back with the state when a transition fails). `stepLevel1At`:
   * when the current step escalated to level 1 (level 2 follows three working days after it, or after
   * the deadline in histories recorded before {@link STEP_DEADLINE_POLICY}).
   */
  let inner: { version: number; stepOverdue: boolean; ledgerWriting: boolean; stepLevel1At?: number } = { version: 0, stepOverdue: false, ledgerWriting: false };
  /** The highest seq written to PostgreSQL, and whether a batch is being written now. */
  let projectedSeq = 0;
  let writing = false;

  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  const snapshot = (): CaseState => clone(state);
  const supplementOutstanding = (): boolean => state.supplement !== undefined && state.supplement.status !== 'supplied';

  /**
   * Runs one transition synchronously. Anything it throws undoes it: the state and the bookkeeping go
   * back to what they were, and the caller gets a rejection (a refusal keeps its reason; a bug becomes
   * a generic one), so no input can fail the workflow task.
   */
  function transact(apply: () => void): void {
    const before = { state: clone(state), inner: { ...inner }, calendar };
    try {
      apply();
      // A transition that lets the ledger step run reserves it at once: from here on nothing can race its closing.
      if (ledgerDue()) inner.ledgerWriting = true;
      upsertAttributes();
    } catch (e) {
      for (const k of Object.keys(state)) delete (state as unknown as Record<string, unknown>)[k];
      Object.assign(state, before.state);
      inner = before.inner;
      calendar = before.calendar;
      if (e instanceof ApplicationFailure) throw e;
      log.error('case transition failed and was rolled back', { caseId: input.caseId, error: (e as Error).message });
      throw ApplicationFailure.create({ message: '案件状态处理失败，操作未生效，请联系管理员', type: 'TransitionFailed', nonRetryable: true });
    }
  }

  /** Overdue and escalation level are derived from the step's and the supplement's own. */
  function refreshFlags(): void {
    const open = state.status === 'open';
    state.overdue = open && (inner.stepOverdue || state.supplement?.status === 'overdue');
    state.escalationLevel = open ? Math.max(state.stepEscalationLevel, supplementOutstanding() ? state.supplement!.escalationLevel : 0) : 0;
    state.supplementDueAt = open && supplementOutstanding() ? state.supplement!.dueAt : undefined;
  }

  /** The current step's deadline; none once ended, and none while the ledger waits for a supplement. */
  function recomputeDue(): void {
    if (state.status !== 'open' || state.step === 'done' || (state.step === 'ledger' && supplementOutstanding())) {
      state.dueAt = undefined;
      return;
    }
    state.dueAt = stepDueAt({
      startedAt: new Date(state.stepStartedAt), workingDays: state.stepWorkingDays, heldWorkingMs: state.stepHeldWorkingMs,
    }, calendar).toISOString();
  }

  /** Keeps the search attributes current (codes and times only: no personal data). */
  function upsertAttributes(): void {
    upsertSearchAttributes([
      { key: SA.step, value: state.step },
      { key: SA.dueAt, value: state.dueAt ? new Date(state.dueAt) : null },
      { key: SA.overdue, value: state.overdue },
      { key: SA.greenChannel, value: state.greenChannel },
    ]);
  }

  /** Appends an event (the next seq) to the state; `flush` projects it. */
  function emit(type: CaseEventType, actor: string | undefined, data: Record<string, unknown> = {}): void {
    refreshFlags();
    const updateId = currentUpdateInfo()?.id;
    const event: CaseEvent = {
      seq: state.events.length + 1, type, at: now().toISOString(), step: state.step,
      ...(actor ? { actor } : {}),
      data: updateId ? { ...data, updateId } : data,
    };
    state.events.push(event);
    inner.version++;
  }

  /** Refuses `what` unless the case allows it now and the acting user may take it. */
  function permit(what: CaseAction, req: StepActor): void {
    if (ASSIGNEE_ONLY.has(what) && req.actorRole === 'worker' && state.assignee !== req.actor) {
      throw ApplicationFailure.create({ message: '只有本案经办人可以办理此步骤', type: NOT_ASSIGNEE, nonRetryable: true });
    }
    if (inner.ledgerWriting && NOT_WHILE_LEDGER.has(what)) throw notAllowed(`案件正在写入台账，不能${CASE_ACTION_LABELS[what]}`);
    const why = whyNot(what, {
      status: state.status, step: state.step, onHold: state.onHold, greenChannel: state.greenChannel, assignee: state.assignee,
      awaitingReceipt: state.delivery !== undefined && state.delivery.receivedAt === undefined,
      supplementOutstanding: supplementOutstanding(),
    });
    if (why) throw notAllowed(why);
  }

  /** Starts a step: its clock, its deadline (the ledger step is then run by the main loop). */
  function enterStep(kind: CaseStep, actor: string | undefined): void {
    if (kind === 'done') {
      close(state.outcome === 'rejected' ? 'rejected' : 'closed', actor, 'closed');
      return;
    }
    state.step = kind;
    state.stepStartedAt = now().toISOString();
    state.stepHeldWorkingMs = 0;
    state.stepEscalationLevel = 0;
    inner.stepOverdue = false;
    inner.stepLevel1At = undefined;
    state.stepWorkingDays = stepWorkingDays(stepDef(action, kind), state.greenChannel);
    if (kind === 'visit') state.delivery = undefined;
    recomputeDue();
    emit('step_started', actor, { step: kind, workingDays: state.stepWorkingDays, dueAt: state.dueAt ?? null });
  }

  /** Leaves the current step: remembers whether it was late. */
  function leaveStep(): void {
    if (inner.stepOverdue && state.step !== 'done' && !state.lateSteps.includes(state.step)) state.lateSteps.push(state.step);
  }

  /** Moves on to the action's next step after the current one. */
  function advance(actor: string | undefined): void {
    leaveStep();
    enterStep(nextStep(action, state.step as StepKind), actor);
  }

  /** Ends the case. */
  function close(status: CaseStatus, actor: string | undefined, type: CaseEventType, data: Record<string, unknown> = {}): void {
    state.status = status;
    state.step = 'done';
    state.closedAt = now().toISOString();
    state.dueAt = undefined;
    state.onHold = false;
    const lastHold = state.holds.at(-1);
    if (lastHold && !lastHold.to) lastHold.to = state.closedAt;
    if (status !== 'cancelled') state.completedOnTime = state.lateSteps.length === 0 && !state.supplement?.late;
    emit(type, actor, { status, ...data });
  }

  /** Records an escalation (each one is an event a supervisor sees). */
  function escalate(level: 1 | 2, reason: EscalationReason, extra: Record<string, unknown> = {}): void {
    const target = escalationTarget(level, input.county, input.department);
    state.escalations.push({ level, reason, step: state.step, at: now().toISOString(), target });
    emit('escalated', undefined, { level, reason, target, ...extra });
  }

  /**
   * Whether a passed step deadline escalates now. Step deadlines are a local rule (the plan sets
   * none): only while an admin enforces it. Histories recorded before the rule travelled with cases
   * replay as they ran (every passed deadline escalated).
   */
  function stepDeadlinesEscalate(): boolean {
    if (!patched(STEP_DEADLINE_POLICY)) return true;
    return state.stepDeadlines?.enforced === true;
  }

  /** What an overdue or escalated event says of the step-deadline rule (for the read side to tell official from advisory). */
  const ruleData = (): Record<string, unknown> => ({
    rule: { key: 'deadlines.steps', version: state.stepDeadlines?.version ?? 0, enforced: state.stepDeadlines?.enforced === true },
  });

  /** Adds evidence to the case's list (each file once). */
  function addEvidence(evidence: EvidenceRef[]): void {
    for (const e of evidence) {
      if (!state.evidence.some((x) => x.sha256 === e.sha256 && x.kind === e.kind)) state.evidence.push(e);
    }
  }

  /** The visit currently being arranged (scheduled, not yet reported), if any. */
  const openVisit = (): Visit | undefined => state.visits.find((v) => v.outcome === undefined);

  /** The ledger step can write its row now (and nobody has reserved it yet). */
  const ledgerDue = (): boolean => state.status === 'open' && state.step === 'ledger' && !state.onHold && !supplementOutstanding()
    && !inner.ledgerWriting && state.ledger === undefined;

  /** Resolves once every event up to `seq` is in PostgreSQL. */
  const projected = (seq: number): Promise<void> => condition(() => projectedSeq >= seq);

  /**
   * A human step as an update: `check` (the step's own rules) runs in the validator and again, with the
   * permission rules, right before `apply`, with no await in between. The answer waits for the
   * transition's projection — and, when the step reached the ledger, for the case to close.
   */
  function step<R extends StepActor>(what: CaseAction, check: (req: R) => void, apply: (req: R) => void) {
    return {
      handler: async (req: R): Promise<CaseState> => {
        transact(() => {
          permit(what, req);
          check(req);
          apply(req);
        });
        let answer = snapshot();
        // Write this transition's events now, from the handler (so the write belongs to the request's trace),
        // or after the batch already in flight.
        await projectThrough(answer.events.length);
        if (inner.ledgerWriting) {
          await condition(() => !inner.ledgerWriting);
          answer = snapshot();
        }
        await projected(answer.events.length);
        return answer;
      },
      validator: (req: R): void => {
        permit(what, req);
        check(req);
      },
    };
  }

  /** Registers a step's update. */
  function onStep<R extends StepActor>(
    def: UpdateDefinition<CaseState, [R]>, what: CaseAction, check: (req: R) => void, apply: (req: R) => void,
  ): void {
    const { handler, validator } = step(what, check, apply);
    setHandler(def, handler, { validator });
  }

  // ---- queries and signals ----
  setHandler(getCaseStateQuery, () => state);
  setHandler(setCalendarSignal, ({ calendar: next }) => {
    try {
      transact(() => {
        calendar = next;
        recomputeDue();
        emit('calendar_updated', undefined, { sources: next.map((y) => y.source), dueAt: state.dueAt ?? null });
      });
    } catch (e) {
      log.warn('calendar update ignored', { caseId: input.caseId, error: (e as Error).message });
    }
  });
  setHandler(setPolicySignal, ({ stepDeadlines: next }) => {
    try {
      transact(() => {
        if (typeof next?.version !== 'number' || typeof next.enforced !== 'boolean') throw notAllowed('规则数据无效');
        // Sent to every running case at each change (and again when a broadcast is repeated): an older or the same version changes nothing.
        if (next.version <= (state.stepDeadlines?.version ?? -1)) return;
        state.stepDeadlines = { version: next.version, enforced: next.enforced };
        emit('policy_updated', undefined, { key: 'deadlines.steps', version: next.version, enforced: next.enforced });
      });
    } catch (e) {
      log.warn('policy update ignored', { caseId: input.caseId, error: (e as Error).message });
    }
  });
  setHandler(openedUpdate, async () => {
    await projected(1);
    return snapshot();
  });

  // ---- the human steps ----
  onStep(assignUpdate, 'assign', ({ assignee }) => {
    if (!assignee) throw notAllowed('必须指定工作人员');
    if (assignee === state.assignee) throw notAllowed('该工作人员已是本案经办人');
  }, ({ actor, assignee, note }) => {
    const previous = state.assignee;
    state.assignee = assignee;
    emit(previous ? 'reassigned' : 'assigned', actor, { assignee, previous: previous ?? null, note: note ?? null });
    if (state.step === 'assignment') advance(actor);
  });

  onStep(scheduleVisitUpdate, 'schedule_visit', ({ scheduledAt }) => {
    if (Number.isNaN(Date.parse(scheduledAt))) throw notAllowed('预约时间无效');
  }, ({ actor, scheduledAt, note }) => {
    let visit = openVisit();
    const rescheduled = visit?.scheduledAt !== undefined;
    if (!visit) {
      visit = { n: state.visits.length + 1, evidence: [] };
      state.visits.push(visit);
    }
    visit.scheduledAt = new Date(scheduledAt).toISOString();
    visit.scheduledBy = actor;
    emit(rescheduled ? 'visit_rescheduled' : 'visit_scheduled', actor, { visit: visit.n, scheduledAt: visit.scheduledAt, note: note ?? null });
  });

  onStep(visitReportUpdate, 'visit_report', ({ outcome, evidence }) => {
    if (outcome === 'done') {
      const missing = missingEvidence(action, evidence.map((e: EvidenceRef) => e.kind));
      if (missing.length > 0) throw notAllowed(`缺少佐证材料：${missing.map((m) => m.label).join('、')}`);
    }
  }, ({ actor, outcome, evidence, notes }) => {
    let visit = openVisit();
    if (!visit) {
      visit = { n: state.visits.length + 1, evidence: [] };
      state.visits.push(visit);
    }
    const at = now().toISOString();
    Object.assign(visit, { outcome, reportedAt: at, reportedBy: actor, evidence, ...(notes ? { notes } : {}) });
    addEvidence(evidence);
    if (outcome === 'done') {
      state.visitedAt = at;
      emit('visit_done', actor, { visit: visit.n, evidence, notes: notes ?? null });
      advance(actor);
      return;
    }
    state.failedVisits++;
    emit('visit_failed', actor, { visit: visit.n, outcome, failedVisits: state.failedVisits, evidence, notes: notes ?? null });
    if (state.failedVisits % FAILED_VISITS_TO_ESCALATE === 0) {
      const level = Math.min(2, state.failedVisits / FAILED_VISITS_TO_ESCALATE) as 1 | 2;
      state.stepEscalationLevel = Math.max(state.stepEscalationLevel, level);
      escalate(level, 'failed_visits');
    }
  });

  onStep(reviewUpdate, 'review', (req) => {
    if (req.decision === 'approve_with_missing') {
      if (req.missing.length === 0) throw notAllowed('容缺受理须列明后补材料');
      if (!isDateString(req.supplementDueDate)) throw notAllowed('后补期限无效');
      if (req.supplementDueDate < shanghaiDate(now())) throw notAllowed('后补期限不能早于今天');
    }
    if ((req.decision === 'return' || req.decision === 'reject') && !req.reason.trim()) throw notAllowed('须填写原因');
  }, (req) => {
    const at = now().toISOString();
    const { actor } = req;
    state.reviewedAt = at;
    switch (req.decision) {
      case 'approve':
        state.reviews.push({ decision: 'approve', at, by: actor });
        state.outcome = 'approved';
        emit('reviewed', actor, { decision: 'approve', note: req.note ?? null });
        advance(actor);
        break;
      case 'approve_with_missing':
        state.reviews.push({ decision: 'approve_with_missing', at, by: actor, missing: req.missing });
        state.outcome = 'approved_with_missing';
        if (supplementOutstanding()) {
          // Documents accepted missing at 申请受理 are still outstanding (only cases opened so): one list.
          mergeSupplement(state.supplement!, req.missing, req.supplementDueDate);
        } else {
          state.supplement = {
            stage: 'review', missing: req.missing, supplied: [], dueDate: req.supplementDueDate, dueAt: supplementDueAt(req.supplementDueDate).toISOString(),
            status: 'pending', escalationLevel: 0, evidence: [],
          };
        }
        emit('reviewed', actor, {
          decision: 'approve_with_missing', missing: req.missing, supplementDueAt: state.supplement!.dueAt, note: req.note ?? null,
        });
        advance(actor);
        break;
      case 'return':
        state.reviews.push({ decision: 'return', at, by: actor, reason: req.reason });
        emit('returned', actor, { reason: req.reason });
        leaveStep();
        enterStep('visit', actor);
        break;
      case 'reject':
        state.reviews.push({ decision: 'reject', at, by: actor, reason: req.reason });
        state.outcome = 'rejected';
        emit('rejected', actor, { reason: req.reason });
        leaveStep();
        enterStep('ledger', actor);
        break;
    }
  });

  /**
   * Review-time 容缺 while the documents accepted missing at 申请受理 are outstanding: the reviewer's
   * documents join the same list; a later due date covers them all while the first has not passed
   * (once it has, the supplement stays overdue: its lateness and escalations stand).
   */
  function mergeSupplement(s: Supplement, missing: readonly string[], dueDate: string): void {
    for (const m of missing) if (!s.missing.includes(m)) s.missing.push(m);
    if (s.status === 'pending' && dueDate > s.dueDate) {
      s.dueDate = dueDate;
      s.dueAt = supplementDueAt(dueDate).toISOString();
    }
  }

  onStep(supplementUpdate, 'supplement', ({ documents }) => {
    const unknown = documents.filter((d: string) => !state.supplement!.missing.includes(d));
    if (unknown.length > 0) throw notAllowed(`以下材料不在容缺清单中：${unknown.join('、')}`);
  }, ({ actor, documents, evidence }) => {
    const s = state.supplement!;
    for (const d of documents) if (!s.supplied.includes(d)) s.supplied.push(d);
    s.evidence.push(...(evidence ?? []));
    addEvidence(evidence ?? []);
    const complete = s.missing.every((m) => s.supplied.includes(m));
    if (complete) {
      s.late = s.status === 'overdue';
      s.status = 'supplied';
      s.suppliedAt = now().toISOString();
    }
    if (state.step === 'ledger') recomputeDue();
    emit('supplement_supplied', actor, {
      documents, complete, late: complete ? s.late : null, outstanding: s.missing.filter((m) => !s.supplied.includes(m)),
    });
  });

  onStep(deliverUpdate, 'deliver', ({ method, trackingNumber }) => {
    if (!action.deliveryMethods.includes(method)) throw notAllowed(`本事项不支持该送达方式（可选：${action.deliveryMethods.join('、')}）`);
    if (method === 'express' && !trackingNumber) throw notAllowed('快递送达须填写快递单号');
  }, ({ actor, method, trackingNumber }) => {
    const at = now().toISOString();
    const redispatch = state.delivery !== undefined;
    state.delivery = { method, dispatchedAt: at, dispatchedBy: actor, ...(trackingNumber ? { trackingNumber } : {}) };
    emit(redispatch ? 'redispatched' : 'dispatched', actor, { method, trackingNumber: trackingNumber ?? null });
    if (method === 'in_person') {
      // Handed over in person: received on the spot.
      state.delivery.receivedAt = at;
      state.delivery.confirmedBy = actor;
      state.deliveredAt = at;
      emit('received', actor, { method });
      advance(actor);
    }
  });

  onStep(confirmReceiptUpdate, 'confirm_receipt', ({ receivedAt }) => {
    if (receivedAt === undefined) return;
    const t = Date.parse(receivedAt);
    if (Number.isNaN(t)) throw notAllowed('签收时间无效');
    if (t < Date.parse(state.delivery!.dispatchedAt) || t > now().getTime()) throw notAllowed('签收时间须在寄出之后、当前时间之前');
  }, ({ actor, receivedAt, note }) => {
    const at = receivedAt ? new Date(receivedAt).toISOString() : now().toISOString();
    state.delivery!.receivedAt = at;
    state.delivery!.confirmedBy = actor;
    state.deliveredAt = at;
    emit('received', actor, { method: state.delivery!.method, receivedAt: at, note: note ?? null });
    advance(actor);
  });

  onStep(cancelCaseUpdate, 'cancel', () => undefined, ({ actor, reason, detail }) => {
    const atStep = state.step;
    state.outcome = 'cancelled';
    state.cancellation = { reason, ...(detail ? { detail } : {}) };
    close('cancelled', actor, 'cancelled', { reason, detail: detail ?? null, atStep });
  });

  onStep(holdUpdate, 'hold', () => undefined, ({ actor, reason }) => {
    state.onHold = true;
    state.holds.push({ from: now().toISOString(), reason });
    emit('held', actor, { reason });
  });

  onStep(resumeUpdate, 'resume', () => undefined, ({ actor }) => {
    const hold = state.holds.at(-1)!;
    hold.to = now().toISOString();
    hold.workingMs = workingMsBetween(new Date(hold.from), new Date(hold.to), calendar);
    state.stepHeldWorkingMs += hold.workingMs;
    state.onHold = false;
    recomputeDue();
    emit('resumed', actor, { heldWorkingMs: hold.workingMs, dueAt: state.dueAt ?? null });
  });

  onStep(greenChannelUpdate, 'green_channel', () => undefined, ({ actor }) => {
    state.greenChannel = true;
    if (state.step !== 'done') state.stepWorkingDays = stepWorkingDays(stepDef(action, state.step), true);
    recomputeDue();
    emit('green_channel_on', actor, { dueAt: state.dueAt ?? null });
  });

  // ---- the deadlines ----
  /** The current step escalates to `level` for its passed deadline, under the enforced rule (recorded with the event). */
  function escalateStep(level: 1 | 2): void {
    state.stepEscalationLevel = Math.max(state.stepEscalationLevel, level);
    if (level === 1) inner.stepLevel1At = now().getTime();
    escalate(level, 'step_overdue', ruleData());
  }

  /** The next deadline to act on, and the transition that happens when it passes. */
  function nextDeadline(): { at: number; fire: () => void } | undefined {
    const candidates: Array<{ at: number; fire: () => void }> = [];
    if (state.status === 'open' && !state.onHold && state.dueAt) {
      const due = new Date(state.dueAt);
      if (!inner.stepOverdue) {
        candidates.push({
          at: due.getTime(),
          fire: () => {
            inner.stepOverdue = true;
            if (!patched(STEP_DEADLINE_POLICY)) {
              state.stepEscalationLevel = Math.max(state.stepEscalationLevel, 1);
              inner.stepLevel1At = now().getTime();
              emit('overdue', undefined, { dueAt: state.dueAt, workingDays: state.stepWorkingDays });
              escalate(1, 'step_overdue');
              return;
            }
            const escalates = stepDeadlinesEscalate();
            // The deadline passed: recorded either way; escalated only under an enforced rule (else shown as advisory).
            emit('overdue', undefined, { dueAt: state.dueAt, workingDays: state.stepWorkingDays, advisory: !escalates, ...ruleData() });
            if (escalates) escalateStep(1);
          },
        });
      } else if (!patched(STEP_DEADLINE_POLICY)) {
        // As recorded before the step-deadline rule travelled with cases.
        if (state.stepEscalationLevel < 2) {
          candidates.push({
            at: level2At(due, calendar).getTime(),
            fire: () => {
              if (!patched(STEP_DEADLINE_POLICY)) {
                state.stepEscalationLevel = 2;
                escalate(2, 'step_overdue');
              } else if (stepDeadlinesEscalate()) {
                escalateStep(2);
              }
            },
          });
        }
      } else if (stepDeadlinesEscalate()) {
        if (inner.stepLevel1At === undefined) {
          // Passed while the rule was advisory, enforced since: escalates now (level 2 follows from here).
          candidates.push({ at: now().getTime(), fire: () => escalateStep(1) });
        } else if (state.stepEscalationLevel < 2) {
          const from = Math.max(due.getTime(), inner.stepLevel1At);
          candidates.push({ at: level2At(new Date(from), calendar).getTime(), fire: () => { if (stepDeadlinesEscalate()) escalateStep(2); } });
        }
      }
    }
    const s = state.supplement;
    if (state.status === 'open' && s && s.status !== 'supplied') {
      if (s.status === 'pending') {
        candidates.push({
          at: Date.parse(s.dueAt),
          fire: () => {
            s.status = 'overdue';
            s.escalationLevel = 1;
            emit('supplement_overdue', undefined, { dueAt: s.dueAt, outstanding: s.missing.filter((m) => !s.supplied.includes(m)) });
            escalate(1, 'supplement_overdue');
          },
        });
      } else if (s.escalationLevel < 2) {
        candidates.push({
          at: level2At(new Date(s.dueAt), calendar).getTime(),
          fire: () => {
            s.escalationLevel = 2;
            escalate(2, 'supplement_overdue');
          },
        });
      }
    }
    return candidates.sort((a, b) => a.at - b.at)[0];
  }

  /** The ledger step (reserved by the transition that let it run): once the case row is projected, write its ledger row, then share it and close. */
  async function runLedger(): Promise<void> {
    await projected(state.events.length);
    const at = now().toISOString();
    const entryId = await writeCaseLedgerEntry({ caseId: input.caseId, at });
    try {
      transact(() => {
        inner.ledgerWriting = false;
        state.ledger = { writtenAt: at, result: entryId };
        emit('ledger_shared', undefined, { entryId, sharedWith: 'DPF' });
        leaveStep();
        close(state.outcome === 'rejected' ? 'rejected' : 'closed', undefined, 'closed');
      });
    } catch {
      // A bug (logged by transact): the case stays at the ledger step, open, for a supervisor to see.
      inner.ledgerWriting = false;
    }
  }

  /**
   * Writes the events not yet projected, with the state after them, as one batch (one activity, one
   * transaction). Only one batch is ever in flight (`writing`), so batches reach PostgreSQL in seq order.
   */
  async function writeBatch(): Promise<void> {
    writing = true;
    const upTo = state.events.length;
    try {
      await projectCaseEvents({ fromSeq: projectedSeq + 1, state: snapshot() });
      projectedSeq = upTo;
    } finally {
      writing = false;
    }
  }

  /** Projects every event up to `seq`: writes the batch itself when none is in flight, else waits for it. */
  async function projectThrough(seq: number): Promise<void> {
    while (projectedSeq < seq) {
      if (writing) await condition(() => !writing);
      else await writeBatch();
    }
  }

  /** The background writer: projects what no handler is writing (deadlines, the ledger, signals), in order. */
  async function flush(): Promise<void> {
    for (;;) {
      await condition(() => !writing && (state.events.length > projectedSeq || state.status !== 'open'));
      if (writing) continue; // a handler took the turn between the wake-up and now
      if (state.events.length <= projectedSeq) return;
      await writeBatch();
    }
  }

  /** Keeps time, and runs the ledger step when it is due. */
  async function keepTime(): Promise<void> {
    while (state.status === 'open') {
      if (inner.ledgerWriting) {
        await runLedger();
        continue;
      }
      const seen = inner.version;
      const next = nextDeadline();
      const changed = () => inner.version !== seen || state.status !== 'open';
      if (!next) {
        await condition(changed);
        continue;
      }
      const wait = next.at - now().getTime();
      if (wait > 0 && (await condition(changed, wait))) continue;
      transact(next.fire);
    }
  }

  /**
   * 绿色通道+容缺后补 at 申请受理: the documents a green-channel case was opened without (the API checked
   * them; anything else is ignored here, so no input can fail the opening).
   */
  function acceptedWithMissing(): CaseInput['acceptWithMissing'] {
    const a = input.acceptWithMissing;
    if (!a || !patched(ACCEPT_WITH_MISSING)) return undefined;
    if (!input.greenChannel || !Array.isArray(a.missing) || a.missing.length === 0 || !isDateString(a.supplementDueDate)) {
      log.warn('acceptWithMissing ignored: not a green-channel case, or no documents / due date', { caseId: input.caseId });
      return undefined;
    }
    return a;
  }

  // ---- the story ----
  upsertSearchAttributes([
    { key: SA.county, value: input.county },
    { key: SA.department, value: input.department },
    { key: SA.item, value: input.itemCode },
  ]);
  transact(() => {
    recomputeDue();
    const accepted = acceptedWithMissing();
    if (accepted) {
      state.supplement = {
        stage: 'acceptance', missing: [...accepted.missing], supplied: [], dueDate: accepted.supplementDueDate,
        dueAt: supplementDueAt(accepted.supplementDueDate).toISOString(), status: 'pending', escalationLevel: 0, evidence: [],
      };
    }
    // The opening event also starts the first step (its data carries the step's deadline).
    emit('opened', input.openedBy, {
      catalogVersion: input.catalogVersion, greenChannel: input.greenChannel, surveyId: input.surveyId ?? null,
      step: state.step, workingDays: state.stepWorkingDays, dueAt: state.dueAt ?? null,
      ...(accepted ? { acceptedWithMissing: accepted.missing, supplementDueAt: state.supplement!.dueAt } : {}),
    });
  });
  await Promise.all([flush(), keepTime()]);
  await condition(() => projectedSeq >= state.events.length && allHandlersFinished());
  return state;
}
