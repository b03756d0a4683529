/** 服务对象: search by name or ID number (an exact 18-digit number searches by number), within the caller's scope. */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button, Form, Input, Select, Space, Switch, Table, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, call, type SubjectView } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { useCatalog } from '../../lib/queries';
import { mayUnmask, useMe } from '../../session';
import { LinkButton } from '../../components/LinkButton';

export default function Subjects() {
  const me = useMe();
  const catalog = useCatalog();
  const [params, setParams] = useSearchParams();
  const [unmask, setUnmask] = useState(false);
  const q = params.get('q') ?? '';
  const county = params.get('county') ?? undefined;
  const byNumber = /^\d{17}[\dXx]$/.test(q.trim());
  const list = useInfiniteQuery({
    queryKey: ['subjects', q, county, unmask],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/subjects', { params: { query: {
      ...(q ? (byNumber ? { idNumber: q.trim().toUpperCase() } : { name: q.trim() }) : {}),
      ...(county ? { county: county as never } : {}),
      ...(unmask ? { unmask: 'true' } : {}), limit: 20, ...(pageParam ? { cursor: pageParam } : {}),
    } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const canCreate = me.role.code === 'coordinator' || me.role.code === 'admin';

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>服务对象</Typography.Title>
        {canCreate && <LinkButton to="/subjects/new" type="primary">登记服务对象</LinkButton>}
      </Space>
      <Form layout="inline" initialValues={{ q, county }} onFinish={(v: { q?: string; county?: string }) => {
        const next = new URLSearchParams();
        if (v.q) next.set('q', v.q);
        if (v.county) next.set('county', v.county);
        setParams(next);
      }} style={{ rowGap: 8 }}>
        <Form.Item name="q" label="姓名或身份证号码"><Input allowClear placeholder="如：张桂兰 或 18 位身份证号码" style={{ width: 260 }} /></Form.Item>
        <Form.Item name="county" label="县（市）区">
          <Select allowClear style={{ width: 150 }} placeholder="全部" options={catalog.data?.counties.map((c) => ({ value: c.code, label: c.label }))} />
        </Form.Item>
        <Form.Item><Button type="primary" htmlType="submit">查询</Button></Form.Item>
        {mayUnmask(me) && (
          <Form.Item label="显示完整证件号和电话（留痕）">
            <Switch checked={unmask} onChange={setUnmask} aria-label="显示完整证件号和电话" />
          </Form.Item>
        )}
      </Form>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <Table<SubjectView>
        rowKey="id" dataSource={rows} loading={list.isPending} pagination={false} scroll={{ x: 900 }}
        locale={{ emptyText: q ? '没有符合条件的服务对象' : '暂无服务对象，请先登记' }}
        columns={[
          { title: '姓名', dataIndex: 'name', render: (name: string, s) => <Link to={`/subjects/${s.id}`}>{name}</Link> },
          { title: '身份证号码', dataIndex: 'idNumber' },
          { title: '性别', render: (_, s) => s.sex.label },
          { title: '年龄', dataIndex: 'age', render: (a: number | null) => a ?? '—' },
          { title: '县（市）区', render: (_, s) => s.county.label },
          { title: '乡镇（街道）/ 社区', render: (_, s) => [s.township, s.community].filter(Boolean).join(' ') || '—' },
          { title: '联系电话', dataIndex: 'phone', render: (p: string | null) => p ?? '—' },
          { title: '同户', render: (_, s) => (s.household.size > 1 ? `${s.household.size} 人${s.household.multiDisabled ? '（一户多残）' : ''}` : '—') },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
