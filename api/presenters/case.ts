/** How a case looks over HTTP: codes travel with their Chinese labels; times are ISO 8601 UTC. */
import { findAction, findItem } from '../../domain/catalog';
import {
  CANCEL_REASON_LABELS, ESCALATION_REASON_LABELS, REVIEW_DECISION_LABELS, SUPPLEMENT_STAGE_LABELS, VISIT_OUTCOME_LABELS,
} from '../../domain/caseFlow';
import {
  CASE_EVENT_LABELS, CASE_STATUS_LABELS, CASE_STEP_LABELS, DELIVERY_METHOD_LABELS, EVIDENCE_KIND_LABELS, labelOf as lbl,
} from '../../domain/vocabulary';
import type { CaseRow } from '../../db/schema';
import type { CaseState } from '../../workflows/contract';
import { countyL, departmentL } from '../export/labels';
import type { AuthUser } from '../auth';
import { allowedActions } from '../services/casePermissions';
import type { presentSubjectContact } from './subject';

/** How a case ended, as its view names it (the ledger's 办理结果 words it its own way: activities/ledger). */
const OUTCOME_LABELS: Readonly<Record<NonNullable<CaseState['outcome']>, string>> = {
  approved: '审核通过', approved_with_missing: '容缺受理', rejected: '不予办理', cancelled: '已撤销',
};

/**
 * The case view: the workflow's own state, plus the read model's projection marker when there is one,
 * and what the caller may do on it now (api/services/casePermissions allowedActions).
 */
export function presentCase(state: CaseState, row: CaseRow | undefined, caller: AuthUser) {
  const { input } = state;
  const found = findAction(input.itemCode, input.actionCode);
  const item = findItem(input.itemCode);
  return {
    id: input.caseId,
    subjectId: input.subjectId,
    status: lbl(state.status, CASE_STATUS_LABELS),
    step: lbl(state.step, CASE_STEP_LABELS),
    steps: (state.steps ?? []).map((s) => lbl(s, CASE_STEP_LABELS)),
    item: { code: input.itemCode, label: item?.label ?? input.itemCode },
    action: { code: input.actionCode, label: found?.action.label ?? input.actionCode },
    county: countyL(input.county),
    department: departmentL(input.department),
    catalogVersion: input.catalogVersion,
    greenChannel: state.greenChannel,
    onHold: state.onHold,
    overdue: state.overdue,
    escalationLevel: state.escalationLevel,
    assignee: state.assignee ?? null,
    dueAt: state.dueAt ?? null,
    stepStartedAt: state.stepStartedAt ?? null,
    stepWorkingDays: state.stepWorkingDays ?? null,
    supplementDueAt: state.supplementDueAt ?? null,
    openedAt: input.openedAt,
    openedBy: input.openedBy,
    closedAt: state.closedAt ?? null,
    outcome: state.outcome ? lbl(state.outcome, OUTCOME_LABELS) : null,
    completedOnTime: state.completedOnTime ?? null,
    lateSteps: (state.lateSteps ?? []).map((s) => lbl(s, CASE_STEP_LABELS)),
    visits: (state.visits ?? []).map((v) => ({
      ...v,
      outcome: v.outcome ? lbl(v.outcome, VISIT_OUTCOME_LABELS) : null,
      evidence: v.evidence.map((e) => ({ ...e, kind: lbl(e.kind, EVIDENCE_KIND_LABELS) })),
    })),
    failedVisits: state.failedVisits ?? 0,
    evidence: (state.evidence ?? []).map((e) => ({ sha256: e.sha256, kind: lbl(e.kind, EVIDENCE_KIND_LABELS), url: `/v1/cases/${input.caseId}/evidence/${e.sha256}` })),
    reviews: (state.reviews ?? []).map((r) => ({ ...r, decision: lbl(r.decision, REVIEW_DECISION_LABELS) })),
    supplement: state.supplement ? {
      ...state.supplement,
      stage: lbl(state.supplement.stage ?? 'review', SUPPLEMENT_STAGE_LABELS),
      outstanding: state.supplement.missing.filter((m) => !state.supplement!.supplied.includes(m)),
    } : null,
    // Step deadlines are a local rule: shown always, escalated only while enforced (domain/policy.ts deadlines.steps).
    stepDeadlineRule: {
      key: 'deadlines.steps' as const, version: state.stepDeadlines?.version ?? 0, enforced: state.stepDeadlines?.enforced === true,
      effect: state.stepDeadlines?.enforced ? { code: 'enforced', label: '执行：超期督办升级' } : { code: 'advisory', label: '建议：超期仅作提醒，不督办' },
    },
    delivery: state.delivery ? { ...state.delivery, method: lbl(state.delivery.method, DELIVERY_METHOD_LABELS) } : null,
    holds: state.holds ?? [],
    escalations: (state.escalations ?? []).map((e) => ({ ...e, reason: lbl(e.reason, ESCALATION_REASON_LABELS) })),
    cancellation: state.cancellation ? { ...state.cancellation, reason: lbl(state.cancellation.reason, CANCEL_REASON_LABELS) } : null,
    timeline: state.events.map((e) => ({ ...e, label: CASE_EVENT_LABELS[e.type] ?? e.type })),
    allowedActions: allowedActions(caller, state),
    readModel: row ? { lastEventSeq: row.lastEventSeq, status: row.status, step: row.step, updatedAt: row.updatedAt.toISOString() } : null,
  };
}

/** When the visit being arranged (scheduled, not yet reported) is due, or null when none is scheduled. */
export function nextVisitAt(state: Pick<CaseState, 'visits'> | null | undefined): string | null {
  return state?.visits?.find((v) => v.outcome === undefined && v.scheduledAt)?.scheduledAt ?? null;
}

/** One row of the case list (from the read model: no workflow round trip), with its subject's contact. */
export function presentCaseRow(row: CaseRow, subject: ReturnType<typeof presentSubjectContact> | null) {
  const found = findAction(row.itemCode, row.actionCode);
  return {
    subject,
    nextVisitAt: nextVisitAt(row.state as CaseState | null),
    id: row.id,
    subjectId: row.subjectId,
    status: lbl(row.status, CASE_STATUS_LABELS),
    step: lbl(row.step, CASE_STEP_LABELS),
    item: { code: row.itemCode, label: found?.item.label ?? row.itemCode },
    action: { code: row.actionCode, label: found?.action.label ?? row.actionCode },
    county: countyL(row.county),
    department: departmentL(row.department),
    greenChannel: row.greenChannel,
    onHold: row.onHold,
    overdue: row.overdue,
    escalationLevel: row.escalationLevel,
    assignee: row.assignee,
    dueAt: row.dueAt?.toISOString() ?? null,
    supplementDueAt: row.supplementDueAt?.toISOString() ?? null,
    openedAt: row.openedAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
    outcome: row.outcome ? lbl(row.outcome, OUTCOME_LABELS) : null,
    lastEventSeq: row.lastEventSeq,
    lastEventAt: row.lastEventAt.toISOString(),
  };
}
