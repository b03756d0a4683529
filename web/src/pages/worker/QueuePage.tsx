/** 待发送: everything waiting on this phone, with progress, the reason a send failed, retry and discard. */
import { Link } from 'react-router';
import { Button, List, Popconfirm, Space, Tag, Typography } from 'antd';
import { discard, drain, retry, useOutbox } from '../../lib/outbox';
import { EmptyState } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useOnline } from '../../lib/useOnline';
import { useMe } from '../../session';
import { UploadProgress } from '../../components/UploadProgress';

export default function QueuePage() {
  const me = useMe();
  const online = useOnline();
  const { entries, progress, sendingSeq } = useOutbox();
  const mine = entries.filter((e) => e.userId === me.id);
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>待发送（{mine.length}）</Typography.Title>
      <Typography.Text type="secondary">
        {online ? '网络已连接，正在按顺序发送。' : '当前无网络。以下内容已保存在本机，刷新页面不会丢失，联网后自动发送。'}
      </Typography.Text>
      {mine.length === 0 ? <EmptyState description="没有待发送的内容，全部已送达" /> : (
        <>
          <Button onClick={() => void drain()} disabled={!online}>立即发送</Button>
          <List
            bordered dataSource={mine} aria-label="待发送列表"
            renderItem={(e) => (
              <List.Item actions={[
                e.status === 'failed' ? <Button key="r" size="small" onClick={() => void retry(e.seq!)}>重试</Button> : null,
                <Popconfirm key="d" title="放弃后此项不会再发送，确定？" okText="放弃" cancelText="取消" onConfirm={() => discard(e.seq!)}>
                  <Button size="small" danger>放弃</Button>
                </Popconfirm>,
              ].filter(Boolean)}>
                <Space direction="vertical" size={2} style={{ width: '100%' }}>
                  <span>{e.label} {e.caseId && <Link to={`/tasks/${e.caseId}`}>案件</Link>}</span>
                  <span style={{ fontSize: 12, color: '#595959' }}>登记于 {formatDateTime(e.createdAt)}{e.attempts > 0 ? `，已尝试 ${e.attempts} 次` : ''}</span>
                  {e.status === 'failed' ? <Tag color="red">未成功：{e.error}</Tag> : sendingSeq === e.seq ? <Tag color="blue">正在发送</Tag> : <Tag>等待发送{e.error ? `（上次：${e.error}）` : ''}</Tag>}
                  {progress.has(e.seq!) && <UploadProgress fraction={progress.get(e.seq!)!} label={e.label} />}
                </Space>
              </List.Item>
            )}
          />
        </>
      )}
    </Space>
  );
}
