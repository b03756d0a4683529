/**
 * The worker's activities, built by a factory over their dependencies so tests can pass
 * real or fake ones without module mocking.
 */
import type { Db } from '../db/client';
import { projectCase, type ProjectCaseInput } from './projection';

export interface ActivityDeps { db: Db; now?: () => Date }

export function createActivities(deps: ActivityDeps) {
  return {
    /** Projects one case transition into PostgreSQL (idempotent). */
    async projectCase(input: ProjectCaseInput): Promise<void> {
      await projectCase(deps.db, input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
