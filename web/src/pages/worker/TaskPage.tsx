/**
 * One task on the phone: who and where (tap to call), the deadline, booking the visit, evidence from
 * the camera, the signature, the visit report (done, nobody home, refused). Bookings, files and
 * reports go through the outbox (lib/outbox.ts): without a network they wait on the phone and are
 * sent when it returns; this page shows what is still waiting for this case.
 */
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Alert, Button, Input, Radio, Space, Tag, Typography, App as AntApp } from 'antd';
import { findAction, missingEvidence } from '../../../../domain/catalog';
import { EVIDENCE_KIND_LABELS, type EvidenceKind } from '../../../../domain/vocabulary';
import { VISIT_OUTCOME_LABELS, type VisitOutcome } from '../../../../domain/caseFlow';
import { idempotencyKey, type CaseView } from '../../api/client';
import { QueryView } from '../../components/States';
import { CaseActions } from '../../components/CaseActions';
import { CallButton } from '../../components/CallButton';
import { CaseTimeline, Deadline, EvidenceThumbs, StatusTags } from '../../components/CaseParts';
import { SignaturePad } from '../../components/SignaturePad';
import { allowedActions, useCase, useSubject } from '../../lib/queries';
import { enqueue, sha256Hex, useOutbox, type OutboxEntry } from '../../lib/outbox';
import { formatDateTime, shanghaiInstant } from '../../lib/format';
import { useMe } from '../../session';
import { pendingVisit } from './MyTasks';
import { UploadProgress } from '../../components/UploadProgress';
import { Panel } from '../../components/Panel';

export default function TaskPage() {
  const { id } = useParams();
  const query = useCase(id);
  return <QueryView query={query}>{(c) => <Task c={c} />}</QueryView>;
}

function Task({ c }: { c: CaseView }) {
  const me = useMe();
  const subject = useSubject(c.subjectId);
  const outbox = useOutbox();
  const mine = outbox.entries.filter((e) => e.caseId === c.id && e.userId === me.id);
  const allowed = Object.fromEntries(allowedActions(c).map((a) => [a.action, a]));
  const visit = pendingVisit(c);
  const s = subject.data;

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Link to="/tasks">‹ 我的任务</Link>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 18 }}>{s?.name ?? '…'} · {c.action.label}</Typography.Title>
      <StatusTags c={c} />
      <Panel>
        <Space direction="vertical" size={4} style={{ width: '100%' }}>
          <div>服务事项：{c.item.label}</div>
          <div>地址：{s ? [s.county.label, s.township, s.community, s.address].filter(Boolean).join(' ') : '…'}</div>
          {s && <Space wrap><CallButton caseId={c.id} masked={s.phone} />{s.guardian?.phone && <CallButton caseId={c.id} masked={s.guardian.phone} guardian />}</Space>}
          <div>本步骤期限：<Deadline dueAt={c.dueAt} open={c.status.code === 'open'} /></div>
          <div>预约上门：{visit ? <strong>{formatDateTime(visit)}</strong> : '尚未预约'}</div>
        </Space>
      </Panel>
      {mine.length > 0 && <Pending entries={mine} />}
      {c.status.code === 'open' && c.step.code === 'visit' && (
        <>
          <ScheduleCard c={c} reason={allowed.schedule_visit && !allowed.schedule_visit.allowed ? allowed.schedule_visit.reason : undefined} hasVisit={Boolean(visit)} />
          <EvidenceCard c={c} />
          <ReportCard c={c} queued={mine} reason={allowed.visit_report && !allowed.visit_report.allowed ? allowed.visit_report.reason : undefined} />
        </>
      )}
      <CaseActions view={c} exclude={['schedule_visit', 'visit_report']} hideForbidden title="其他操作" />
      <Panel title={`已上传的佐证材料（${c.evidence.length}）`}><EvidenceThumbs c={c} /></Panel>
      <Panel title="办理记录"><CaseTimeline c={c} /></Panel>
    </Space>
  );
}

function Pending({ entries }: { entries: OutboxEntry[] }) {
  const { progress, sendingSeq } = useOutbox();
  return (
    <Alert type={entries.some((e) => e.status === 'failed') ? 'error' : 'warning'} showIcon title={`本案有 ${entries.length} 项待发送`} description={
      <ul style={{ margin: 0, paddingInlineStart: 18 }} aria-label="本案待发送">
        {entries.map((e) => (
          <li key={e.seq}>
            {e.label} {e.status === 'failed' ? <Tag color="red">未成功：{e.error}</Tag> : sendingSeq === e.seq ? <Tag color="blue">正在发送</Tag> : <Tag>等待网络</Tag>}
            {progress.has(e.seq!) && <UploadProgress fraction={progress.get(e.seq!)!} label={e.label} />}
          </li>
        ))}
      </ul>
    } />
  );
}

function ScheduleCard({ c, reason, hasVisit }: { c: CaseView; reason?: string; hasVisit: boolean }) {
  const me = useMe();
  const { message } = AntApp.useApp();
  // The phone's own date-time picker; the wall time picked is Beijing time whatever the phone's zone.
  const [at, setAt] = useState('');
  const book = async () => {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at);
    if (!m) return;
    const [year, month, day, hour, minute] = m.slice(1).map(Number);
    const scheduledAt = shanghaiInstant({ year, month, day, hour, minute });
    await enqueue({ key: idempotencyKey(), kind: 'step', label: `${hasVisit ? '改约' : '预约'}上门：${formatDateTime(scheduledAt)}`, userId: me.id, caseId: c.id, path: `/v1/cases/${c.id}/schedule-visit`, body: { scheduledAt } });
    message.success(navigator.onLine ? '已提交预约' : '已保存，联网后自动发送');
    setAt('');
  };
  return (
    <Panel title={hasVisit ? '改约上门时间' : '预约上门时间'}>
      {reason && <Alert type="info" showIcon title={reason} style={{ marginBottom: 8 }} />}
      <Space wrap>
        <label htmlFor={`visit-at-${c.id}`}>上门时间（北京时间）</label>
        <Input id={`visit-at-${c.id}`} type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} disabled={Boolean(reason)} style={{ width: 220 }} />
        <Button type="primary" disabled={!at || Boolean(reason)} onClick={() => void book()}>{hasVisit ? '确认改约' : '确认预约'}</Button>
      </Space>
    </Panel>
  );
}

function EvidenceCard({ c }: { c: CaseView }) {
  const me = useMe();
  const [kind, setKind] = useState<EvidenceKind>('photo');
  const [busy, setBusy] = useState(false);
  const { message } = AntApp.useApp();
  const add = async (file: Blob, name: string, k: EvidenceKind) => {
    const sha256 = await sha256Hex(file);
    await enqueue({ key: idempotencyKey(), kind: 'evidence', label: `上传${EVIDENCE_KIND_LABELS[k]}：${name}`, userId: me.id, caseId: c.id, path: `/v1/cases/${c.id}/evidence`, file, fileName: name, sha256, evidenceKind: k });
  };
  const onFiles = async (picked: FileList | null) => {
    // Taken now: the input is cleared for the next photo while these are being stored.
    const files = Array.from(picked ?? []);
    if (!files.length) return;
    setBusy(true);
    try {
      for (const f of files) await add(f, f.name, f.type.startsWith('video/') ? 'video' : f.type === 'application/pdf' ? 'document' : kind);
      message.success(navigator.onLine ? `已加入上传：${files.length} 个文件` : `已保存在本机：${files.length} 个文件，联网后自动上传`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="拍照 / 录像取证">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Radio.Group value={kind} onChange={(e) => setKind(e.target.value as EvidenceKind)} optionType="button"
          options={(['photo', 'video', 'document'] as const).map((k) => ({ value: k, label: EVIDENCE_KIND_LABELS[k] }))} aria-label="材料类型" />
        <label className="ant-btn ant-btn-primary" style={{ display: 'inline-flex', alignItems: 'center', padding: '6px 16px', borderRadius: 6, cursor: 'pointer', width: 'fit-content', color: '#fff', background: '#1458c6' }}>
          {busy ? '正在保存…' : '拍摄或选择文件'}
          <input type="file" accept="image/*,video/*" capture="environment" multiple onChange={(e) => { void onFiles(e.target.files); e.target.value = ''; }}
            style={{ position: 'absolute', width: 1, height: 1, opacity: 0 }} aria-label="拍摄或选择照片、录像" data-testid="evidence-input" />
        </label>
        <Typography.Text strong>签字确认</Typography.Text>
        <SignaturePad onSave={(png) => add(png, `签字-${formatDateTime(new Date().toISOString()).replace(/[/: ]/g, '')}.png`, 'signature')} />
      </Space>
    </Panel>
  );
}

function ReportCard({ c, queued, reason }: { c: CaseView; queued: OutboxEntry[]; reason?: string }) {
  const me = useMe();
  const { message } = AntApp.useApp();
  const [outcome, setOutcome] = useState<VisitOutcome>();
  const [notes, setNotes] = useState('');
  const [tried, setTried] = useState(false);
  // Evidence for this visit: uploaded and not yet named by a report, plus files still waiting in the outbox.
  const evidence = useMemo(() => {
    const reported = new Set(c.visits.flatMap((v) => v.evidence.map((e) => e.sha256)));
    const list = c.evidence.filter((e) => !reported.has(e.sha256)).map((e) => ({ sha256: e.sha256, kind: e.kind.code as EvidenceKind }));
    for (const e of queued) if (e.kind === 'evidence' && e.sha256 && !list.some((x) => x.sha256 === e.sha256)) list.push({ sha256: e.sha256, kind: e.evidenceKind ?? 'photo' });
    return list;
  }, [c, queued]);
  const action = findAction(c.item.code, c.action.code)?.action;
  const missing = action && outcome === 'done' ? missingEvidence(action, evidence.map((e) => e.kind)) : [];
  const reportQueued = queued.some((e) => e.path.endsWith('/visit-report'));
  const disabled = Boolean(reason) || reportQueued;

  const submit = async () => {
    setTried(true);
    if (!outcome) return;
    await enqueue({
      key: idempotencyKey(), kind: 'step', label: `登记上门结果：${VISIT_OUTCOME_LABELS[outcome]}${outcome === 'done' ? `（佐证 ${evidence.length} 项）` : ''}`,
      userId: me.id, caseId: c.id, path: `/v1/cases/${c.id}/visit-report`,
      body: { outcome, evidence: outcome === 'done' ? evidence : [], ...(notes.trim() ? { notes: notes.trim() } : {}) },
    });
    message.success(navigator.onLine ? '已提交上门结果' : '上门结果已保存在本机，联网后自动发送');
    setOutcome(undefined);
    setNotes('');
    setTried(false);
  };

  return (
    <Panel title="登记上门结果">
      {reason && <Alert type="info" showIcon title={reason} style={{ marginBottom: 8 }} />}
      {reportQueued && <Alert type="warning" showIcon title="上门结果已登记，正在等待发送" style={{ marginBottom: 8 }} />}
      <Space direction="vertical" style={{ width: '100%' }}>
        <span id={`outcome-${c.id}`}>结果</span>
        <Radio.Group aria-labelledby={`outcome-${c.id}`} optionType="button" buttonStyle="solid" value={outcome} onChange={(e) => setOutcome(e.target.value as VisitOutcome)} disabled={disabled}
          options={(['done', 'nobody_home', 'refused'] as const).map((o) => ({ value: o, label: VISIT_OUTCOME_LABELS[o] }))} />
        {tried && !outcome && <Typography.Text type="danger" role="alert">请选择上门结果</Typography.Text>}
        {outcome === 'done' && (
          <div>
            <div>随附佐证材料 {evidence.length} 项：{evidence.map((e) => EVIDENCE_KIND_LABELS[e.kind]).join('、') || '无'}</div>
            {missing.length > 0 && <Alert type="warning" showIcon title={`还缺：${missing.map((m) => m.label).join('、')}`} />}
          </div>
        )}
        <label htmlFor={`notes-${c.id}`}>情况说明</label>
        <Input.TextArea id={`notes-${c.id}`} rows={2} maxLength={2000} value={notes} onChange={(e) => setNotes(e.target.value)} disabled={disabled} />
        <Button type="primary" block size="large" disabled={disabled} onClick={() => void submit()}>提交上门结果</Button>
      </Space>
    </Panel>
  );
}
