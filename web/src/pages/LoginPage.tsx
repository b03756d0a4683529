/** 登录: username and password; a locked account says until when; afterwards back to where one was. */
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { ApiError } from '../api/client';
import { errorMessage } from '../components/States';
import { HOME } from '../routes';
import { useSession } from '../session';

export default function LoginPage() {
  const { me, login, notice } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const next = params.get('next');

  if (me) return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : HOME[me.role.code]} replace />;

  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await login(v.username.trim(), v.password);
      void navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', padding: 16, background: 'linear-gradient(160deg, #0f3d8c, #3a78d8)' }}>
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <Typography.Title level={1} style={{ fontSize: 22, textAlign: 'center', marginTop: 0 }}>上门代办服务平台</Typography.Title>
        <Typography.Paragraph type="secondary" style={{ textAlign: 'center' }}>为特殊困难残疾人开展上门代办服务</Typography.Paragraph>
        {notice && !error && <Alert type="info" showIcon title={notice} style={{ marginBottom: 16 }} role="status" />}
        {error !== undefined && (
          <Alert
            type="error" showIcon role="alert" style={{ marginBottom: 16 }}
            title={error instanceof ApiError && error.status === 423 ? '账号已锁定' : '登录失败'}
            description={errorMessage(error)}
          />
        )}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item label="用户名" name="username" rules={[{ required: true, message: '请输入用户名' }]}>
            <Input autoComplete="username" autoFocus size="large" />
          </Form.Item>
          <Form.Item label="密码" name="password" rules={[{ required: true, message: '请输入密码' }]}>
            <Input.Password autoComplete="current-password" size="large" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={busy}>登录</Button>
        </Form>
      </Card>
    </main>
  );
}
