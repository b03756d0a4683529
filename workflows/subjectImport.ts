/**
 * A bulk import of subjects (服务对象批量导入), as the coordinator lives it:
 * read the file → validate every row (the dry run: counts and a report of rejected rows) → wait for
 * the coordinator to commit → write the rows, chunk by chunk → done. A file that cannot be read ends
 * the import as failed, with the reason. Chunks are row ranges: the workflow never holds a row.
 */
import { ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  commitImportUpdate, IMPORT_CHUNK_ROWS, IMPORT_COMMIT_WINDOW, IMPORT_NOT_COMMITTABLE, type SubjectImportInput,
} from './subjectImportContract';

const acts = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: ['FileRejected', 'ImportNotFound'] },
});

export type ImportPhase = 'validating' | 'validated' | 'committing' | 'committed' | 'failed' | 'expired';

export async function subjectImport(input: SubjectImportInput): Promise<{ phase: ImportPhase }> {
  const { importId } = input;
  const chunk = input.chunkRows ?? IMPORT_CHUNK_ROWS;
  let phase: ImportPhase = 'validating';
  let rejected = 0;
  let committedBy = '';

  setHandler(commitImportUpdate, ({ by }) => {
    phase = 'committing';
    committedBy = by;
  }, {
    validator: (_args: { by: string }) => {
      if (phase === 'validating') throw ApplicationFailure.create({ type: IMPORT_NOT_COMMITTABLE, message: '试导入（校验）尚未完成，请稍后再提交' });
      if (phase !== 'validated') throw ApplicationFailure.create({ type: IMPORT_NOT_COMMITTABLE, message: `该导入${PHASE_LABELS[phase]}，不能再提交` });
      if (rejected > 0) throw ApplicationFailure.create({ type: IMPORT_NOT_COMMITTABLE, message: `试导入发现 ${rejected} 行错误，请下载错误报告修正后重新上传；有错误的文件不会部分导入` });
    },
  });

  let range: { firstRow: number; lastRow: number };
  try {
    range = await acts.stageImport({ importId });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause;
    await acts.failImport({ importId, error: cause?.message ?? (e as Error).message });
    phase = 'failed';
    return { phase };
  }
  for (let from = range.firstRow; from <= range.lastRow; from += chunk) {
    await acts.validateImportChunk({ importId, from, to: from + chunk - 1 });
  }
  rejected = (await acts.finishDryRun({ importId })).rejected;
  phase = 'validated';

  if (!(await condition(() => phase === 'committing', IMPORT_COMMIT_WINDOW))) {
    phase = 'expired';
    return { phase };
  }
  for (let from = range.firstRow; from <= range.lastRow; from += chunk) {
    await acts.commitImportChunk({ importId, from, to: from + chunk - 1, by: committedBy });
  }
  await acts.finishCommit({ importId, by: committedBy });
  phase = 'committed';
  return { phase };
}

const PHASE_LABELS: Record<ImportPhase, string> = {
  validating: '正在校验', validated: '已校验', committing: '正在导入', committed: '已导入', failed: '已失败', expired: '已过期',
};
