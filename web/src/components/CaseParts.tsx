/** The pieces of a case every role reads: its summary with the working-day deadline, its steps, evidence and timeline. */
import { useState } from 'react';
import { Descriptions, Modal, Skeleton, Space, Steps, Tag, Timeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { CaseView } from '../api/client';
import { deadlineText, formatDateTime } from '../lib/format';

export function StatusTags({ c }: { c: Pick<CaseView, 'status' | 'step' | 'greenChannel' | 'overdue' | 'onHold' | 'escalationLevel'> }) {
  const statusColor = c.status.code === 'closed' ? 'green' : c.status.code === 'open' ? 'blue' : 'default';
  return (
    <Space size={4} wrap>
      <Tag color={statusColor}>{c.status.label}</Tag>
      {c.status.code === 'open' && <Tag>{c.step.label}</Tag>}
      {c.greenChannel && <Tag color="green">绿色通道</Tag>}
      {c.overdue && <Tag color="red">超期</Tag>}
      {c.onHold && <Tag color="orange">暂停中</Tag>}
      {c.escalationLevel > 0 && <Tag color="volcano">督办 {c.escalationLevel} 级</Tag>}
    </Space>
  );
}

export function Deadline({ dueAt, open = true }: { dueAt: string | null; open?: boolean }) {
  const d = open ? deadlineText(dueAt) : undefined;
  if (!dueAt) return <span>—</span>;
  return (
    <span>
      {formatDateTime(dueAt)}{' '}
      {d && <Typography.Text type={d.tone === 'late' ? 'danger' : d.tone === 'soon' ? 'warning' : 'secondary'}>（{d.text}）</Typography.Text>}
    </span>
  );
}

export function CaseSummary({ c, subjectName }: { c: CaseView; subjectName?: string }) {
  return (
    <Descriptions size="small" bordered column={{ xs: 1, sm: 2, lg: 3 }} items={[
      { key: 'item', label: '服务事项', children: `${c.item.label} · ${c.action.label}` },
      { key: 'subject', label: '服务对象', children: subjectName ?? c.subjectId },
      { key: 'status', label: '状态', children: <StatusTags c={c} /> },
      { key: 'county', label: '县（市）区', children: c.county.label },
      { key: 'dept', label: '承办部门', children: c.department.label },
      { key: 'opened', label: '开案时间', children: formatDateTime(c.openedAt) },
      { key: 'due', label: c.status.code === 'open' ? `本步骤期限（${c.step.label}）` : '办结时间', children: c.status.code === 'open' ? <Deadline dueAt={c.dueAt} /> : formatDateTime(c.closedAt) },
      ...(c.supplement ? [{ key: 'supp', label: '容缺材料', children: `${c.supplement.missing.join('、')}，${c.supplement.status === 'supplied' ? '已补交' : `须于 ${c.supplement.dueDate} 前补交`}` }] : []),
      ...(c.completedOnTime !== null ? [{ key: 'ontime', label: '是否按期', children: c.completedOnTime ? '按期办结' : `超期（${c.lateSteps.length} 个步骤）` }] : []),
    ]} />
  );
}

export function CaseSteps({ c }: { c: CaseView }) {
  const current = c.steps.findIndex((s) => s.code === c.step.code);
  return (
    <Steps
      size="small" responsive current={current < 0 ? c.steps.length : current}
      status={c.status.code === 'closed' ? 'finish' : c.status.code === 'open' ? (c.overdue ? 'error' : 'process') : 'error'}
      items={c.steps.map((s) => ({ title: s.label }))}
    />
  );
}

export function CaseTimeline({ c }: { c: CaseView }) {
  return (
    <Timeline
      aria-label="办理记录"
      items={[...c.timeline].reverse().map((e) => ({
        key: e.seq,
        color: e.type === 'overdue' || e.type === 'escalated' || e.type === 'rejected' ? 'red' : e.type === 'closed' ? 'green' : 'blue',
        content: (
          <div>
            <Typography.Text strong>{e.label}</Typography.Text>{' '}
            <Typography.Text type="secondary">{formatDateTime(e.at)}</Typography.Text>
            {e.data && typeof e.data.reason === 'string' && <div>原因：{e.data.reason}</div>}
            {e.data && typeof e.data.note === 'string' && <div>备注：{e.data.note}</div>}
          </div>
        ),
      }))}
    />
  );
}

type Evidence = CaseView['evidence'][number];

/** Thumbnails of the case's evidence; a click opens the viewer (image, video or PDF). */
export function EvidenceThumbs({ c }: { c: CaseView }) {
  const [shown, setShown] = useState<Evidence | undefined>();
  if (c.evidence.length === 0) return <Typography.Text type="secondary">暂无佐证材料</Typography.Text>;
  return (
    <>
      <ul className="thumbs" aria-label="佐证材料" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {c.evidence.map((e, i) => (
          <li key={e.sha256}>
            <button type="button" onClick={() => setShown(e)} style={{ padding: 0, border: 'none', background: 'none', cursor: 'zoom-in' }}>
              <Thumb evidence={e} n={i + 1} />
            </button>
            <div style={{ fontSize: 12, textAlign: 'center', color: '#595959' }}>{e.kind.label}</div>
          </li>
        ))}
      </ul>
      <EvidenceViewer evidence={shown} onClose={() => setShown(undefined)} />
    </>
  );
}

function Thumb({ evidence, n }: { evidence: Evidence; n: number }) {
  const media = useMediaType(evidence.url, evidence.kind.code);
  if (media === 'image') return <img src={evidence.url} alt={`查看${evidence.kind.label} ${n}`} loading="lazy" />;
  return <span className="thumb">查看{evidence.kind.label} {n}{media === 'pdf' ? '（PDF）' : ''}</span>;
}

export function EvidenceViewer({ evidence, onClose }: { evidence: Evidence | undefined; onClose: () => void }) {
  return (
    <Modal open={Boolean(evidence)} onCancel={onClose} footer={null} width={880} title={evidence ? `${evidence.kind.label}` : ''} destroyOnHidden>
      {evidence && <EvidenceContent evidence={evidence} />}
    </Modal>
  );
}

/** How to show a file: by its content type (a document may be a photographed page or a PDF), asked with HEAD. */
function useMediaType(url: string, kind: string) {
  const head = useQuery({
    queryKey: ['evidence-type', url],
    queryFn: async () => (await fetch(url, { method: 'HEAD', credentials: 'same-origin' })).headers.get('content-type') ?? '',
    staleTime: Infinity,
    enabled: kind === 'document' || kind === 'video',
  });
  if (kind === 'photo' || kind === 'signature') return 'image';
  const type = head.data ?? '';
  if (head.isPending) return 'pending';
  return type.startsWith('image/') ? 'image' : type.startsWith('video/') ? 'video' : type === 'application/pdf' ? 'pdf' : kind === 'video' ? 'video' : 'other';
}

export function EvidenceContent({ evidence }: { evidence: Evidence }) {
  const media = useMediaType(evidence.url, evidence.kind.code);
  return (
    <div>
      {media === 'pending' && <Skeleton.Image active />}
      {media === 'image' && <img src={evidence.url} alt={evidence.kind.label} style={{ maxWidth: '100%', maxHeight: '70vh', display: 'block', margin: '0 auto', background: '#fff' }} />}
      {media === 'video' && <video src={evidence.url} controls style={{ width: '100%', maxHeight: '70vh' }} aria-label={evidence.kind.label} />}
      {media === 'pdf' && <iframe src={evidence.url} title={evidence.kind.label} style={{ width: '100%', height: '70vh', border: '1px solid #d9d9d9' }} />}
      {media === 'other' && <Typography.Text>此类文件无法在页面中预览，请在新窗口打开或下载。</Typography.Text>}
      <p style={{ marginTop: 8 }}><a href={evidence.url} target="_blank" rel="noreferrer">在新窗口打开</a>（sha256 {evidence.sha256.slice(0, 12)}…）</p>
    </div>
  );
}
