/** The reviewer's decision: 审核通过; 容缺受理 with the missing documents and the date they are due; 退回; 不予办理. */
import { useState } from 'react';
import { Button, DatePicker, Form, Input, Radio, Select, App as AntApp } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import type { Dayjs } from 'dayjs';
import { REVIEW_DECISION_LABELS, REVIEW_DECISIONS, type ReviewDecision } from '../../../domain/caseFlow';
import type { CaseView } from '../api/client';
import { postStep, useRequestKeys } from '../lib/queries';
import { shanghaiDate } from '../lib/format';
import { ErrorAlert, markFieldErrors } from './States';

export function ReviewForm({ view, onDone }: { view: CaseView; onDone?: () => void }) {
  const [form] = Form.useForm();
  const decision = Form.useWatch('decision', form) as ReviewDecision | undefined;
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const { message } = AntApp.useApp();
  const keyFor = useRequestKeys();

  const submit = async (v: { decision: ReviewDecision; missing?: string[]; supplementDueDate?: Dayjs; reason?: string; note?: string }) => {
    setBusy(true);
    setError(undefined);
    const body = v.decision === 'approve' ? { decision: v.decision, ...(v.note ? { note: v.note } : {}) }
      : v.decision === 'approve_with_missing' ? { decision: v.decision, missing: v.missing ?? [], supplementDueDate: v.supplementDueDate!.format('YYYY-MM-DD'), ...(v.note ? { note: v.note } : {}) }
        : { decision: v.decision, reason: v.reason ?? '' };
    try {
      const next = await postStep('/v1/cases/{id}/review', view.id, body, keyFor(body));
      queryClient.setQueryData(['case', view.id], next);
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
      message.success(`审核结果已登记：${REVIEW_DECISION_LABELS[v.decision]}`);
      onDone?.();
    } catch (e) {
      markFieldErrors(form, e);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const today = shanghaiDate(new Date());
  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={{ decision: 'approve' }}>
      <ErrorAlert error={error} />
      <Form.Item label="审核意见" name="decision" rules={[{ required: true }]}>
        <Radio.Group optionType="button" buttonStyle="solid" options={REVIEW_DECISIONS.map((d) => ({ value: d, label: REVIEW_DECISION_LABELS[d] }))} />
      </Form.Item>
      {decision === 'approve_with_missing' && (
        <>
          <Form.Item label="缺少的材料（输入后回车，可填多项）" name="missing" rules={[{ required: true, message: '请填写缺少的材料' }]}>
            <Select mode="tags" open={false} tokenSeparators={['，', ',', '、']} placeholder="如：户口簿复印件" aria-label="缺少的材料" />
          </Form.Item>
          <Form.Item label="补交期限" name="supplementDueDate" rules={[{ required: true, message: '请选择补交期限' }]}>
            <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.format('YYYY-MM-DD') < today} />
          </Form.Item>
        </>
      )}
      {(decision === 'return' || decision === 'reject') && (
        <Form.Item label={decision === 'return' ? '退回原因' : '不予办理的原因'} name="reason" rules={[{ required: true, message: '请填写原因' }]}>
          <Input.TextArea rows={3} maxLength={500} />
        </Form.Item>
      )}
      {(decision === 'approve' || decision === 'approve_with_missing') && (
        <Form.Item label="备注" name="note"><Input maxLength={500} /></Form.Item>
      )}
      <Button type="primary" htmlType="submit" loading={busy} block>提交审核意见</Button>
    </Form>
  );
}
