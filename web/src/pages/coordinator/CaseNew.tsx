/** 开案: a one-off need of a subject; a refused eligibility (409) shows why and lets a coordinator open anyway with a written reason (audited). */
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Card, Checkbox, Form, Input, Select, Space, Typography, App as AntApp } from 'antd';
import { api, ApiError, call } from '../../api/client';
import { ErrorAlert, markFieldErrors } from '../../components/States';
import { SubjectPicker } from '../../components/SubjectPicker';
import { useCatalog, useRequestKeys } from '../../lib/queries';
import { useMe } from '../../session';

interface Values { subjectId: string; itemCode: string; actionCode: string; greenChannel?: boolean; notes?: string; overrideReason?: string }

export default function CaseNew() {
  const me = useMe();
  const [params] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const itemCode = Form.useWatch('itemCode', form);
  const catalog = useCatalog();
  const navigate = useNavigate();
  const { message } = AntApp.useApp();
  const keyFor = useRequestKeys();
  const [error, setError] = useState<unknown>();
  const [refused, setRefused] = useState(false);
  const [busy, setBusy] = useState(false);
  const items = catalog.data?.items.filter((i) => !i.ongoing) ?? [];
  const item = items.find((i) => i.code === itemCode);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        subjectId: v.subjectId, itemCode: v.itemCode, actionCode: v.actionCode, greenChannel: Boolean(v.greenChannel),
        ...(v.notes ? { notes: v.notes } : {}), ...(v.overrideReason ? { override: { reason: v.overrideReason } } : {}),
      };
      const created = await call(api.POST('/v1/cases', { body, headers: { 'Idempotency-Key': keyFor(body) } }));
      message.success('已开案');
      void navigate(`/cases/${created.id}`);
    } catch (e) {
      markFieldErrors(form, e);
      setRefused(e instanceof ApiError && e.status === 409);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%', maxWidth: 760 }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>开案</Typography.Title>
      <ErrorAlert error={error} />
      <Card size="small">
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ subjectId: params.get('subjectId') ?? undefined }}>
          <Form.Item label="服务对象" name="subjectId" rules={[{ required: true, message: '请选择服务对象' }]}>
            {params.get('subjectId') ? <Input disabled /> : <SubjectPicker />}
          </Form.Item>
          <Form.Item label="服务事项（一次性办理）" name="itemCode" rules={[{ required: true, message: '请选择服务事项' }]}>
            <Select showSearch optionFilterProp="label" options={items.map((i) => ({ value: i.code, label: `${i.number}. ${i.label}` }))}
              onChange={() => { form.setFieldsValue({ actionCode: undefined, overrideReason: undefined }); setRefused(false); setError(undefined); }} />
          </Form.Item>
          <Form.Item label="办理事项" name="actionCode" rules={[{ required: true, message: '请选择办理事项' }]}
            extra={item?.eligibility ? `服务对象条件：${item.eligibility.label}` : undefined}>
            <Select disabled={!item} options={item?.actions.map((a) => ({ value: a.code, label: `${a.label}（承办：${a.implementing.label}，共 ${a.totalWorkingDays} 个工作日）` }))} />
          </Form.Item>
          <Form.Item name="greenChannel" valuePropName="checked"><Checkbox>绿色通道（缩短期限、优先办理）</Checkbox></Form.Item>
          <Form.Item label="备注" name="notes"><Input.TextArea rows={2} maxLength={2000} /></Form.Item>
          {refused && me.role.code === 'coordinator' && (
            <>
              <Alert type="warning" showIcon title="不符合该事项的服务对象条件。如确需办理，请写明理由（将留痕）。" style={{ marginBottom: 12 }} />
              <Form.Item label="仍予办理的理由" name="overrideReason" rules={[{ min: 4, message: '至少 4 个字' }]}><Input.TextArea rows={2} maxLength={500} /></Form.Item>
            </>
          )}
          <Button type="primary" htmlType="submit" loading={busy}>开案</Button>
        </Form>
      </Card>
    </Space>
  );
}
