/** 服务计划: the plans in the worker's scope, this period's progress against the cadence, and recording a session (through the outbox). */
import { useState } from 'react';
import { Button, Card, DatePicker, Form, Input, InputNumber, Modal, Space, Tag, Typography, App as AntApp } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { api, call, idempotencyKey, type paths } from '../../api/client';
import { EmptyState, QueryView } from '../../components/States';
import { enqueue } from '../../lib/outbox';
import { shanghaiDate } from '../../lib/format';
import { useMe } from '../../session';

type PlanRow = paths['/v1/plans']['get']['responses'][200]['content']['application/json']['items'][number];

export default function Plans() {
  const plans = useQuery({ queryKey: ['plans', 'active'], queryFn: () => call(api.GET('/v1/plans', { params: { query: { status: 'active', limit: 100 } } })) });
  const [recording, setRecording] = useState<PlanRow>();
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>服务计划</Typography.Title>
      <QueryView query={plans}>
        {(d) => d.items.length === 0 ? <EmptyState description="暂无服务中的服务计划" /> : (
          <Space direction="vertical" style={{ width: '100%' }}>
            {d.items.map((p) => (
              <Card key={p.id} size="small" title={`${p.item.label}（${p.provider.name}）`} extra={<Button type="primary" size="small" onClick={() => setRecording(p)}>记录服务</Button>}>
                <div>{p.county.label} · {p.department.label} · 自 {p.startDate}</div>
                {p.progress && (
                  <div>本期（{p.currentPeriod}）：{p.progress.label} <Tag color={p.progress.done >= p.progress.required ? 'green' : 'orange'}>{p.progress.done}/{p.progress.required}</Tag></div>
                )}
                {p.lastPeriodCompliant === false && <Tag color="red">上期未达标</Tag>}
              </Card>
            ))}
          </Space>
        )}
      </QueryView>
      {recording && <SessionModal plan={recording} onClose={() => setRecording(undefined)} />}
    </Space>
  );
}

function SessionModal({ plan, onClose }: { plan: PlanRow; onClose: () => void }) {
  const me = useMe();
  const [form] = Form.useForm<{ date: Dayjs; units: number; providerStaff: string; content: string }>();
  const { message } = AntApp.useApp();
  const today = shanghaiDate(new Date());
  return (
    <Modal open title={`记录服务：${plan.item.label}`} okText="保存" cancelText="取消" onCancel={onClose} onOk={() => form.submit()} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={{ date: dayjs(today), providerStaff: me.displayName }} onFinish={async (v) => {
        await enqueue({
          key: idempotencyKey(), kind: 'step', label: `记录服务：${plan.item.label} ${v.date.format('YYYY-MM-DD')}`, userId: me.id, path: `/v1/plans/${plan.id}/sessions`,
          body: { date: v.date.format('YYYY-MM-DD'), units: v.units, providerStaff: v.providerStaff.trim(), content: v.content.trim() },
        });
        message.success(navigator.onLine ? '已提交' : '已保存在本机，联网后自动发送');
        onClose();
      }}>
        <Form.Item label="服务日期" name="date" rules={[{ required: true, message: '请选择日期' }]}>
          <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.format('YYYY-MM-DD') > today} inputReadOnly />
        </Form.Item>
        <Form.Item label={plan.item.code === 'HOME_SCHOOLING' ? '课时' : '服务时长（分钟）'} name="units" rules={[{ required: true, message: '请填写时长' }]}>
          <InputNumber min={0.5} max={1440} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item label="服务人员" name="providerStaff" rules={[{ required: true, message: '请填写服务人员' }]}><Input maxLength={100} /></Form.Item>
        <Form.Item label="服务内容" name="content" rules={[{ required: true, message: '请填写服务内容' }]}><Input.TextArea rows={3} maxLength={2000} /></Form.Item>
      </Form>
    </Modal>
  );
}
