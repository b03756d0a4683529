/**
 * Workflows whose tasks keep failing (a bug, or a history the code no longer replays): the case or plan
 * is stuck until someone acts, so they are listed for supervisors (GET /v1/supervision/failing), counted
 * for operators (doorstep_workflows_failing) and named in the 503 a step on such a case answers.
 *
 * Temporal flags a running workflow whose last two workflow tasks failed or timed out with the system
 * search attribute TemporalReportedProblems (cleared once a task succeeds), so the list is one
 * visibility query, not a describe per open case. The list is bounded: it is meant to be empty.
 */
import type { Client } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cases, plans } from '../../db/schema';

/** Visibility query: running workflows Temporal has flagged with task problems. */
export const FAILING_QUERY = "ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL";
/** At most this many are listed (and counted) per reading. */
export const FAILING_LIMIT = 500;

export interface FailingWorkflow {
  workflowId: string;
  runId: string;
  type: string;
  /** Temporal's own description, e.g. ["category=WorkflowTaskFailed", "cause=WorkflowTaskFailedCauseWorkflowWorkerUnhandledFailure"]. */
  problems: string[];
  startedAt: string;
  /** The case or plan it runs, when its id says so. */
  kind: 'case' | 'plan' | 'other';
  entityId?: string;
}

function kindOf(workflowId: string): Pick<FailingWorkflow, 'kind' | 'entityId'> {
  const m = /^(case|plan)-([0-9a-f-]{36})$/.exec(workflowId);
  return m ? { kind: m[1] as 'case' | 'plan', entityId: m[2] } : { kind: 'other' };
}

/** Temporal's description of a workflow's task problems ([] when it has none). */
function reportedProblems(searchAttributes: unknown): string[] {
  const raw = (searchAttributes as Record<string, unknown> | undefined)?.TemporalReportedProblems;
  return Array.isArray(raw) ? raw.map(String) : [];
}

/** The flagged workflows, newest first. */
export async function listFailingWorkflows(temporal: Client, limit = FAILING_LIMIT): Promise<FailingWorkflow[]> {
  const out: FailingWorkflow[] = [];
  for await (const wf of temporal.workflow.list({ query: FAILING_QUERY, pageSize: Math.min(limit, 100) })) {
    out.push({
      workflowId: wf.workflowId, runId: wf.runId, type: wf.type,
      problems: reportedProblems(wf.searchAttributes),
      startedAt: wf.startTime.toISOString(),
      ...kindOf(wf.workflowId),
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** Whether one workflow is flagged as failing (for the 503 of a step that got no answer). */
export async function isFailing(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    const d = await temporal.workflow.getHandle(workflowId).describe();
    return reportedProblems(d.searchAttributes).length > 0 || (d.raw.pendingWorkflowTask?.attempt ?? 0) > 1;
  } catch {
    return false;
  }
}

/** The county and department of each listed case and plan, from the read model (for scope). */
export async function failingScopes(db: Db, failing: FailingWorkflow[]) {
  const caseIds = failing.filter((f) => f.kind === 'case').map((f) => f.entityId!);
  const planIds = failing.filter((f) => f.kind === 'plan').map((f) => f.entityId!);
  const rows = [
    ...(caseIds.length ? await db.select({ id: cases.id, county: cases.county, department: cases.department, itemCode: cases.itemCode, step: cases.step }).from(cases).where(inArray(cases.id, caseIds)) : []),
    ...(planIds.length ? await db.select({ id: plans.id, county: plans.county, department: plans.department, itemCode: plans.itemCode, step: plans.status }).from(plans).where(inArray(plans.id, planIds)) : []),
  ];
  return new Map(rows.map((r) => [r.id, r]));
}
