/**
 * The worker's activities, built by a factory over their dependencies so tests can pass
 * real or fake ones without module mocking.
 */
import type { Db } from '../db/client';
import { writeCaseLedgerEntry, writePlanPeriodLedgerEntry } from './ledger';
import { projectCase, type ProjectCaseInput } from './projection';

export interface ActivityDeps { db: Db; now?: () => Date }

export function createActivities(deps: ActivityDeps) {
  return {
    /** Projects one case transition into PostgreSQL (idempotent). */
    async projectCase(input: ProjectCaseInput): Promise<void> {
      await projectCase(deps.db, input);
    },
    /** Writes a finished case's ledger row (idempotent). */
    async writeCaseLedgerEntry(input: Parameters<typeof writeCaseLedgerEntry>[1]): Promise<string> {
      return writeCaseLedgerEntry(deps.db, input);
    },
    /** Writes a checked plan period's ledger row (idempotent). */
    async writePlanPeriodLedgerEntry(input: Parameters<typeof writePlanPeriodLedgerEntry>[1]): Promise<string> {
      return writePlanPeriodLedgerEntry(deps.db, input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
