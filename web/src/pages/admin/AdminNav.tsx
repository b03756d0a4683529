/** The tab strip of 系统管理: users and tokens, the audit log, the catalog (each its own page and URL). */
import { Link, useLocation } from 'react-router';

const SECTIONS = [
  { path: '/admin/users', label: '用户与令牌' },
  { path: '/admin/audit', label: '审计日志' },
  { path: '/admin/catalog', label: '服务目录' },
] as const;

export function AdminNav() {
  const { pathname } = useLocation();
  return (
    <nav aria-label="系统管理">
      <ul className="sub-nav">
        {SECTIONS.map((s) => {
          const current = pathname.startsWith(s.path);
          return <li key={s.path}><Link to={s.path} aria-current={current ? 'page' : undefined} className={current ? 'active' : undefined}>{s.label}</Link></li>;
        })}
      </ul>
    </nav>
  );
}
