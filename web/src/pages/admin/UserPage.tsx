/**
 * One user (admins): name, role and scope; disable / enable; set the login password (the API's policy
 * errors shown on the field); the access tokens — issue one (its secret shown once, with a copy button
 * and a warning), revoke one. A user outside the admin's scope is answered 404 and shown as not found.
 */
import { useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { Alert, App as AntApp, Button, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Panel } from '../../components/Panel';
import { ErrorAlert, markFieldErrors, QueryView } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { scopeText, useMe } from '../../session';
import { AdminNav } from './AdminNav';
import { scopeValues, UserFields, type UserFormValues } from './UserFields';

type User = paths['/v1/users/{id}']['get']['responses'][200]['content']['application/json'];
type Token = paths['/v1/users/{id}/tokens']['get']['responses'][200]['content']['application/json']['items'][number];
type Issued = paths['/v1/users/{id}/tokens']['post']['responses'][201]['content']['application/json'];

export default function UserPage() {
  const { id } = useParams();
  const user = useQuery({ queryKey: ['users', 'one', id], queryFn: () => call(api.GET('/v1/users/{id}', { params: { path: { id: id! } } })), retry: false });
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>系统管理</Typography.Title>
      <AdminNav />
      <QueryView query={user}>{(u) => <UserBody user={u} />}</QueryView>
    </Space>
  );
}

function UserBody({ user }: { user: User }) {
  const [params] = useSearchParams();
  const me = useMe();
  const self = me.id === user.id;
  return (
    <>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ margin: 0, fontSize: 18 }}>
          {user.displayName}（{user.username}）{' '}
          <Tag color="gold">{user.role.label}</Tag>{user.disabled ? <Tag color="red">已停用</Tag> : <Tag color="green">正常</Tag>}
        </Typography.Title>
        <LinkButton to="/admin/users">返回用户列表</LinkButton>
      </Space>
      {params.get('created') && <Alert type="success" showIcon title="用户已创建" description="请设置登录密码（控制台登录），或签发访问令牌（API 客户端）。" />}
      <div style={{ display: 'grid', gap: 16, gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 420px), 1fr))', alignItems: 'start' }}>
        <EditUser user={user} self={self} />
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <AccountState user={user} self={self} />
          <SetPassword user={user} />
        </Space>
      </div>
      <Tokens user={user} />
    </>
  );
}

function useSaveUser(user: User) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: NonNullable<paths['/v1/users/{id}']['patch']['requestBody']>['content']['application/json']) =>
      call(api.PATCH('/v1/users/{id}', { params: { path: { id: user.id } }, body })),
    onSuccess: (u) => {
      queryClient.setQueryData(['users', 'one', user.id], u);
      return queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
}

function EditUser({ user, self }: { user: User; self: boolean }) {
  const [form] = Form.useForm<UserFormValues>();
  const { message } = AntApp.useApp();
  const save = useSaveUser(user);
  return (
    <Panel title="姓名、角色与权限范围">
      <p className="muted" style={{ marginTop: 0 }}>当前范围：{scopeText(user)}</p>
      <ErrorAlert error={save.error} />
      <Form
        form={form} layout="vertical" initialValues={scopeValues(user)}
        onFinish={(v) => save.mutate({
          displayName: v.displayName.trim(), role: v.role as User['role']['code'], cityLevel: v.cityLevel,
          counties: (v.cityLevel ? [] : v.counties) as never, departments: v.departments as never,
        }, { onSuccess: () => void message.success('已保存'), onError: (e) => markFieldErrors(form, e) })}
      >
        <UserFields />
        {self && <Typography.Paragraph type="secondary">不能取消自己的管理员角色。</Typography.Paragraph>}
        <Button type="primary" htmlType="submit" loading={save.isPending}>保存修改</Button>
      </Form>
    </Panel>
  );
}

function AccountState({ user, self }: { user: User; self: boolean }) {
  const save = useSaveUser(user);
  const { message } = AntApp.useApp();
  const toggle = () => save.mutate({ disabled: !user.disabled }, { onSuccess: (u) => void message.success(u.disabled ? '已停用' : '已启用') });
  return (
    <Panel title="账号状态">
      <ErrorAlert error={save.error} />
      <Space direction="vertical">
        <span>当前：{user.disabled ? <Tag color="red">已停用</Tag> : <Tag color="green">正常</Tag>}</span>
        {user.disabled ? (
          <Button onClick={toggle} loading={save.isPending}>启用账号</Button>
        ) : (
          <Popconfirm
            title="停用该用户？" description="停用后不能登录，其登录会话和访问令牌全部失效（重新启用后须重新签发令牌）。"
            okText="停用" cancelText="取消" okButtonProps={{ danger: true }} onConfirm={toggle} disabled={self}
          >
            <Button danger loading={save.isPending} disabled={self}>停用账号</Button>
          </Popconfirm>
        )}
        {self && <Typography.Text type="secondary">不能停用自己。</Typography.Text>}
      </Space>
    </Panel>
  );
}

function SetPassword({ user }: { user: User }) {
  const [form] = Form.useForm<{ password: string }>();
  const { message } = AntApp.useApp();
  // The policy's reason is shown under the field; the alert only for other failures.
  const [onField, setOnField] = useState(false);
  const set = useMutation({
    mutationFn: (password: string) => call(api.PUT('/v1/users/{id}/password', { params: { path: { id: user.id } }, body: { password } })),
    onSuccess: () => { form.resetFields(); void message.success('密码已设置'); },
    onError: (e) => setOnField(markFieldErrors(form, e)),
  });
  return (
    <Panel title="登录密码">
      <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>设置后该用户的登录会话全部失效，登录锁定解除。请当面或通过安全渠道告知本人，并提醒其登录后修改。</Typography.Paragraph>
      <ErrorAlert error={onField ? undefined : set.error} />
      <Form form={form} layout="vertical" onFinish={(v) => set.mutate(v.password)}>
        <Form.Item label="新密码" name="password" rules={[{ required: true, message: '请填写新密码' }]}>
          <Input.Password autoComplete="new-password" maxLength={200} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={set.isPending} disabled={user.disabled}>设置密码</Button>
        {user.disabled && <Typography.Text type="secondary" style={{ marginInlineStart: 8 }}>账号已停用</Typography.Text>}
      </Form>
    </Panel>
  );
}

function Tokens({ user }: { user: User }) {
  const queryClient = useQueryClient();
  const key = ['users', 'one', user.id, 'tokens'];
  const tokens = useQuery({ queryKey: key, queryFn: () => call(api.GET('/v1/users/{id}/tokens', { params: { path: { id: user.id } } })) });
  const [issuing, setIssuing] = useState(false);
  const [issued, setIssued] = useState<Issued>();
  const revoke = useMutation({
    mutationFn: (tokenId: string) => call(api.DELETE('/v1/users/{id}/tokens/{tokenId}', { params: { path: { id: user.id, tokenId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <Panel title="访问令牌（API 客户端）" extra={<Button type="primary" size="small" onClick={() => setIssuing(true)} disabled={user.disabled}>签发令牌</Button>}>
      <ErrorAlert error={revoke.error} />
      <QueryView query={tokens}>
        {(d) => (
          <Table<Token>
            rowKey="id" dataSource={d.items} pagination={false} size="small" scroll={{ x: 760 }} locale={{ emptyText: '没有访问令牌' }}
            columns={[
              { title: '名称', render: (_, t) => t.label ?? '（未命名）' },
              { title: '签发时间', render: (_, t) => formatDateTime(t.createdAt) },
              { title: '有效期至', render: (_, t) => formatDateTime(t.expiresAt) },
              { title: '最近使用', render: (_, t) => formatDateTime(t.lastUsedAt) },
              { title: '状态', render: (_, t) => (t.active ? <Tag color="green">有效</Tag> : t.revokedAt ? <Tag>已吊销 {formatDateTime(t.revokedAt)}</Tag> : <Tag>已过期</Tag>) },
              {
                title: '操作',
                render: (_, t) => t.active && (
                  <Popconfirm title="吊销该令牌？" description="吊销后使用该令牌的客户端立即无法访问。" okText="吊销" cancelText="取消" okButtonProps={{ danger: true }} onConfirm={() => revoke.mutate(t.id)}>
                    <Button size="small" danger aria-label={`吊销令牌 ${t.label ?? ''}`}>吊销</Button>
                  </Popconfirm>
                ),
              },
            ]}
          />
        )}
      </QueryView>
      {issuing && <IssueToken user={user} onIssued={(t) => { setIssuing(false); setIssued(t); void queryClient.invalidateQueries({ queryKey: key }); }} onClose={() => setIssuing(false)} />}
      {issued && <IssuedToken token={issued} onClose={() => setIssued(undefined)} />}
    </Panel>
  );
}

function IssueToken({ user, onIssued, onClose }: { user: User; onIssued: (t: Issued) => void; onClose: () => void }) {
  const [form] = Form.useForm<{ label?: string; expiresInDays: number }>();
  const issue = useMutation({
    mutationFn: (v: { label?: string; expiresInDays: number }) => call(api.POST('/v1/users/{id}/tokens', {
      params: { path: { id: user.id } }, body: { ...(v.label?.trim() ? { label: v.label.trim() } : {}), expiresInDays: v.expiresInDays },
    })),
    onSuccess: onIssued,
    onError: (e) => markFieldErrors(form, e),
  });
  return (
    <Modal open title={`为 ${user.displayName} 签发访问令牌`} okText="签发" cancelText="取消" onCancel={onClose} onOk={() => form.submit()} confirmLoading={issue.isPending} destroyOnHidden>
      <ErrorAlert error={issue.error} />
      <Form form={form} layout="vertical" initialValues={{ expiresInDays: 90 }} onFinish={(v) => issue.mutate(v)}>
        <Form.Item label="名称（用途）" name="label" rules={[{ max: 100 }]} extra="例如：区残联台账对接">
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label="有效天数" name="expiresInDays" rules={[{ required: true, message: '请填写有效天数' }]}>
          <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The plain token, shown this once: a copy button and a warning; closing the dialog forgets it. */
function IssuedToken({ token, onClose }: { token: Issued; onClose: () => void }) {
  const { message } = AntApp.useApp();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      void message.success('已复制到剪贴板');
    } catch {
      void message.warning('无法自动复制，请选中令牌后手动复制');
    }
  };
  return (
    <Modal open title="令牌已签发" okText="我已妥善保存" onOk={onClose} onCancel={onClose} cancelButtonProps={{ style: { display: 'none' } }} maskClosable={false} destroyOnHidden>
      <Alert type="warning" showIcon title="令牌只显示这一次" description="关闭本窗口后无法再次查看。请立即复制并妥善保管，不要通过聊天工具或邮件明文发送；如有泄露请立即吊销。" style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        有效期至 {formatDateTime(token.expiresAt)}{token.label ? `，名称：${token.label}` : ''}
      </Typography.Paragraph>
      <Input.TextArea readOnly value={token.token} aria-label="访问令牌" autoSize onFocus={(e) => e.currentTarget.select()} style={{ fontFamily: 'monospace' }} />
      <Button type="primary" onClick={() => void copy()} style={{ marginTop: 8 }}>复制令牌</Button>
    </Modal>
  );
}
