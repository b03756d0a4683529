/** The server state pages share (TanStack Query keys and fetchers), and the case step requests. */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, call, idempotencyKey, type CaseView, type paths } from '../api/client';
import type { CaseAction } from '../../../domain/caseFlow';

export function useCatalog() {
  return useQuery({ queryKey: ['catalog'], queryFn: () => call(api.GET('/v1/catalog')), staleTime: Infinity });
}

export function useCase(id: string | undefined) {
  return useQuery({
    queryKey: ['case', id],
    queryFn: () => call(api.GET('/v1/cases/{id}', { params: { path: { id: id! } } })),
    enabled: Boolean(id),
  });
}

export function useSubject(id: string | undefined, unmask = false) {
  return useQuery({
    queryKey: ['subject', id, unmask],
    queryFn: () => call(api.GET('/v1/subjects/{id}', { params: { path: { id: id! }, query: unmask ? { unmask: 'true' } : {} } })),
    enabled: Boolean(id),
  });
}

/** One action of the case for the caller: may it be done now, and if not, why (GET /v1/cases/:id allowedActions). */
export type AllowedAction = CaseView['allowedActions'][number] & { action: CaseAction };

/** The steps of the case (evidence upload is not a step: the worker's page offers it). */
export function allowedActions(c: CaseView): AllowedAction[] {
  return c.allowedActions.filter((a): a is AllowedAction => a.action !== 'upload_evidence');
}

/** The step route of an action: schedule_visit → schedule-visit. */
export type StepPath = `/v1/cases/{id}/${'assign' | 'schedule-visit' | 'visit-report' | 'review' | 'supplement' | 'deliver' | 'confirm-receipt' | 'cancel' | 'hold' | 'resume' | 'green-channel'}`;
export function stepPath(action: CaseAction): StepPath {
  return `/v1/cases/{id}/${action.replace(/_/g, '-')}` as StepPath;
}
export type StepBody<P extends StepPath> = NonNullable<paths[P]['post']['requestBody']>['content']['application/json'];

/** Sends one step now (desk pages, online); the case view as it is after the step. */
export function postStep<P extends StepPath>(path: P, caseId: string, body: StepBody<P>, key = idempotencyKey()): Promise<CaseView> {
  return call(api.POST(path as '/v1/cases/{id}/assign', {
    params: { path: { id: caseId } },
    body: body as never,
    headers: { 'Idempotency-Key': key },
  })) as Promise<CaseView>;
}

/**
 * Idempotency-Keys for a form: the same request sent again (after a lost answer) keeps its key and
 * applies once; a corrected request is a new one.
 */
export function useRequestKeys(): (body: unknown) => string {
  const [keys] = useState(() => new Map<string, string>());
  return (body) => {
    const k = JSON.stringify(body);
    if (!keys.has(k)) keys.set(k, idempotencyKey());
    return keys.get(k)!;
  };
}
