/** 服务对象档案: identity (masked unless unmasked, audited), household, open needs, cases; survey and open-case buttons. */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { Button, Card, Descriptions, List, Popconfirm, Space, Switch, Tag, Typography, App as AntApp } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, type SubjectView } from '../../api/client';
import { ErrorAlert, QueryView } from '../../components/States';
import { CaseTable } from '../../components/CaseTable';
import { SubjectPicker } from '../../components/SubjectPicker';
import { useSubject } from '../../lib/queries';
import { formatDate } from '../../lib/format';
import { mayUnmask, useMe } from '../../session';
import { LinkButton } from '../../components/LinkButton';

export default function SubjectDetail() {
  const { id } = useParams();
  const me = useMe();
  const [unmask, setUnmask] = useState(false);
  const subject = useSubject(id, unmask);
  const desk = me.role.code === 'coordinator' || me.role.code === 'admin';
  return (
    <QueryView query={subject}>
      {(s) => (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
            <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>{s.name} <Tag>{s.county.label}</Tag></Typography.Title>
            <Space wrap>
              {(me.role.code === 'coordinator' || me.role.code === 'worker') && <LinkButton to={`/subjects/${s.id}/survey`} type="primary">需求摸底</LinkButton>}
              {desk && <LinkButton to={`/cases/new?subjectId=${s.id}`}>开案</LinkButton>}
            </Space>
          </Space>
          {mayUnmask(me) && (
            <label><Switch size="small" checked={unmask} onChange={setUnmask} /> 显示完整证件号和电话（查看将留痕）</label>
          )}
          <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} items={[
            { key: 'id', label: '身份证号码', children: s.idNumber },
            { key: 'sex', label: '性别', children: s.sex.label },
            { key: 'birth', label: '出生日期 / 年龄', children: s.birthDate ? `${s.birthDate}${s.age !== null ? `（${s.age} 岁）` : ''}` : s.age !== null ? `${s.age} 岁（出生日期已遮蔽）` : '（已遮蔽）' },
            { key: 'cert', label: '残疾人证', children: s.certificate ? `${s.certificate.number}${s.certificate.category ? ` · ${s.certificate.category.label}` : ''}${s.certificate.grade ? ` · ${s.certificate.grade.label}` : ''}` : '—' },
            { key: 'addr', label: '住址', children: [s.county.label, s.township, s.community, s.address].filter(Boolean).join(' ') },
            { key: 'phone', label: '联系电话', children: s.phone ?? '—' },
            { key: 'guardian', label: '监护人', children: s.guardian ? `${s.guardian.name}${s.guardian.relation ? `（${s.guardian.relation}）` : ''} ${s.guardian.phone ?? ''}` : '—' },
            { key: 'consent', label: '信息共享授权', children: s.consentToShare ? `已同意（${formatDate(s.consentAt)}）` : '未同意' },
            { key: 'elig', label: '资格认定', children: s.eligibility ? (s.eligibility.eligible ? `符合：${s.eligibility.groups.map((g) => g.label).join('、')}` : `不符合：${s.eligibility.reasons.join('；')}`) : '尚未摸底' },
          ]} />
          <Household s={s} canEdit={desk} />
          <Needs subjectId={s.id} />
          <SubjectCases subjectId={s.id} />
        </Space>
      )}
    </QueryView>
  );
}

function Household({ s, canEdit }: { s: SubjectView; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const { message } = AntApp.useApp();
  const [other, setOther] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const members = useQuery({
    queryKey: ['subjects', 'household', s.household.id],
    queryFn: () => call(api.GET('/v1/subjects', { params: { query: { householdId: s.household.id!, limit: 50 } } })),
    enabled: Boolean(s.household.id),
  });
  const change = async (run: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await run();
      message.success(done);
      setOther(undefined);
      void queryClient.invalidateQueries({ queryKey: ['subject'] });
      void queryClient.invalidateQueries({ queryKey: ['subjects'] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Card size="small" title={`家庭户（${s.household.size} 人${s.household.multiDisabled ? '，一户多残' : ''}）`}>
      <ErrorAlert error={error} />
      {s.household.id ? (
        <List size="small" loading={members.isPending} dataSource={members.data?.items ?? []} locale={{ emptyText: '暂无同户成员' }}
          renderItem={(m) => <List.Item><Link to={`/subjects/${m.id}`}>{m.name}</Link>{m.id === s.id && <Tag style={{ marginInlineStart: 8 }}>本人</Tag>}</List.Item>} />
      ) : <Typography.Text type="secondary">尚未与其他服务对象同户</Typography.Text>}
      {canEdit && (
        <Space wrap style={{ marginTop: 12 }}>
          <div style={{ width: 320 }}><SubjectPicker value={other} onChange={setOther} exclude={s.id} /></div>
          <Button disabled={!other} onClick={() => void change(() => call(api.POST('/v1/subjects/{id}/household', { params: { path: { id: s.id } }, body: { withSubjectId: other! } })), '已加入同一户')}>加入其家庭户</Button>
          {s.household.size > 1 && (
            <Popconfirm title="确定让其离开当前家庭户？" okText="确定" cancelText="取消"
              onConfirm={() => change(() => call(api.DELETE('/v1/subjects/{id}/household', { params: { path: { id: s.id } } })), '已离开家庭户')}>
              <Button danger>离开家庭户</Button>
            </Popconfirm>
          )}
        </Space>
      )}
    </Card>
  );
}

function Needs({ subjectId }: { subjectId: string }) {
  const needs = useQuery({ queryKey: ['needs', subjectId], queryFn: () => call(api.GET('/v1/subjects/{id}/needs', { params: { path: { id: subjectId }, query: { status: 'open' } } })) });
  return (
    <Card size="small" title="待办服务需求">
      <QueryView query={needs} empty="暂无未办结的服务需求" isEmpty={(d) => d.items.length === 0}>
        {(d) => (
          <List size="small" dataSource={d.items} renderItem={(n) => (
            <List.Item>
              {n.item.label} · {n.action.label} <Tag>{n.status.label}</Tag>
              {n.caseId && <Link to={`/cases/${n.caseId}`}>查看案件</Link>}
            </List.Item>
          )} />
        )}
      </QueryView>
    </Card>
  );
}

function SubjectCases({ subjectId }: { subjectId: string }) {
  const cases = useQuery({ queryKey: ['cases', 'subject', subjectId], queryFn: () => call(api.GET('/v1/cases', { params: { query: { subjectId, limit: 50 } } })) });
  return (
    <Card size="small" title="案件">
      <ErrorAlert error={cases.error} onRetry={() => void cases.refetch()} />
      <CaseTable rows={cases.data?.items ?? []} loading={cases.isPending} empty="暂无案件" />
    </Card>
  );
}
