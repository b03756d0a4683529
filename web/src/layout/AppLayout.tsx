/** The frame of every page: who am I (name, role, scope), the role's navigation, the bell (unread notifications), the outbox, logout. */
import { useEffect, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { Alert, Badge, Button, Layout, Space, Tag, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { PAGES } from '../routes';
import { scopeText, useSession } from '../session';
import { onSent, startOutbox, useOutbox } from '../lib/outbox';
import { useOnline } from '../lib/useOnline';
import { NotificationBell } from '../components/NotificationBell';

const { Header, Content } = Layout;

export function AppLayout() {
  const { me, logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const online = useOnline();
  const outbox = useOutbox();
  const [narrow, setNarrow] = useState(() => window.innerWidth < 720);

  useEffect(() => {
    const onResize = () => setNarrow(window.innerWidth < 720);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  useEffect(() => { startOutbox(me?.id); }, [me?.id]);
  useEffect(() => onSent((e) => {
    if (e.caseId) void queryClient.invalidateQueries({ queryKey: ['case', e.caseId] });
    void queryClient.invalidateQueries({ queryKey: ['cases'] });
  }), [queryClient]);

  if (!me) return <Outlet />;
  const nav = PAGES.filter((p) => p.nav && p.roles.includes(me.role.code));
  const selected = nav.filter((p) => location.pathname.startsWith(p.path)).sort((a, b) => b.path.length - a.path.length)[0]?.path;
  const mine = outbox.entries.filter((e) => e.userId === me.id);

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a href="#main" className="skip-link">跳到主要内容</a>
      <Header style={{ display: 'flex', alignItems: 'center', gap: 12, padding: narrow ? '0 8px' : '0 24px', height: 'auto', minHeight: 56, lineHeight: 'normal', paddingBlock: narrow ? 8 : 10, flexWrap: 'wrap', rowGap: 6, background: '#0f3d8c' }}>
        <Link to="/" style={{ color: '#fff', fontWeight: 600, fontSize: narrow ? 15 : 17, whiteSpace: 'nowrap' }}>上门代办</Link>
        <nav aria-label="主导航" style={narrow ? { order: 3, flexBasis: '100%', paddingBottom: 6 } : { flex: 1, minWidth: 0 }}>
          <ul className="main-nav">
            {nav.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={p.path === selected ? 'page' : undefined} className={p.path === selected ? 'active' : undefined}>
                  {p.nav}{p.path === '/queue' && mine.length > 0 && <Badge count={mine.length} size="small" color="#ad4e00" style={{ marginInlineStart: 4 }} />}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <Space size={narrow ? 4 : 12} wrap style={{ color: '#fff', marginInlineStart: 'auto' }}>
          <NotificationBell />
          <span aria-label="当前用户">
            <Typography.Text strong style={{ color: '#fff', display: 'inline-block', verticalAlign: 'bottom', maxWidth: narrow ? '38vw' : 320, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={me.displayName}>{me.displayName}</Typography.Text>{' '}
            <Tag color="gold" style={{ marginInlineEnd: 0 }}>{me.role.label}</Tag>
            {!narrow && <Typography.Text style={{ color: '#dbe6ff', marginInlineStart: 8 }}>{scopeText(me)}</Typography.Text>}
          </span>
          <Button size="small" onClick={() => { void logout().then(() => navigate('/login')); }}>退出登录</Button>
        </Space>
      </Header>
      {!online && (
        <Alert type="warning" showIcon banner role="status" title={`网络已断开：新的上传和登记会保存在本机，联网后自动发送${mine.length ? `（待发送 ${mine.length} 项）` : ''}`} />
      )}
      <Content id="main" tabIndex={-1} style={{ padding: narrow ? 12 : 24, maxWidth: 1280, width: '100%', margin: '0 auto' }}>
        {narrow && <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 8 }}>{scopeText(me)}</Typography.Text>}
        <Outlet />
      </Content>
    </Layout>
  );
}
