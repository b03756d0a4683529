/**
 * Editing a ledger row: before the month is shared, the row itself (PATCH /v1/ledger/entries/:id); after,
 * a correction (POST /v1/ledger/amendments) — a new row in this month's ledger pointing at the original,
 * with the reason. Only the columns the API lets change are offered; the API's field errors are marked.
 */
import { Alert, Form, Input, Modal, Select, App as AntApp } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { DELIVERY_METHOD_LABELS, DELIVERY_METHODS, type DeliveryMethod } from '../../../../domain/vocabulary';
import { api, call, type paths } from '../../api/client';
import { errorMessage, markFieldErrors } from '../../components/States';

export type LedgerEntry = paths['/v1/ledger']['get']['responses'][200]['content']['application/json']['items'][number];
type Changes = NonNullable<paths['/v1/ledger/entries/{id}']['patch']['requestBody']>['content']['application/json']['changes'];

interface Values {
  changes: { visitedOn: string; handledBy: string; result: string; deliveryMethod?: DeliveryMethod; deliveredOn: string; remarks: string };
  reason?: string;
}

const methodOf = (label: string | null) => DELIVERY_METHODS.find((m) => DELIVERY_METHOD_LABELS[m] === label);

function initialValues(e: LedgerEntry): Values {
  const r = e.row;
  return {
    changes: {
      visitedOn: r.visitedOn ?? '', handledBy: r.handledBy ?? '', result: r.result, deliveryMethod: methodOf(r.deliveryMethod),
      deliveredOn: r.deliveredOn ?? '', remarks: r.remarks,
    },
  };
}

/** Only the columns that changed; a cleared optional column is null. */
function changedColumns(before: Values['changes'], after: Values['changes']): Changes {
  const out: Record<string, unknown> = {};
  for (const k of ['visitedOn', 'handledBy', 'deliveredOn'] as const) if (after[k] !== before[k]) out[k] = after[k] || null;
  if (after.deliveryMethod !== before.deliveryMethod) out.deliveryMethod = after.deliveryMethod ?? null;
  if (after.result !== before.result) out.result = after.result;
  if (after.remarks !== before.remarks) out.remarks = after.remarks;
  return out as Changes;
}

export function LedgerEntryForm({ entry, amend, onClose }: { entry: LedgerEntry; amend: boolean; onClose: () => void }) {
  const [form] = Form.useForm<Values>();
  const { message } = AntApp.useApp();
  const queryClient = useQueryClient();
  const initial = initialValues(entry);
  const save = useMutation({
    mutationFn: async (v: Values) => {
      const changes = changedColumns(initial.changes, v.changes);
      if (amend) {
        return call(api.POST('/v1/ledger/amendments', { body: { ledgerEntryId: entry.id, changes, reason: v.reason ?? '' } }));
      }
      return call(api.PATCH('/v1/ledger/entries/{id}', { params: { path: { id: entry.id } }, body: { changes } }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['ledger'] });
      if (amend) {
        message.success(`更正已记入 ${saved.month} 台账（${entry.month} 台账的原记录保持不变）`);
      } else {
        message.success('已保存');
      }
      onClose();
    },
    onError: (e) => { markFieldErrors(form, e); },
  });
  const title = `${amend ? '更正' : '修改'}台账记录：第 ${entry.serial ?? ''} 行 ${entry.row.subjectName}`;
  return (
    <Modal
      open title={title} okText={amend ? '提交更正' : '保存'} cancelText="取消" onCancel={onClose} destroyOnHidden
      okButtonProps={{ loading: save.isPending }} onOk={() => void form.validateFields().then((v) => save.mutate(v))}
    >
      {amend && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={`${entry.month} 台账已共享，原记录不可修改`}
          description="提交的更正将作为一条新记录记入本月台账，注明所更正的原记录与原因。" />
      )}
      {save.isError && <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title="未保存" description={errorMessage(save.error)} />}
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item label="上门日期" name={['changes', 'visitedOn']}><Input type="date" /></Form.Item>
        <Form.Item label="经办人" name={['changes', 'handledBy']}><Input maxLength={50} /></Form.Item>
        <Form.Item label="办理结果" name={['changes', 'result']}><Input maxLength={200} /></Form.Item>
        <Form.Item label="送达方式" name={['changes', 'deliveryMethod']}>
          <Select allowClear placeholder="未送达" options={DELIVERY_METHODS.map((m) => ({ value: m, label: DELIVERY_METHOD_LABELS[m] }))} />
        </Form.Item>
        <Form.Item label="送达日期" name={['changes', 'deliveredOn']}><Input type="date" /></Form.Item>
        <Form.Item label="备注" name={['changes', 'remarks']}><Input.TextArea maxLength={500} autoSize={{ minRows: 2 }} /></Form.Item>
        {amend && (
          <Form.Item label="更正原因" name="reason" rules={[{ required: true, min: 2, message: '请填写更正原因（至少 2 个字）' }]}>
            <Input.TextArea maxLength={500} autoSize={{ minRows: 2 }} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
