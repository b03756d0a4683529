/** How a needs survey and a subject's needs look over HTTP: codes with labels, each need's state derived from its case or plan. */
import { findAction, findItem } from '../../domain/catalog';
import type { EligibilityAnswers, EligibilityResult } from '../../domain/eligibility';
import type { needs, surveys } from '../../db/schema';
import type { CaseStatus, PlanStatus } from '../../domain/vocabulary';
import { presentEligibility } from './subject';

type SurveyRow = typeof surveys.$inferSelect;
type NeedRow = typeof needs.$inferSelect;

/** What a survey stores of each need found (also for ineligible subjects, who get no need rows). */
export interface FoundNeed {
  itemCode: string; actionCode: string; ongoing: boolean; greenChannel: boolean; notes?: string;
  /** The item's own verdict (domain/eligibility.ts, one rule per item); absent in surveys recorded before it. */
  eligibility?: EligibilityResult;
}

export const NEED_STATUS_LABELS: Record<string, string> = {
  case_started: '已启动案件',
  case_pending: '案件待启动',
  awaiting_plan: '待制定服务计划',
  planned: '已纳入服务计划',
  not_started: '未启动',
  closed: '已办结',
};

const lbl = (code: string) => ({ code, label: NEED_STATUS_LABELS[code] ?? code });

function itemAndAction(itemCode: string, actionCode: string) {
  const found = findAction(itemCode, actionCode);
  return {
    item: { code: itemCode, label: findItem(itemCode)?.label ?? itemCode },
    action: { code: actionCode, label: found?.action.label ?? actionCode },
  };
}

/** The survey as answered over HTTP: its verdict, what it started, and each need's state. */
export function presentSurvey(s: SurveyRow, rows: NeedRow[]) {
  const eligibility = s.eligibility as EligibilityResult;
  const found = s.needs as FoundNeed[];
  const byIndex = new Map(rows.map((n) => [n.needIndex, n]));
  const needViews = found.map((f, index) => {
    const n = byIndex.get(index);
    const status = !n ? 'not_started' : n.ongoing ? (n.planId ? 'planned' : 'awaiting_plan') : n.caseStartedAt ? 'case_started' : 'case_pending';
    return {
      index,
      id: n?.id ?? null,
      ...itemAndAction(f.itemCode, f.actionCode),
      ongoing: f.ongoing,
      greenChannel: f.greenChannel,
      notes: f.notes ?? null,
      caseId: n && n.caseStartedAt ? n.caseId : null,
      planId: n?.planId ?? null,
      status: lbl(status),
      eligibility: f.eligibility ? presentEligibility(f.eligibility) : null,
    };
  });
  const started = rows.length > 0;
  const refused = needViews.filter((v) => v.eligibility && !v.eligibility.eligible).length;
  let notice: string;
  if (!started) {
    let why: string;
    if (!eligibility.eligible && (found.length === 0 || refused === found.length || found.some((f) => !f.eligibility))) {
      why = eligibility.missing.length > 0 ? '摸底信息不全，暂不能认定为服务对象' : '经摸底不符合上门代办服务对象条件';
    } else {
      why = '所列需求均不符合该服务事项的服务对象条件';
    }
    notice = found.length === 0 && eligibility.eligible
      ? '符合服务对象条件；本次摸底未发现服务需求 Eligible; no needs found'
      : `${why}：已记录摸底结果，未启动任何服务 Not eligible: the survey is recorded and nothing was started`;
  } else {
    const oneOff = needViews.filter((v) => !v.ongoing && v.id).length;
    const ongoing = needViews.filter((v) => v.ongoing && v.id).length;
    notice = `${eligibility.eligible ? '符合服务对象条件' : '按各服务事项的服务对象条件'}：已启动 ${oneOff} 个案件，${ongoing} 项持续性服务待制定服务计划`
      + (refused > 0 ? `；${refused} 项需求不符合该服务事项的服务对象条件，未启动` : '');
  }
  return {
    id: s.id,
    subjectId: s.subjectId,
    surveyedBy: s.surveyedBy,
    surveyedAt: s.surveyedAt.toISOString(),
    recordedAt: s.createdAt.toISOString(),
    answers: s.answers as EligibilityAnswers,
    eligibility: presentEligibility(eligibility),
    started,
    notice,
    needs: needViews,
  };
}

/** One need of a subject, with the status of its case or plan (from the read model). */
export function presentSubjectNeed({ need: n, caseStatus, planStatus }: { need: NeedRow; caseStatus: CaseStatus | null; planStatus: PlanStatus | null }) {
  // Closed: its plan has ended, or its case is no longer open (closed, cancelled or rejected).
  const closed = n.ongoing ? planStatus === 'ended' : caseStatus !== null && caseStatus !== 'open';
  const status = closed ? 'closed' : n.ongoing ? (n.planId ? 'planned' : 'awaiting_plan') : n.caseStartedAt ? 'case_started' : 'case_pending';
  return {
    id: n.id,
    surveyId: n.surveyId,
    index: n.needIndex,
    ...itemAndAction(n.itemCode, n.actionCode),
    ongoing: n.ongoing,
    greenChannel: n.greenChannel,
    notes: n.notes,
    caseId: n.caseStartedAt ? n.caseId : null,
    caseStatus: caseStatus ?? null,
    planId: n.planId,
    planStatus: planStatus ?? null,
    status: lbl(status),
    open: !closed,
    createdAt: n.createdAt.toISOString(),
  };
}
