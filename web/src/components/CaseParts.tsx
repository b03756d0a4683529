/** The pieces of a case every role reads, the worker's phone included: status, working-day deadline, evidence, timeline (the desk's summary table is CaseSummary.tsx). */
import { useState } from 'react';
import { Modal, Skeleton, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { CaseView } from '../api/client';
import { CASE_STEP_LABELS } from '../../../domain/vocabulary';
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

export function CaseTimeline({ c }: { c: CaseView }) {
  const tone = (type: string) => (type === 'overdue' || type === 'escalated' || type === 'rejected' ? '#c41d1d' : type === 'closed' ? '#237804' : '#1458c6');
  return (
    <ol className="timeline" aria-label="办理记录">
      {[...c.timeline].reverse().map((e) => (
        <li key={e.seq} style={{ borderColor: tone(e.type) }}>
          <strong>{e.label}{e.type === 'step_started' && e.step ? `：${CASE_STEP_LABELS[e.step]}` : ''}</strong> <span className="muted">{formatDateTime(e.at)}</span>
          {e.data && typeof e.data.reason === 'string' && <div>原因：{e.data.reason}</div>}
          {e.data && typeof e.data.note === 'string' && <div>备注：{e.data.note}</div>}
        </li>
      ))}
    </ol>
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
      <p style={{ marginTop: 8 }}>
        <a href={evidence.url} target="_blank" rel="noreferrer">在新窗口打开</a>{' · '}
        <a href={`${evidence.url}${evidence.url.includes('?') ? '&' : '?'}download=true`}>下载</a>（sha256 {evidence.sha256.slice(0, 12)}…）
      </p>
    </div>
  );
}
