/**
 * The contract of subject imports between the API and the import workflow: workflow id, the commit
 * update and its rejection type. The workflow knows the import by id only (the rows stay in PostgreSQL).
 */
import { defineUpdate } from '@temporalio/workflow';

/** Workflow id of an import: deterministic from the import id. */
export const importWorkflowId = (importId: string): string => `subject-import-${importId}`;

export interface SubjectImportInput {
  importId: string;
  /** Rows per chunk; default {@link IMPORT_CHUNK_ROWS} (tests use small chunks to cross chunk boundaries). */
  chunkRows?: number;
}

/** Rows per activity call (validation and commit): history stays small, a retried chunk redoes little. */
export const IMPORT_CHUNK_ROWS = 2000;

/** How long a validated import waits for its commit before it expires. */
export const IMPORT_COMMIT_WINDOW = '30 days';

/** Error type of a refused commit (the message is the Chinese reason for the 409). */
export const IMPORT_NOT_COMMITTABLE = 'ImportNotCommittable';

/** The coordinator commits a validated dry run. Accepted at once; the rows are written after. */
export const commitImportUpdate = defineUpdate<void, [{ by: string }]>('commitImport');
