/**
 * 用户与令牌 (admins): the users this admin manages (inside their own scope), searched by username or
 * name and filtered by role, county and state, filters kept in the URL; 新建用户 opens a form and then
 * the new user's page, where the password is set and tokens are issued.
 */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { FilterSelect } from '../../components/FilterSelect';
import { ErrorAlert, markFieldErrors } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useCatalog } from '../../lib/queries';
import { useUrlFilters } from '../../lib/urlFilters';
import { scopeText } from '../../session';
import { AdminNav } from './AdminNav';
import { ROLE_OPTIONS, UserFields, type UserFormValues } from './UserFields';

type Query = NonNullable<paths['/v1/users']['get']['parameters']['query']>;
export type UserRow = paths['/v1/users']['get']['responses'][200]['content']['application/json']['items'][number];

const FILTERS = ['q', 'role', 'county', 'disabled'] as const;

export default function Users() {
  const catalog = useCatalog();
  const { filters, set, clear } = useUrlFilters(FILTERS);
  const [creating, setCreating] = useState(false);
  const list = useInfiniteQuery({
    queryKey: ['users', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/users', { params: { query: { ...filters, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } as Query } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const select = (k: (typeof FILTERS)[number], label: string, options: Array<{ value: string; label: string }>) => (
    <FilterSelect label={label} value={filters[k]} onChange={(v) => set(k, v)} options={options} width={130} />
  );
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>系统管理</Typography.Title>
      <AdminNav />
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Form layout="inline" style={{ rowGap: 8 }}>
          <Form.Item label="用户名或姓名">
            <Input.Search
              key={filters.q ?? ''} defaultValue={filters.q} allowClear enterButton="查找" style={{ width: 240 }} aria-label="用户名或姓名"
              onSearch={(v) => set('q', v.trim() || undefined)}
            />
          </Form.Item>
          {select('role', '角色', ROLE_OPTIONS)}
          {select('county', '县（市）区', catalog.data?.counties.map((c) => ({ value: c.code, label: c.label })) ?? [])}
          {select('disabled', '账号状态', [{ value: 'false', label: '正常' }, { value: 'true', label: '已停用' }])}
          {Object.keys(filters).length > 0 && <Button onClick={clear}>清除筛选</Button>}
        </Form>
        <Button type="primary" onClick={() => setCreating(true)}>新建用户</Button>
      </Space>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <Table<UserRow>
        rowKey="id" dataSource={list.data?.pages.flatMap((p) => p.items) ?? []} loading={list.isPending} pagination={false} scroll={{ x: 900 }}
        locale={{ emptyText: Object.keys(filters).length ? '没有符合筛选条件的用户' : '暂无用户' }}
        columns={[
          { title: '用户名', render: (_, u) => <Link to={`/admin/users/${u.id}`}>{u.username}</Link> },
          { title: '姓名', render: (_, u) => u.displayName },
          { title: '角色', render: (_, u) => u.role.label },
          { title: '权限范围', render: (_, u) => scopeText(u) },
          { title: '状态', render: (_, u) => (u.disabled ? <Tag color="red">已停用</Tag> : <Tag color="green">正常</Tag>) },
          { title: '创建时间', render: (_, u) => formatDateTime(u.createdAt) },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
      {creating && <CreateUser onClose={() => setCreating(false)} />}
    </Space>
  );
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const [form] = Form.useForm<UserFormValues & { username: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (v: UserFormValues & { username: string }) => call(api.POST('/v1/users', {
      body: {
        username: v.username.trim(), displayName: v.displayName.trim(), role: v.role as UserRow['role']['code'],
        cityLevel: v.cityLevel, counties: v.cityLevel ? [] : v.counties as never, departments: v.departments as never,
      },
    })),
    onSuccess: async (u) => {
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      void navigate(`/admin/users/${u.id}?created=1`);
    },
    onError: (e) => markFieldErrors(form, e),
  });
  return (
    <Modal open title="新建用户" okText="创建" cancelText="取消" onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending} destroyOnHidden>
      <ErrorAlert error={create.error} />
      <Form form={form} layout="vertical" initialValues={{ cityLevel: false, counties: [], departments: [] }} onFinish={(v) => create.mutate(v)}>
        <Form.Item
          label="用户名（登录用）" name="username"
          rules={[{ required: true, message: '请填写用户名' }, { min: 2, max: 64, message: '2–64 个字符' }, { pattern: /^[A-Za-z0-9._@-]+$/, message: '只能包含字母、数字和 . _ @ -' }]}
        >
          <Input maxLength={64} autoComplete="off" />
        </Form.Item>
        <UserFields />
      </Form>
      <Typography.Text type="secondary">创建后在用户页面设置登录密码或签发访问令牌。</Typography.Text>
    </Modal>
  );
}
