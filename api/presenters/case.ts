/** How a case looks over HTTP: codes travel with their Chinese labels. */
import { findAction, findItem } from '../../domain/catalog';
import { countyLabel, type CountyCode } from '../../domain/counties';
import { departmentLabel, type DepartmentCode } from '../../domain/departments';
import type { cases } from '../../db/schema';
import type { CaseState } from '../../workflows/contract';
import type { AuthUser } from '../auth';

export const CASE_STATUS_LABELS: Record<string, string> = { open: '办理中', closed: '已办结', cancelled: '已撤销', rejected: '不予办理' };
export const STEP_LABELS: Record<string, string> = {
  assignment: '分派', visit: '上门办理', review: '审核', delivery: '证照送达', ledger: '台账共享', done: '已结束',
};

const lbl = (code: string, table: Record<string, string>) => ({ code, label: table[code] ?? code });

/** The case view: workflow state, plus the read model's projection marker when there is one. */
export function presentCase(state: CaseState, row: typeof cases.$inferSelect | undefined, _user: AuthUser) {
  const { input } = state;
  const found = findAction(input.itemCode, input.actionCode);
  const item = findItem(input.itemCode);
  return {
    id: input.caseId,
    subjectId: input.subjectId,
    status: lbl(state.status, CASE_STATUS_LABELS),
    step: lbl(state.step, STEP_LABELS),
    item: { code: input.itemCode, label: item?.label ?? input.itemCode },
    action: { code: input.actionCode, label: found?.action.label ?? input.actionCode },
    county: countyLabel(input.county as CountyCode),
    department: departmentLabel(input.department as DepartmentCode),
    catalogVersion: input.catalogVersion,
    greenChannel: state.greenChannel,
    onHold: state.onHold,
    overdue: state.overdue,
    escalationLevel: state.escalationLevel,
    assignee: state.assignee ?? null,
    dueAt: state.dueAt ?? null,
    supplementDueAt: state.supplementDueAt ?? null,
    openedAt: input.openedAt,
    openedBy: input.openedBy,
    timeline: state.events,
    readModel: row ? { lastEventSeq: row.lastEventSeq, status: row.status, step: row.step, updatedAt: row.updatedAt.toISOString() } : null,
  };
}
