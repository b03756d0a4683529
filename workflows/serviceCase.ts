/**
 * serviceCase: one service item for one person, from assignment to ledger (DOMAIN.md "The life of a
 * case"). The story, top to bottom:
 *
 *   opened → assignment (a department lead assigns a worker)
 *          → visit (schedule / reschedule; report done with evidence, or nobody home / refused)
 *          → review (approve; approve with documents missing 容缺后补; return to the visit; reject)
 *          → delivery (only when the catalog action issues a certificate; dispatch, then receipt)
 *          → ledger (the case's row enters its department's monthly ledger, which is shared with the
 *            same-level DPF; activities/ledger.ts) → closed.
 *   At any open step: cancel, hold / resume (the clock stops), green channel (shorter deadlines).
 *
 * People move the case with updates (validated: a step not allowed now is rejected with a Chinese
 * reason, which the API answers as 409). Each handler applies its transition, records an event and
 * awaits its projection into PostgreSQL before answering, so the read model matches when the HTTP
 * response arrives. The main loop only keeps time: it races the next deadline against any change and
 * turns a passed deadline into overdue + escalation events (rules in domain/caseFlow.ts).
 *
 * Versioning: the action comes from the catalog version in the input and the working-day calendar
 * from the input too, so code or catalog edits never move a running case's deadlines. Any later
 * change to this file's logic must be guarded with `patched('<change-id>')` so that recorded
 * histories (test/workflows/histories/) still replay.
 */
import {
  allHandlersFinished, ApplicationFailure, condition, currentUpdateInfo, proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { HOLIDAY_CALENDAR, isDateString, shanghaiDate, type HolidayYear } from '../domain/calendar';
import { missingEvidence } from '../domain/catalog';
import {
  caseAction, escalationTarget, FAILED_VISITS_TO_ESCALATE, level2At, nextStep, stepDef, stepDueAt, stepOrder, stepWorkingDays,
  supplementDueAt, whyNot, workingMsBetween, type CaseAction, type EscalationReason,
} from '../domain/caseFlow';
import type { CaseEventType, CaseStatus, CaseStep, StepKind } from '../domain/vocabulary';
import {
  assignUpdate, cancelCaseUpdate, openedUpdate, confirmReceiptUpdate, deliverUpdate, getCaseStateQuery, greenChannelUpdate, holdUpdate,
  resumeUpdate, reviewUpdate, SA, scheduleVisitUpdate, setCalendarSignal, STEP_NOT_ALLOWED, supplementUpdate, visitReportUpdate,
  type CaseEvent, type CaseInput, type CaseState, type EvidenceRef, type Visit,
} from './contract';

type Activities = ReturnType<typeof createActivities>;

const { projectCase } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
});
const { writeCaseLedgerEntry } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

/** A step not allowed now: the update fails with this reason and the API answers 409. */
function notAllowed(reason: string): ApplicationFailure {
  return ApplicationFailure.create({ message: reason, type: STEP_NOT_ALLOWED, nonRetryable: true });
}

export async function serviceCase(input: CaseInput): Promise<CaseState> {
  const action = caseAction(input.catalogVersion, input.itemCode, input.actionCode);
  if (!action) {
    throw ApplicationFailure.nonRetryable(
      `catalog ${input.catalogVersion} has no action ${input.itemCode}/${input.actionCode}`, 'UnknownCatalogAction',
    );
  }
  let calendar: readonly HolidayYear[] = input.calendar ?? HOLIDAY_CALENDAR;
  const now = (): Date => new Date(); // workflow time
  const first = action.steps[0];
  const openedAt = now();

  const state: CaseState = {
    input,
    status: 'open',
    step: first.kind,
    steps: stepOrder(action),
    greenChannel: input.greenChannel,
    onHold: false,
    overdue: false,
    escalationLevel: 0,
    stepStartedAt: openedAt.toISOString(),
    stepWorkingDays: stepWorkingDays(first, input.greenChannel),
    stepHeldWorkingMs: 0,
    stepEscalationLevel: 0,
    holds: [],
    visits: [],
    failedVisits: 0,
    evidence: [],
    reviews: [],
    escalations: [],
    lateSteps: [],
    events: [],
  };
  /** Bumped on every recorded event: the main loop re-plans its timer when it changes. */
  let version = 0;
  let stepOverdue = false;
  let ledgerStarted = false;
  let openingProjected = false;

  const snapshot = (): CaseState => JSON.parse(JSON.stringify(state)) as CaseState;
  const supplementOutstanding = (): boolean => state.supplement !== undefined && state.supplement.status !== 'supplied';

  /** Overdue and escalation level are derived from the step's and the supplement's own. */
  function refreshFlags(): void {
    const open = state.status === 'open';
    state.overdue = open && (stepOverdue || state.supplement?.status === 'overdue');
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

  /** Appends an event (the next seq), then projects it with the state that follows it into the read model. */
  async function record(type: CaseEventType, actor: string | undefined, data: Record<string, unknown> = {}): Promise<void> {
    refreshFlags();
    const updateId = currentUpdateInfo()?.id;
    const event: CaseEvent = {
      seq: state.events.length + 1, type, at: now().toISOString(), step: state.step,
      ...(actor ? { actor } : {}),
      data: updateId ? { ...data, updateId } : data,
    };
    state.events.push(event);
    version++;
    upsertAttributes();
    await projectCase({ event, state: snapshot() });
  }

  /** The permission rules' view of the case. */
  function guard(what: CaseAction): void {
    const why = whyNot(what, {
      status: state.status, step: state.step, onHold: state.onHold, greenChannel: state.greenChannel, assignee: state.assignee,
      awaitingReceipt: state.delivery !== undefined && state.delivery.receivedAt === undefined,
      supplementOutstanding: supplementOutstanding(),
    });
    if (why) throw notAllowed(why);
  }

  /** Starts a step: its clock, its deadline; the ledger step runs by itself. */
  async function enterStep(kind: CaseStep, actor: string | undefined): Promise<void> {
    if (kind === 'done') throw new Error('enterStep(done): close() ends a case');
    state.step = kind;
    state.stepStartedAt = now().toISOString();
    state.stepHeldWorkingMs = 0;
    state.stepEscalationLevel = 0;
    stepOverdue = false;
    state.stepWorkingDays = stepWorkingDays(stepDef(action!, kind), state.greenChannel);
    if (kind === 'visit') state.delivery = undefined;
    recomputeDue();
    await record('step_started', actor, { step: kind, workingDays: state.stepWorkingDays, dueAt: state.dueAt ?? null });
    if (kind === 'ledger') await runLedger();
  }

  /** Leaves the current step: remembers whether it was late. */
  function leaveStep(): void {
    if (stepOverdue && state.step !== 'done' && !state.lateSteps.includes(state.step)) state.lateSteps.push(state.step);
  }

  /** Moves on to the action's next step after the current one. */
  async function advance(actor: string | undefined): Promise<void> {
    leaveStep();
    await enterStep(nextStep(action!, state.step as StepKind), actor);
  }

  /** The ledger step: write the case's ledger row (shared with the DPF with its month), then close. Waits while documents are outstanding. */
  async function runLedger(): Promise<void> {
    if (ledgerStarted || state.status !== 'open' || state.onHold || supplementOutstanding()) return;
    ledgerStarted = true;
    const at = now().toISOString();
    const entryId = await writeCaseLedgerEntry({ caseId: input.caseId, at });
    state.ledger = { writtenAt: at, result: entryId };
    await record('ledger_shared', undefined, { entryId, sharedWith: 'DPF' });
    leaveStep();
    await close(state.outcome === 'rejected' ? 'rejected' : 'closed', undefined, 'closed');
  }

  /** Ends the case. */
  async function close(status: CaseStatus, actor: string | undefined, type: CaseEventType, data: Record<string, unknown> = {}): Promise<void> {
    state.status = status;
    state.step = 'done';
    state.closedAt = now().toISOString();
    state.dueAt = undefined;
    state.onHold = false;
    const lastHold = state.holds.at(-1);
    if (lastHold && !lastHold.to) lastHold.to = state.closedAt;
    if (status !== 'cancelled') state.completedOnTime = state.lateSteps.length === 0 && !state.supplement?.late;
    await record(type, actor, { status, ...data });
  }

  /** Records an escalation (each one is an event a supervisor sees). */
  async function escalate(level: 1 | 2, reason: EscalationReason): Promise<void> {
    const target = escalationTarget(level, input.county, input.department);
    state.escalations.push({ level, reason, step: state.step, at: now().toISOString(), target });
    await record('escalated', undefined, { level, reason, target });
  }

  /** The visit currently being arranged (scheduled, not yet reported), if any. */
  const openVisit = (): Visit | undefined => state.visits.find((v) => v.outcome === undefined);

  // ---- queries and signals ----
  setHandler(getCaseStateQuery, () => state);
  setHandler(setCalendarSignal, async ({ calendar: next }) => {
    calendar = next;
    recomputeDue();
    await record('calendar_updated', undefined, { sources: next.map((y) => y.source), dueAt: state.dueAt ?? null });
  });

  setHandler(openedUpdate, async () => {
    await condition(() => openingProjected);
    return snapshot();
  });

  // ---- the human steps ----
  setHandler(assignUpdate, async ({ actor, assignee, note }) => {
    guard('assign');
    const previous = state.assignee;
    state.assignee = assignee;
    await record(previous ? 'reassigned' : 'assigned', actor, { assignee, previous: previous ?? null, note: note ?? null });
    if (state.step === 'assignment') await advance(actor);
    return snapshot();
  }, {
    validator: ({ assignee }) => {
      guard('assign');
      if (!assignee) throw notAllowed('必须指定工作人员');
      if (assignee === state.assignee) throw notAllowed('该工作人员已是本案经办人');
    },
  });

  setHandler(scheduleVisitUpdate, async ({ actor, scheduledAt, note }) => {
    guard('schedule_visit');
    let visit = openVisit();
    const rescheduled = visit?.scheduledAt !== undefined;
    if (!visit) {
      visit = { n: state.visits.length + 1, evidence: [] };
      state.visits.push(visit);
    }
    visit.scheduledAt = new Date(scheduledAt).toISOString();
    visit.scheduledBy = actor;
    await record(rescheduled ? 'visit_rescheduled' : 'visit_scheduled', actor, { visit: visit.n, scheduledAt: visit.scheduledAt, note: note ?? null });
    return snapshot();
  }, {
    validator: ({ scheduledAt }) => {
      guard('schedule_visit');
      if (Number.isNaN(Date.parse(scheduledAt))) throw notAllowed('预约时间无效');
    },
  });

  setHandler(visitReportUpdate, async ({ actor, outcome, evidence, notes }) => {
    guard('visit_report');
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
      await record('visit_done', actor, { visit: visit.n, evidence, notes: notes ?? null });
      await advance(actor);
    } else {
      state.failedVisits++;
      await record('visit_failed', actor, { visit: visit.n, outcome, failedVisits: state.failedVisits, evidence, notes: notes ?? null });
      if (state.failedVisits % FAILED_VISITS_TO_ESCALATE === 0) {
        const level = Math.min(2, state.failedVisits / FAILED_VISITS_TO_ESCALATE) as 1 | 2;
        state.stepEscalationLevel = Math.max(state.stepEscalationLevel, level);
        await escalate(level, 'failed_visits');
      }
    }
    return snapshot();
  }, {
    validator: ({ outcome, evidence }) => {
      guard('visit_report');
      if (outcome === 'done') {
        const missing = missingEvidence(action, evidence.map((e: EvidenceRef) => e.kind));
        if (missing.length > 0) throw notAllowed(`缺少佐证材料：${missing.map((m) => m.label).join('、')}`);
      }
    },
  });

  /** Adds evidence to the case's list (each file once). */
  function addEvidence(evidence: EvidenceRef[]): void {
    for (const e of evidence) {
      if (!state.evidence.some((x) => x.sha256 === e.sha256 && x.kind === e.kind)) state.evidence.push(e);
    }
  }

  setHandler(reviewUpdate, async (req) => {
    guard('review');
    const at = now().toISOString();
    const { actor } = req;
    state.reviewedAt = at;
    switch (req.decision) {
      case 'approve':
        state.reviews.push({ decision: 'approve', at, by: actor });
        state.outcome = 'approved';
        await record('reviewed', actor, { decision: 'approve', note: req.note ?? null });
        await advance(actor);
        break;
      case 'approve_with_missing': {
        state.reviews.push({ decision: 'approve_with_missing', at, by: actor, missing: req.missing });
        state.outcome = 'approved_with_missing';
        state.supplement = {
          missing: req.missing, supplied: [], dueDate: req.supplementDueDate, dueAt: supplementDueAt(req.supplementDueDate).toISOString(),
          status: 'pending', escalationLevel: 0, evidence: [],
        };
        await record('reviewed', actor, {
          decision: 'approve_with_missing', missing: req.missing, supplementDueAt: state.supplement.dueAt, note: req.note ?? null,
        });
        await advance(actor);
        break;
      }
      case 'return':
        state.reviews.push({ decision: 'return', at, by: actor, reason: req.reason });
        await record('returned', actor, { reason: req.reason });
        leaveStep();
        await enterStep('visit', actor);
        break;
      case 'reject':
        state.reviews.push({ decision: 'reject', at, by: actor, reason: req.reason });
        state.outcome = 'rejected';
        await record('rejected', actor, { reason: req.reason });
        leaveStep();
        await enterStep('ledger', actor);
        break;
    }
    return snapshot();
  }, {
    validator: (req) => {
      guard('review');
      if (req.decision === 'approve_with_missing') {
        if (req.missing.length === 0) throw notAllowed('容缺受理须列明后补材料');
        if (!isDateString(req.supplementDueDate)) throw notAllowed('后补期限无效');
        if (req.supplementDueDate < shanghaiDate(now())) throw notAllowed('后补期限不能早于今天');
      }
      if ((req.decision === 'return' || req.decision === 'reject') && !req.reason.trim()) throw notAllowed('须填写原因');
    },
  });

  setHandler(supplementUpdate, async ({ actor, documents, evidence }) => {
    guard('supplement');
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
    await record('supplement_supplied', actor, {
      documents, complete, late: complete ? s.late : null, outstanding: s.missing.filter((m) => !s.supplied.includes(m)),
    });
    if (complete && state.step === 'ledger') await runLedger();
    return snapshot();
  }, {
    validator: ({ documents }) => {
      guard('supplement');
      const unknown = documents.filter((d: string) => !state.supplement!.missing.includes(d));
      if (unknown.length > 0) throw notAllowed(`以下材料不在容缺清单中：${unknown.join('、')}`);
    },
  });

  setHandler(deliverUpdate, async ({ actor, method, trackingNumber }) => {
    guard('deliver');
    const at = now().toISOString();
    const redispatch = state.delivery !== undefined;
    state.delivery = { method, dispatchedAt: at, dispatchedBy: actor, ...(trackingNumber ? { trackingNumber } : {}) };
    await record(redispatch ? 'redispatched' : 'dispatched', actor, { method, trackingNumber: trackingNumber ?? null });
    if (method === 'in_person') {
      // Handed over in person: received on the spot.
      state.delivery.receivedAt = at;
      state.delivery.confirmedBy = actor;
      state.deliveredAt = at;
      await record('received', actor, { method });
      await advance(actor);
    }
    return snapshot();
  }, {
    validator: ({ method, trackingNumber }) => {
      guard('deliver');
      if (!action.deliveryMethods.includes(method)) throw notAllowed(`本事项不支持该送达方式（可选：${action.deliveryMethods.join('、')}）`);
      if (method === 'express' && !trackingNumber) throw notAllowed('快递送达须填写快递单号');
    },
  });

  setHandler(confirmReceiptUpdate, async ({ actor, receivedAt, note }) => {
    guard('confirm_receipt');
    const at = receivedAt ? new Date(receivedAt).toISOString() : now().toISOString();
    state.delivery!.receivedAt = at;
    state.delivery!.confirmedBy = actor;
    state.deliveredAt = at;
    await record('received', actor, { method: state.delivery!.method, receivedAt: at, note: note ?? null });
    await advance(actor);
    return snapshot();
  }, {
    validator: ({ receivedAt }) => {
      guard('confirm_receipt');
      if (receivedAt !== undefined) {
        const t = Date.parse(receivedAt);
        if (Number.isNaN(t)) throw notAllowed('签收时间无效');
        if (t < Date.parse(state.delivery!.dispatchedAt) || t > now().getTime()) throw notAllowed('签收时间须在寄出之后、当前时间之前');
      }
    },
  });

  setHandler(cancelCaseUpdate, async ({ actor, reason, detail }) => {
    guard('cancel');
    state.outcome = 'cancelled';
    state.cancellation = { reason, ...(detail ? { detail } : {}) };
    await close('cancelled', actor, 'cancelled', { reason, detail: detail ?? null, atStep: state.step });
    return snapshot();
  }, { validator: (_req) => guard('cancel') });

  setHandler(holdUpdate, async ({ actor, reason }) => {
    guard('hold');
    state.onHold = true;
    state.holds.push({ from: now().toISOString(), reason });
    await record('held', actor, { reason });
    return snapshot();
  }, { validator: (_req) => guard('hold') });

  setHandler(resumeUpdate, async ({ actor }) => {
    guard('resume');
    const hold = state.holds.at(-1)!;
    hold.to = now().toISOString();
    hold.workingMs = workingMsBetween(new Date(hold.from), new Date(hold.to), calendar);
    state.stepHeldWorkingMs += hold.workingMs;
    state.onHold = false;
    recomputeDue();
    await record('resumed', actor, { heldWorkingMs: hold.workingMs, dueAt: state.dueAt ?? null });
    if (state.step === 'ledger') await runLedger();
    return snapshot();
  }, { validator: (_req) => guard('resume') });

  setHandler(greenChannelUpdate, async ({ actor }) => {
    guard('green_channel');
    state.greenChannel = true;
    if (state.step !== 'done') state.stepWorkingDays = stepWorkingDays(stepDef(action, state.step), true);
    recomputeDue();
    await record('green_channel_on', actor, { dueAt: state.dueAt ?? null });
    return snapshot();
  }, { validator: (_req) => guard('green_channel') });

  // ---- the deadlines ----
  /** The next deadline to act on, and what happens when it passes. */
  function nextDeadline(): { at: number; fire: () => Promise<void> } | undefined {
    const candidates: Array<{ at: number; fire: () => Promise<void> }> = [];
    if (state.status === 'open' && !state.onHold && state.dueAt) {
      const due = new Date(state.dueAt);
      if (!stepOverdue) {
        candidates.push({
          at: due.getTime(),
          fire: async () => {
            stepOverdue = true;
            state.stepEscalationLevel = Math.max(state.stepEscalationLevel, 1);
            await record('overdue', undefined, { dueAt: state.dueAt, workingDays: state.stepWorkingDays });
            await escalate(1, 'step_overdue');
          },
        });
      } else if (state.stepEscalationLevel < 2) {
        candidates.push({
          at: level2At(due, calendar).getTime(),
          fire: async () => {
            state.stepEscalationLevel = 2;
            await escalate(2, 'step_overdue');
          },
        });
      }
    }
    const s = state.supplement;
    if (state.status === 'open' && s && s.status !== 'supplied') {
      if (s.status === 'pending') {
        candidates.push({
          at: Date.parse(s.dueAt),
          fire: async () => {
            s.status = 'overdue';
            s.escalationLevel = 1;
            await record('supplement_overdue', undefined, { dueAt: s.dueAt, outstanding: s.missing.filter((m) => !s.supplied.includes(m)) });
            await escalate(1, 'supplement_overdue');
          },
        });
      } else if (s.escalationLevel < 2) {
        candidates.push({
          at: level2At(new Date(s.dueAt), calendar).getTime(),
          fire: async () => {
            s.escalationLevel = 2;
            await escalate(2, 'supplement_overdue');
          },
        });
      }
    }
    return candidates.sort((a, b) => a.at - b.at)[0];
  }

  // ---- the story ----
  upsertSearchAttributes([
    { key: SA.county, value: input.county },
    { key: SA.department, value: input.department },
    { key: SA.item, value: input.itemCode },
  ]);
  recomputeDue();
  // The opening event also starts the first step (its data carries the step's deadline).
  await record('opened', input.openedBy, {
    catalogVersion: input.catalogVersion, greenChannel: input.greenChannel, surveyId: input.surveyId ?? null,
    step: state.step, workingDays: state.stepWorkingDays, dueAt: state.dueAt ?? null,
  });
  openingProjected = true;

  while (state.status === 'open') {
    const seen = version;
    const next = nextDeadline();
    const changed = () => version !== seen || state.status !== 'open';
    if (!next) {
      await condition(changed);
      continue;
    }
    const wait = next.at - now().getTime();
    if (wait > 0 && (await condition(changed, wait))) continue;
    await next.fire();
  }
  await condition(allHandlersFinished);
  return state;
}
