/**
 * 通知设置: which external channels (企业微信, 钉钉, 短信, 电子邮件) also bring the user's notifications,
 * and the mobile number and email address they go to. Channels the system has not configured are shown
 * but cannot be chosen; the API's 400 (e.g. a bad address, SMS without a number) is marked on the field.
 */
import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, Input, Space, Typography, App as AntApp } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert, markFieldErrors, QueryView } from '../../components/States';
import { LinkButton } from '../../components/LinkButton';
import { NOTIFICATIONS_KEY } from '../../lib/notifications';

type Preferences = paths['/v1/me/notification-preferences']['get']['responses'][200]['content']['application/json'];
type Channel = Preferences['channels'][number]['channel']['code'];
interface Values { channels: Channel[]; mobile: string; email: string }

const PREFERENCES_KEY = [...NOTIFICATIONS_KEY, 'preferences'];

export default function NotificationSettings() {
  const prefs = useQuery({ queryKey: PREFERENCES_KEY, queryFn: () => call(api.GET('/v1/me/notification-preferences')) });
  return (
    <Space direction="vertical" size={12} style={{ width: '100%', maxWidth: 720 }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>通知设置</Typography.Title>
        <LinkButton to="/inbox">返回消息</LinkButton>
      </Space>
      <QueryView query={prefs}>{(p) => <PreferencesForm prefs={p} />}</QueryView>
    </Space>
  );
}

function PreferencesForm({ prefs }: { prefs: Preferences }) {
  const [form] = Form.useForm<Values>();
  const queryClient = useQueryClient();
  const { message } = AntApp.useApp();
  const [error, setError] = useState<unknown>();
  /** The API named fields: they are marked on the form, and the alert only says so. */
  const [marked, setMarked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [quietFrom, quietTo] = prefs.quietHours.split('-');

  async function save(v: Values) {
    setBusy(true);
    setError(undefined);
    setMarked(false);
    try {
      const saved = await call(api.PUT('/v1/me/notification-preferences', {
        body: { channels: v.channels ?? [], mobile: v.mobile?.trim() || null, email: v.email?.trim() || null },
      }));
      queryClient.setQueryData(PREFERENCES_KEY, saved);
      message.success('通知设置已保存');
    } catch (e) {
      if (markFieldErrors(form, e)) setMarked(true);
      else setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card size="small">
      <Alert type="info" showIcon style={{ marginBottom: 16 }} title="站内消息始终接收。" description={
        `外部渠道只发送脱敏姓名、案件编号和链接。${quietFrom !== quietTo ? `短信在免打扰时段（北京时间 ${quietFrom}–${quietTo}）暂缓，结束后发送。` : ''}`
      } />
      <ErrorAlert error={error} />
      {marked && <Alert type="error" showIcon role="alert" style={{ marginBottom: 16 }} title="未保存" description="请按标红项目下方的提示修改后再保存。" />}
      <Form<Values>
        form={form} layout="vertical" onFinish={save}
        // A field the API marked is cleared of that error as soon as it is edited.
        onValuesChange={(changed: Partial<Values>) => form.setFields(Object.keys(changed).map((name) => ({ name: name as keyof Values, errors: [] })))}
        initialValues={{ channels: prefs.channels.filter((c) => c.enabled).map((c) => c.channel.code), mobile: prefs.mobile ?? '', email: prefs.email ?? '' }}
      >
        <Form.Item label="同时通过以下渠道通知我" name="channels">
          <Checkbox.Group style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
            {prefs.channels.map((c) => (
              <Checkbox key={c.channel.code} value={c.channel.code} disabled={!c.available && !c.enabled}>
                {c.channel.label}{!c.available && <Typography.Text type="secondary">（本系统未配置，暂不可用）</Typography.Text>}
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Form.Item>
        <Form.Item label="手机号码（短信）" name="mobile" extra="开启短信通知时必填">
          <Input inputMode="tel" autoComplete="tel" maxLength={11} style={{ maxWidth: 280 }} />
        </Form.Item>
        <Form.Item label="电子邮箱" name="email" extra="开启邮件通知时必填">
          <Input inputMode="email" autoComplete="email" maxLength={200} style={{ maxWidth: 400 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>保存</Button>
      </Form>
    </Card>
  );
}
