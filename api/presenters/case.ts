/** How a case looks over HTTP: codes travel with their Chinese labels; times are ISO 8601 UTC. */
import { DELIVERY_METHOD_LABELS, EVIDENCE_KIND_LABELS, findAction, findItem, type DeliveryMethod, type EvidenceKind } from '../../domain/catalog';
import {
  CANCEL_REASON_LABELS, CASE_STEP_LABELS, ESCALATION_REASON_LABELS, REVIEW_DECISION_LABELS, VISIT_OUTCOME_LABELS,
  type CancelReason, type EscalationReason, type ReviewDecision, type VisitOutcome,
} from '../../domain/caseFlow';
import { countyLabel, isCountyCode } from '../../domain/counties';
import { departmentLabel, isDepartmentCode } from '../../domain/departments';
import type { CaseRow } from '../../db/schema';
import type { CaseState } from '../../workflows/contract';
import type { AuthUser } from '../auth';

export const CASE_STATUS_LABELS: Record<string, string> = { open: '办理中', closed: '已办结', cancelled: '已撤销', rejected: '不予办理' };
export const STEP_LABELS: Record<string, string> = { ...CASE_STEP_LABELS };
export const OUTCOME_LABELS: Record<string, string> = { approved: '审核通过', approved_with_missing: '容缺受理', rejected: '不予办理', cancelled: '已撤销' };

/** Chinese names of the timeline's event types. */
export const EVENT_LABELS: Record<string, string> = {
  opened: '开案', step_started: '进入步骤', assigned: '分派', reassigned: '改派', visit_scheduled: '预约上门', visit_rescheduled: '改约上门',
  visit_done: '上门办理完成', visit_failed: '上门未办成', reviewed: '审核通过', returned: '退回补充材料', rejected: '不予办理',
  supplement_supplied: '补交材料', supplement_overdue: '容缺材料逾期', dispatched: '寄送', redispatched: '重新寄送', received: '签收',
  ledger_shared: '已登记工作台账（随月度台账共享残联）', closed: '办结', cancelled: '撤销', held: '暂停', resumed: '恢复', green_channel_on: '开启绿色通道',
  overdue: '超期', escalated: '督办升级', calendar_updated: '节假日安排更新',
};

const lbl = (code: string, table: Record<string, string>) => ({ code, label: table[code] ?? code });
const county = (code: string) => (isCountyCode(code) ? countyLabel(code) : { code, label: code });
const department = (code: string) => (isDepartmentCode(code) ? departmentLabel(code) : { code, label: code });

/** The case view: the workflow's own state, plus the read model's projection marker when there is one. */
export function presentCase(state: CaseState, row: CaseRow | undefined, _user: AuthUser) {
  const { input } = state;
  const found = findAction(input.itemCode, input.actionCode);
  const item = findItem(input.itemCode);
  return {
    id: input.caseId,
    subjectId: input.subjectId,
    status: lbl(state.status, CASE_STATUS_LABELS),
    step: lbl(state.step, STEP_LABELS),
    steps: (state.steps ?? []).map((s) => lbl(s, STEP_LABELS)),
    item: { code: input.itemCode, label: item?.label ?? input.itemCode },
    action: { code: input.actionCode, label: found?.action.label ?? input.actionCode },
    county: county(input.county),
    department: department(input.department),
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
    lateSteps: (state.lateSteps ?? []).map((s) => lbl(s, STEP_LABELS)),
    visits: (state.visits ?? []).map((v) => ({
      ...v,
      outcome: v.outcome ? lbl(v.outcome, VISIT_OUTCOME_LABELS as Record<VisitOutcome, string>) : null,
      evidence: v.evidence.map((e) => ({ ...e, kind: lbl(e.kind, EVIDENCE_KIND_LABELS as Record<EvidenceKind, string>) })),
    })),
    failedVisits: state.failedVisits ?? 0,
    evidence: (state.evidence ?? []).map((e) => ({ sha256: e.sha256, kind: lbl(e.kind, EVIDENCE_KIND_LABELS as Record<EvidenceKind, string>), url: `/v1/cases/${input.caseId}/evidence/${e.sha256}` })),
    reviews: (state.reviews ?? []).map((r) => ({ ...r, decision: lbl(r.decision, REVIEW_DECISION_LABELS as Record<ReviewDecision, string>) })),
    supplement: state.supplement ?? null,
    delivery: state.delivery ? { ...state.delivery, method: lbl(state.delivery.method, DELIVERY_METHOD_LABELS as Record<DeliveryMethod, string>) } : null,
    holds: state.holds ?? [],
    escalations: (state.escalations ?? []).map((e) => ({ ...e, reason: lbl(e.reason, ESCALATION_REASON_LABELS as Record<EscalationReason, string>) })),
    cancellation: state.cancellation ? { ...state.cancellation, reason: lbl(state.cancellation.reason, CANCEL_REASON_LABELS as Record<CancelReason, string>) } : null,
    timeline: state.events.map((e) => ({ ...e, label: EVENT_LABELS[e.type] ?? e.type })),
    readModel: row ? { lastEventSeq: row.lastEventSeq, status: row.status, step: row.step, updatedAt: row.updatedAt.toISOString() } : null,
  };
}

/** One row of the case list (from the read model: no workflow round trip). */
export function presentCaseRow(row: CaseRow) {
  const found = findAction(row.itemCode, row.actionCode);
  return {
    id: row.id,
    subjectId: row.subjectId,
    status: lbl(row.status, CASE_STATUS_LABELS),
    step: lbl(row.step, STEP_LABELS),
    item: { code: row.itemCode, label: found?.item.label ?? row.itemCode },
    action: { code: row.actionCode, label: found?.action.label ?? row.actionCode },
    county: county(row.county),
    department: department(row.department),
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
