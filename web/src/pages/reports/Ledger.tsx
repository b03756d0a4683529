/**
 * 工作台账（附件2）: one county department's month, as the form lays it out (the API's Chinese headers),
 * XLSX / CSV downloads of the same month, editing before the month is shared and amendments after, the
 * 共享 button (its confirmation shows the row count and content hash that will be frozen), and the list
 * of shares with their hashes verified again. County, department, month and tab are kept in the URL.
 */
import { useState } from 'react';
import { Alert, Button, DatePicker, Descriptions, Form, Modal, Radio, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { api, ApiError, call, type paths } from '../../api/client';
import { EmptyState, ErrorAlert, errorMessage } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useMe } from '../../session';
import { LedgerEntryForm, type LedgerEntry } from './LedgerEntryForm';
import { apiUrl, isMonth, pickable, monthText, previousMonth, thisMonth, useScopeOptions, useUrlState } from './scope';

type Share = paths['/v1/ledger/shares']['get']['responses'][200]['content']['application/json']['items'][number];
type Key = { county: string; department: string; month: string };

const PAGE = 50;

/** A row's cell under a header key (labelled values show their label). */
function cell(e: LedgerEntry, key: string): string | number {
  if (key === 'serial') return e.serial ?? '';
  const v = (e.row as Record<string, unknown>)[key];
  if (v && typeof v === 'object') return (v as { label: string }).label;
  return (v as string | null) ?? '';
}

export default function Ledger() {
  const me = useMe();
  const role = me.role.code;
  const mayEdit = role === 'coordinator' || role === 'admin';
  const mayShare = role === 'coordinator' || role === 'supervisor' || role === 'admin';
  const scope = useScopeOptions();
  const [url, setUrl] = useUrlState(['county', 'department', 'month', 'tab', 'view'] as const);
  const key: Key = {
    county: url.county ?? scope.counties[0]?.value ?? '',
    department: url.department ?? scope.departments[0]?.value ?? '',
    month: url.month && isMonth(url.month) ? url.month : previousMonth(thisMonth()),
  };
  const tab = url.tab === 'shares' ? 'shares' : 'rows';
  const [editing, setEditing] = useState<LedgerEntry>();
  const [sharing, setSharing] = useState(false);
  const ready = Boolean(key.county && key.department);

  const ledger = useInfiniteQuery({
    queryKey: ['ledger', 'rows', key],
    enabled: ready,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/ledger', {
      params: { query: { ...key, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } as never },
    })) as Promise<paths['/v1/ledger']['get']['responses'][200]['content']['application/json']>,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const first = ledger.data?.pages[0];
  const rows = ledger.data?.pages.flatMap((p) => p.items) ?? [];
  const share = first?.share ?? null;
  const monthOver = key.month < thisMonth();

  // 更正情况 is not a column of the form: shown, after 序号, only when a row on screen corrects another or was corrected.
  const amendColumn = rows.some((e) => e.amendsId || e.amendedBy.length > 0) ? [{
    title: '更正情况', key: 'amend', width: 170,
    render: (_: unknown, e: LedgerEntry) => (
      <Space direction="vertical" size={2}>
        {e.amendsId && <span><Tag color="orange">更正记录</Tag>原因：{e.amendReason}</span>}
        {e.amendedBy.map((a) => <span key={a.id}><Tag color="gold">已更正</Tag>见 {monthText(a.month)}台账</span>)}
        {!e.amendsId && e.amendedBy.length === 0 && '—'}
      </Space>
    ),
  }] : [];
  const formColumns: ColumnsType<LedgerEntry> = (first?.headers ?? []).map((h) => ({
    title: h.label, key: h.key,
    width: h.key === 'serial' ? 64 : h.key === 'idNumberMasked' ? 190 : h.key === 'result' || h.key === 'remarks' || h.key === 'item' || h.key === 'handledBy' ? 200 : 110,
    render: (_: unknown, e: LedgerEntry) => {
      const v = cell(e, h.key);
      return v === '' ? '—' : v;
    },
  }));
  const columns: ColumnsType<LedgerEntry> = [
    ...formColumns.slice(0, 1),
    ...amendColumn,
    ...formColumns.slice(1),
    ...(mayEdit ? [{
      title: '操作', key: 'edit', width: 90, fixed: 'right' as const,
      render: (_: unknown, e: LedgerEntry) => (
        <Button size="small" onClick={() => setEditing(e)} aria-label={`${share ? '更正' : '修改'}第 ${e.serial} 行`}>{share ? '更正' : '修改'}</Button>
      ),
    }] : []),
  ];

  const download = (format: 'xlsx' | 'csv') => apiUrl('/v1/ledger', { ...key, format });
  const notFound = ledger.error instanceof ApiError && ledger.error.status === 404;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>工作台账（附件2）</Typography.Title>
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label="县（市）区" htmlFor="ledger-county">
          <Select id="ledger-county" style={{ width: 140 }} value={pickable(scope.counties, key.county)} options={scope.counties}
            onChange={(v: string) => setUrl({ county: v })} placeholder="请选择" />
        </Form.Item>
        <Form.Item label="部门" htmlFor="ledger-department">
          <Select id="ledger-department" style={{ width: 160 }} value={pickable(scope.departments, key.department)} options={scope.departments}
            onChange={(v: string) => setUrl({ department: v })} placeholder="请选择" />
        </Form.Item>
        <Form.Item label="月份" htmlFor="ledger-month">
          <DatePicker id="ledger-month" picker="month" format="YYYY-MM" allowClear={false} value={dayjs(`${key.month}-01`)}
            disabledDate={(d) => d.format('YYYY-MM') > thisMonth()} onChange={(d) => d && setUrl({ month: d.format('YYYY-MM') })} />
        </Form.Item>
      </Form>

      <Tabs activeKey={tab} onChange={(t) => setUrl({ tab: t === 'rows' ? undefined : t })} items={[
        {
          key: 'rows', label: '台账预览',
          children: (
            <Space direction="vertical" size={12} style={{ width: '100%' }}>
              {notFound && (
                <Alert type="warning" showIcon role="alert" title="无法查看此台账" description="所选县区或部门不在您的管辖范围内。"
                  action={<Button size="small" onClick={() => setUrl({ county: undefined, department: undefined })}>查看本单位台账</Button>} />
              )}
              {!notFound && <ErrorAlert error={ledger.error} onRetry={() => void ledger.refetch()} />}
              {first && (
                <>
                  <div style={{ textAlign: 'center' }}>
                    <Typography.Title level={3} style={{ fontSize: 18, marginBottom: 4 }}>{first.title}</Typography.Title>
                    <Space size={32}><span>填报单位：{first.unit}</span><span>月份：{monthText(first.month)}</span></Space>
                  </div>
                  <ShareState share={share} monthOver={monthOver} month={key.month} mayShare={mayShare} onShare={() => setSharing(true)} />
                  <Space wrap>
                    <Button href={download('xlsx')}>下载 XLSX</Button>
                    <Button href={download('csv')}>下载 CSV</Button>
                    {share && me.mayUnmask && (
                      <Button href={apiUrl('/v1/ledger', { ...key, format: 'xlsx', unmask: 'true' })}>下载含完整身份证号的 XLSX（记入审计）</Button>
                    )}
                    <Typography.Text type="secondary">下载内容为本月全部记录（与预览一致）。</Typography.Text>
                  </Space>
                </>
              )}
              {ready && !notFound && (
                <Table<LedgerEntry>
                  rowKey="id" dataSource={rows} columns={columns} loading={ledger.isPending} pagination={false} size="small" bordered
                  scroll={{ x: 2200 }} aria-label="台账记录"
                  locale={{ emptyText: <EmptyState description={`${monthText(key.month)}没有台账记录`} /> }}
                  footer={() => `已显示 ${rows.length} 行${ledger.hasNextPage ? '，还有更多' : '（全部）'}`}
                />
              )}
              {ledger.hasNextPage && <Button onClick={() => void ledger.fetchNextPage()} loading={ledger.isFetchingNextPage}>加载下一页</Button>}
            </Space>
          ),
        },
        {
          key: 'shares', label: '共享记录',
          children: <ShareList ledgerKey={key} byMonth={url.view === 'month'} onView={(v) => setUrl({ view: v === 'month' ? v : undefined })}
            onOpen={(s) => setUrl({ county: s.county, department: s.department, month: s.month, tab: undefined, view: undefined })} />,
        },
      ]} />

      {editing && (
        <LedgerEntryForm entry={editing} amend={Boolean(share)} onClose={() => setEditing(undefined)} />
      )}
      {sharing && <ShareDialog ledgerKey={key} onClose={() => setSharing(false)} />}
    </Space>
  );
}

/** Shared (by whom, when, hash), or not yet, with the 共享 button once the month is over. */
function ShareState({ share, monthOver, month, mayShare, onShare }: {
  share: Share | null; monthOver: boolean; month: string; mayShare: boolean; onShare: () => void;
}) {
  if (share) {
    return (
      <Alert type="success" showIcon role="status" title={`${monthText(month)}台账已与${share.sharedWith.label}共享（已冻结）`} description={(
        <Descriptions size="small" column={{ xs: 1, md: 2 }} items={[
          { key: 'by', label: '共享人', children: share.sharedByName ?? share.sharedBy },
          { key: 'at', label: '共享时间', children: formatDateTime(share.sharedAt) },
          { key: 'rows', label: '记录行数', children: share.rowCount },
          { key: 'hash', label: '内容哈希', children: <Typography.Text code copyable style={{ wordBreak: 'break-all' }}>{share.contentHash}</Typography.Text> },
          { key: 'note', label: '修改', children: '已共享的记录不可修改；如有错误请点“更正”，更正记录记入本月台账。' },
        ]} />
      )} />
    );
  }
  if (!monthOver) {
    return <Alert type="info" showIcon title={`${monthText(month)}尚未结束`} description="月度台账须在次月与同级残联共享；本月记录在共享前均可修改。" />;
  }
  return (
    <Alert type="warning" showIcon title={`${monthText(month)}台账尚未共享`} description="共享后本月记录冻结，不可再修改，之后的修改以更正记录的形式记入当月台账。"
      action={mayShare ? <Button type="primary" onClick={onShare}>共享</Button> : undefined} />
  );
}

/** The confirmation: what sharing now freezes (row count, content hash); the share is refused if the month changed since. */
function ShareDialog({ ledgerKey, onClose }: { ledgerKey: Key; onClose: () => void }) {
  const queryClient = useQueryClient();
  const preview = useQuery({
    queryKey: ['ledger', 'preview', ledgerKey],
    queryFn: () => call(api.GET('/v1/ledger/share-preview', { params: { query: ledgerKey as never } })),
    gcTime: 0,
  });
  const share = useMutation({
    mutationFn: (contentHash: string) => call(api.POST('/v1/ledger/share', { body: { ...ledgerKey, contentHash } as never })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['ledger'] });
      onClose();
    },
    onError: () => void preview.refetch(),
  });
  const p = preview.data;
  return (
    <Modal
      open title="确认共享台账" okText="确认共享" cancelText="取消" onCancel={onClose}
      okButtonProps={{ disabled: !p || Boolean(p.share) || !p.monthOver, loading: share.isPending }}
      onOk={() => p && share.mutate(p.contentHash)}
    >
      <ErrorAlert error={preview.error} onRetry={() => void preview.refetch()} />
      {share.isError && <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title="未共享" description={errorMessage(share.error)} />}
      {preview.isPending && <Typography.Text>正在计算本月台账的行数与内容哈希…</Typography.Text>}
      {p && (
        <>
          <Typography.Paragraph>共享后本月台账冻结，以下行数与内容哈希将作为共享记录保存，供同级残联核对。</Typography.Paragraph>
          <Descriptions bordered size="small" column={1} items={[
            { key: 'unit', label: '填报单位', children: p.unit },
            { key: 'month', label: '月份', children: monthText(p.month) },
            { key: 'with', label: '共享对象', children: `${p.county.label}残联` },
            { key: 'rows', label: '记录行数', children: <strong data-testid="share-row-count">{p.rowCount}</strong> },
            { key: 'hash', label: '内容哈希（SHA-256）', children: <Typography.Text code data-testid="share-hash" style={{ wordBreak: 'break-all' }}>{p.contentHash}</Typography.Text> },
          ]} />
          {p.waitingAdded > 0 && (
            <Alert type="info" showIcon style={{ marginTop: 12 }} title={`含 ${p.waitingAdded} 件容缺后补、尚待补交材料的案件`} description="共享时记入本月台账，材料补齐办结后另行登记。" />
          )}
        </>
      )}
    </Modal>
  );
}

/** A county department's month: shared (with its share) or not. */
interface ShareRow { key: string; unit: string; month: string; county: string; department: string; share?: Share }

/**
 * The shares, each hash verified again now: this county department's, newest month first; or the chosen
 * month's for every county department in the caller's scope, those not shared yet listed as 未共享.
 */
function ShareList({ ledgerKey, byMonth, onView, onOpen }: {
  ledgerKey: Key; byMonth: boolean; onView: (view: 'unit' | 'month') => void; onOpen: (k: Key) => void;
}) {
  const scope = useScopeOptions();
  const { county, department, month } = ledgerKey;
  const shares = useQuery({
    queryKey: ['ledger', 'shares', byMonth ? { month } : { county, department }],
    enabled: byMonth || Boolean(county && department),
    queryFn: () => call(api.GET('/v1/ledger/shares', { params: { query: (byMonth ? { month } : { county, department, limit: 24 }) as never } })),
  });
  const items = shares.data?.items ?? [];
  const rowOf = (s: Share): ShareRow => ({
    key: `${s.county.code}/${s.department.code}/${s.month}`, unit: `${s.county.label}${s.department.label}`, month: s.month, county: s.county.code, department: s.department.code, share: s,
  });
  // Until the shares are known, no unit is listed as 未共享.
  const rows: ShareRow[] = !shares.data ? [] : byMonth
    ? scope.counties.flatMap((c) => scope.departments.map((d) => {
      const s = items.find((x) => x.county.code === c.value && x.department.code === d.value);
      return s ? rowOf(s) : { key: `${c.value}/${d.value}/${month}`, unit: `${c.label}${d.label}`, month, county: c.value, department: d.value };
    }))
    : items.map(rowOf);
  const shared = rows.filter((r) => r.share).length;
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Space wrap>
        <Radio.Group value={byMonth ? 'month' : 'unit'} onChange={(e) => onView(e.target.value as 'unit' | 'month')} optionType="button" options={[
          { value: 'unit', label: '本单位历次共享' }, { value: 'month', label: `${monthText(month)}各单位` },
        ]} />
        {byMonth && shares.data && <span>已共享 <strong>{shared}</strong> / {rows.length}</span>}
      </Space>
      <Typography.Text type="secondary">每次打开时按当前台账记录重新计算内容哈希，与共享时冻结的哈希比对。</Typography.Text>
      <ErrorAlert error={shares.error} onRetry={() => void shares.refetch()} />
      <Table<ShareRow>
        rowKey="key" dataSource={rows} loading={shares.isPending} pagination={false} size="small" bordered scroll={{ x: 1100 }} aria-label="共享记录"
        locale={{ emptyText: <EmptyState description="尚无共享记录" /> }}
        columns={[
          { title: '月份', dataIndex: 'month', width: 110, render: (m: string, r) => <Button type="link" size="small" onClick={() => onOpen(r)} aria-label={`打开 ${r.unit} ${monthText(m)}台账`}>{monthText(m)}</Button> },
          { title: '填报单位', dataIndex: 'unit', width: 150 },
          { title: '记录行数', key: 'rows', width: 90, render: (_v, r) => r.share?.rowCount ?? '—' },
          { title: '内容哈希', key: 'hash', render: (_v, r) => (r.share ? <Typography.Text code style={{ wordBreak: 'break-all' }}>{r.share.contentHash}</Typography.Text> : '—') },
          { title: '共享人', key: 'by', width: 120, render: (_v, r) => (r.share ? r.share.sharedByName ?? r.share.sharedBy : '—') },
          { title: '共享时间', key: 'at', width: 150, render: (_v, r) => (r.share ? formatDateTime(r.share.sharedAt) : '—') },
          {
            title: '重新校验', key: 'verified', width: 100, fixed: 'right',
            render: (_v, r) => (!r.share ? <Tag>未共享</Tag> : r.share.verified ? <Tag color="green">匹配</Tag> : <Tag color="red">不一致</Tag>),
          },
        ]}
      />
    </Space>
  );
}
