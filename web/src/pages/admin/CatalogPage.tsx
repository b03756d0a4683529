/**
 * 服务目录 (admins, read only): the twelve service items with their actions, steps and deadlines in
 * working days, cadences, responsible and cooperating units; the departments, counties, mechanisms and
 * rules, each saying whether the plan sets it (with its clause) or it is a local setting. The catalog
 * changes only with a new version of the software, so nothing here can be edited.
 */
import { Alert, Descriptions, Space, Table, Tabs, Typography } from 'antd';
import type { paths } from '../../api/client';
import { RuleTag } from '../../components/RuleTag';
import { QueryView } from '../../components/States';
import { useCatalog } from '../../lib/queries';
import { AdminNav } from './AdminNav';

type Catalog = paths['/v1/catalog']['get']['responses'][200]['content']['application/json'];
type Item = Catalog['items'][number];
type Action = Item['actions'][number];

const names = (xs: Array<{ label: string }>) => xs.map((x) => x.label).join('、') || '—';
const ruleTag = (t: { code: string; label: string }) => <RuleTag tag={t} />;

export default function CatalogPage() {
  const catalog = useCatalog();
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>系统管理</Typography.Title>
      <AdminNav />
      <QueryView query={catalog}>
        {(c) => (
          <>
            <Alert type="info" showIcon title={`服务目录（版本 ${c.version}，只读）`} description="服务目录依据《为特殊困难残疾人开展上门代办服务工作的实施方案》制定，随系统版本发布，不能在此修改。本地规则的取值见“规则”。" />
            <Tabs items={[
              { key: 'items', label: `服务事项（${c.items.length}）`, children: <ItemTable catalog={c} /> },
              {
                key: 'departments', label: '部门与县（市）区',
                children: (
                  <Space direction="vertical" size={16} style={{ width: '100%' }}>
                    <Table rowKey="code" size="small" pagination={false} dataSource={c.departments} caption="部门"
                      columns={[{ title: '代码', dataIndex: 'code' }, { title: '简称', dataIndex: 'label' }, { title: '全称', dataIndex: 'name' }]} />
                    <Table rowKey="code" size="small" pagination={false} dataSource={c.counties} caption={`县（市）区（${c.city.label}）`}
                      columns={[{ title: '区划代码', dataIndex: 'code' }, { title: '名称', dataIndex: 'label' }]} />
                    <Descriptions size="small" bordered column={1} items={[{ key: 'office', label: '领导小组办公室', children: c.leadershipOffice.label }]} />
                  </Space>
                ),
              },
              {
                key: 'mechanisms', label: '办理机制',
                children: (
                  <Table rowKey="key" size="small" pagination={false} dataSource={c.mechanisms} scroll={{ x: 800 }}
                    columns={[
                      { title: '机制', dataIndex: 'label' },
                      { title: '来源', render: (_, m) => ruleTag(m.tag) },
                      { title: '依据或理由', render: (_, m) => m.clause ?? m.rationale ?? '—' },
                    ]} />
                ),
              },
              {
                key: 'rules', label: '规则',
                children: (
                  <Table rowKey="key" size="small" pagination={false} dataSource={c.rules} scroll={{ x: 900 }}
                    columns={[
                      { title: '规则', dataIndex: 'label' },
                      { title: '来源', render: (_, r) => ruleTag(r.tag) },
                      { title: '默认', render: (_, r) => (r.enforcedByDefault ? '强制' : '仅提示') },
                      { title: '依据或理由', render: (_, r) => r.clause ?? r.rationale ?? '—' },
                    ]} />
                ),
              },
              {
                key: 'codes', label: '代码表',
                children: (
                  <Descriptions size="small" bordered column={1} items={[
                    { key: 'cat', label: '残疾类别', children: c.disabilityCategories.map((x) => `${x.code} ${x.label}`).join('、') },
                    { key: 'grade', label: '残疾等级', children: names(c.disabilityGrades) },
                    { key: 'groups', label: '服务对象类别', children: names(c.eligibilityGroups) },
                    { key: 'steps', label: '办理步骤', children: names(c.stepKinds) },
                    { key: 'delivery', label: '送达方式', children: names(c.deliveryMethods) },
                    { key: 'evidence', label: '佐证材料类型', children: names(c.evidenceKinds) },
                    { key: 'funding', label: '家政服务资金来源', children: names(c.housekeepingFundingSources) },
                    { key: 'ways', label: '家政服务方式', children: names(c.housekeepingDeliveryWays) },
                  ]} />
                ),
              },
            ]} />
          </>
        )}
      </QueryView>
    </Space>
  );
}

function ItemTable({ catalog }: { catalog: Catalog }) {
  const category = (code: string) => catalog.categories.find((c) => c.code === code)?.label ?? code;
  return (
    <Table<Item>
      rowKey="code" size="small" pagination={false} dataSource={catalog.items} scroll={{ x: 1000 }}
      expandable={{ expandedRowRender: (i) => <ActionTable actions={i.actions} />, expandRowByClick: false }}
      columns={[
        { title: '序号', width: 60, render: (_, i) => i.number },
        { title: '类别', width: 130, render: (_, i) => category(i.category.code) },
        { title: '服务事项', render: (_, i) => <strong>{i.label}</strong> },
        { title: '责任单位', render: (_, i) => names(i.responsible) },
        { title: '配合单位', render: (_, i) => names(i.cooperating) },
        {
          title: '服务方式', width: 200,
          render: (_, i) => (i.ongoing
            ? <span>持续服务{i.cadence ? <>：{i.cadence.label} {i.cadence.rule ? ruleTag(i.cadence.rule.tag) : null}</> : '（方案未规定频次）'}</span>
            : `一次性办理（${i.actions.length} 项）`),
        },
      ]}
    />
  );
}

function ActionTable({ actions }: { actions: Action[] }) {
  return (
    <Table<Action>
      rowKey="code" size="small" pagination={false} dataSource={actions}
      columns={[
        { title: '办理事项', render: (_, a) => a.label },
        { title: '落实单位', render: (_, a) => a.implementing.label },
        { title: '办理步骤及时限（工作日）', render: (_, a) => a.steps.map((s) => `${s.label} ${s.deadlineWorkingDays}`).join(' → ') },
        { title: '总时限', render: (_, a) => `${a.totalWorkingDays} 个工作日（绿色通道 ${a.totalGreenChannelWorkingDays}）` },
        { title: '送达方式', render: (_, a) => names(a.deliveryMethods) || '—' },
      ]}
    />
  );
}
