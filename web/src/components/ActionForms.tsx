/** The form of each case action (opened from CaseActions), loaded on demand. */
import { useState } from 'react';
import { Alert, DatePicker, Form, Input, Modal, Radio, Select, App as AntApp } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Dayjs } from 'dayjs';
import { CANCEL_REASON_LABELS, CANCEL_REASONS, type CaseAction } from '../../../domain/caseFlow';
import { DELIVERY_METHOD_LABELS } from '../../../domain/vocabulary';
import { csrfHeaders, type CaseView } from '../api/client';
import { postStep, stepPath, useRequestKeys, type AllowedAction } from '../lib/queries';
import { shanghaiInstant } from '../lib/format';
import { ErrorAlert, markFieldErrors } from './States';
import { ReviewForm } from './ReviewForm';

export default function ActionModal({ view, action, onClose }: { view: CaseView; action: AllowedAction; onClose: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const { message } = AntApp.useApp();
  const keyFor = useRequestKeys();

  const submit = async (body: Record<string, unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await postStep(stepPath(action.action), view.id, body as never, keyFor(body));
      queryClient.setQueryData(['case', view.id], next);
      void queryClient.invalidateQueries({ queryKey: ['case', view.id] });
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
      message.success(`${action.label}：已办理`);
      onClose();
    } catch (e) {
      markFieldErrors(form, e);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const onFinish = (v: Record<string, unknown>) => {
    const a = action.action;
    if (a === 'schedule_visit') {
      const t = v.scheduledAt as Dayjs;
      return submit({ scheduledAt: shanghaiInstant({ year: t.year(), month: t.month() + 1, day: t.date(), hour: t.hour(), minute: t.minute() }), ...(v.note ? { note: v.note } : {}) });
    }
    if (a === 'supplement') return submit({ documents: String(v.documents).split(/[，,、\n]/).map((s) => s.trim()).filter(Boolean) });
    if (a === 'confirm_receipt' || a === 'resume' || a === 'green_channel') return submit({});
    return submit(Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '')));
  };

  if (action.action === 'review') {
    return (
      <Modal open title={action.label} onCancel={onClose} footer={null} destroyOnHidden width={560}>
        <ReviewForm view={view} onDone={onClose} />
      </Modal>
    );
  }

  return (
    <Modal open title={action.label} onCancel={onClose} okText="确定" cancelText="取消" confirmLoading={busy} onOk={() => form.submit()} destroyOnHidden>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" onFinish={onFinish}>
        <ActionFields view={view} action={action.action} />
      </Form>
    </Modal>
  );
}

function ActionFields({ view, action }: { view: CaseView; action: CaseAction }) {
  switch (action) {
    case 'assign':
      return <AssigneeField caseId={view.id} />;
    case 'schedule_visit':
      return (
        <>
          <Form.Item label="上门时间（北京时间）" name="scheduledAt" rules={[{ required: true, message: '请选择上门时间' }]}>
            <DatePicker showTime={{ format: 'HH:mm', minuteStep: 5 }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item label="备注" name="note"><Input maxLength={500} /></Form.Item>
        </>
      );
    case 'visit_report':
      return (
        <>
          <Form.Item label="上门结果" name="outcome" rules={[{ required: true, message: '请选择上门结果' }]}>
            <Radio.Group options={[{ value: 'done', label: '已办理' }, { value: 'nobody_home', label: '无人在家' }, { value: 'refused', label: '拒绝办理' }]} />
          </Form.Item>
          <Form.Item label="情况说明" name="notes"><Input.TextArea maxLength={2000} rows={3} /></Form.Item>
        </>
      );
    case 'supplement':
      return (
        <Form.Item label="补交的材料（多项用顿号分隔）" name="documents" rules={[{ required: true, message: '请填写补交的材料' }]}>
          <Input.TextArea rows={2} defaultValue={view.supplement?.missing.join('、')} />
        </Form.Item>
      );
    case 'deliver':
      return (
        <>
          <Form.Item label="送达方式" name="method" rules={[{ required: true, message: '请选择送达方式' }]}>
            <Radio.Group options={Object.entries(DELIVERY_METHOD_LABELS).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item label="快递单号（快递送达时必填）" name="trackingNumber"><Input maxLength={40} /></Form.Item>
        </>
      );
    case 'cancel':
      return (
        <>
          <Form.Item label="撤销原因" name="reason" rules={[{ required: true, message: '请选择撤销原因' }]}>
            <Select options={CANCEL_REASONS.map((r) => ({ value: r, label: CANCEL_REASON_LABELS[r] }))} />
          </Form.Item>
          <Form.Item label="说明" name="detail"><Input.TextArea maxLength={500} rows={2} /></Form.Item>
        </>
      );
    case 'hold':
      return <Form.Item label="暂停原因" name="reason" rules={[{ required: true, message: '请填写暂停原因' }]}><Input.TextArea maxLength={500} rows={2} /></Form.Item>;
    case 'confirm_receipt':
      return <Alert type="info" showIcon title="确认服务对象已签收证照或结果？" />;
    case 'resume':
      return <Alert type="info" showIcon title="恢复后，期限顺延暂停的工作时间。" />;
    case 'green_channel':
      return <Alert type="warning" showIcon title="开启绿色通道后各步骤期限缩短、优先办理，且不可撤回。" />;
    default:
      return null;
  }
}

interface Assignee { id: string; displayName: string; username?: string; open?: number }

/** The workers this case may go to (GET /v1/cases/:id/assignees); a user id by hand when that list is unavailable. */
function AssigneeField({ caseId }: { caseId: string }) {
  const list = useQuery({
    queryKey: ['assignees', caseId],
    queryFn: async () => {
      const res = await fetch(`/v1/cases/${encodeURIComponent(caseId)}/assignees`, { credentials: 'same-origin', headers: csrfHeaders() });
      if (!res.ok) throw new Error(String(res.status));
      return (await res.json() as { items: Assignee[] }).items;
    },
    retry: false,
  });
  if (list.isSuccess) {
    return (
      <Form.Item label="上门工作人员" name="assignee" rules={[{ required: true, message: '请选择工作人员' }]}>
        <Select
          showSearch optionFilterProp="label" placeholder={list.data.length ? '选择工作人员' : '本部门暂无可分派的工作人员'}
          options={list.data.map((u) => ({ value: u.id, label: `${u.displayName}${u.open !== undefined ? `（在办 ${u.open} 件）` : ''}` }))}
        />
      </Form.Item>
    );
  }
  return (
    <Form.Item label="工作人员编号" name="assignee" rules={[{ required: true, message: '请填写工作人员编号' }]} extra={list.isPending ? '正在读取工作人员名单…' : undefined}>
      <Input />
    </Form.Item>
  );
}
