/**
 * Every page of the console, one lazily loaded chunk each, and the navigation each role sees.
 * A new page (e.g. issue #14's dashboard, ledger, statistics, administration) is one entry in PAGES.
 */
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { createBrowserRouter, Navigate, useLocation } from 'react-router';
import { AppLayout } from './layout/AppLayout';
import { FullPageSpin } from './components/States';
import { ErrorBoundary } from './components/ErrorBoundary';
import { useSession, type Role } from './session';

export interface PageDef {
  path: string;
  /** Shown in the navigation when set. */
  nav?: string;
  roles: readonly Role[];
  component: LazyExoticComponent<ComponentType>;
}

const DESK: readonly Role[] = ['coordinator', 'supervisor', 'admin'];
const ALL: readonly Role[] = ['coordinator', 'worker', 'reviewer', 'supervisor', 'admin'];

export const PAGES: readonly PageDef[] = [
  { path: '/workbench', nav: '工作台', roles: ['coordinator'], component: lazy(() => import('./pages/coordinator/Workbench')) },
  // Issue #14, supervision dashboard: 督办看板 and its sub-views (the case list behind any figure, stuck
  // cases, escalations, workload, failing workflows); the supervision API admits these three roles.
  { path: '/dashboard', nav: '督办看板', roles: DESK, component: lazy(() => import('./pages/supervision/Dashboard')) },
  { path: '/dashboard/cases', roles: DESK, component: lazy(() => import('./pages/supervision/FigureCases')) },
  { path: '/dashboard/stuck', roles: DESK, component: lazy(() => import('./pages/supervision/Stuck')) },
  { path: '/dashboard/escalations', roles: DESK, component: lazy(() => import('./pages/supervision/Escalations')) },
  { path: '/dashboard/workload', roles: DESK, component: lazy(() => import('./pages/supervision/Workload')) },
  { path: '/dashboard/failing', roles: DESK, component: lazy(() => import('./pages/supervision/Failing')) },
  { path: '/subjects', nav: '服务对象', roles: DESK, component: lazy(() => import('./pages/coordinator/Subjects')) },
  { path: '/subjects/new', roles: ['coordinator', 'admin'], component: lazy(() => import('./pages/coordinator/SubjectNew')) },
  { path: '/subjects/:id', roles: ALL, component: lazy(() => import('./pages/coordinator/SubjectDetail')) },
  { path: '/subjects/:id/survey', roles: ['coordinator', 'worker'], component: lazy(() => import('./pages/coordinator/Survey')) },
  { path: '/cases', nav: '案件', roles: DESK, component: lazy(() => import('./pages/coordinator/CaseList')) },
  { path: '/cases/new', roles: ['coordinator', 'admin'], component: lazy(() => import('./pages/coordinator/CaseNew')) },
  { path: '/cases/:id', roles: ALL, component: lazy(() => import('./pages/shared/CasePage')) },
  { path: '/tasks', nav: '我的任务', roles: ['worker'], component: lazy(() => import('./pages/worker/MyTasks')) },
  { path: '/tasks/:id', roles: ['worker'], component: lazy(() => import('./pages/worker/TaskPage')) },
  { path: '/plans', nav: '服务计划', roles: ['worker'], component: lazy(() => import('./pages/worker/Plans')) },
  { path: '/queue', nav: '待发送', roles: ['worker'], component: lazy(() => import('./pages/worker/QueuePage')) },
  { path: '/reviews', nav: '审核队列', roles: ['reviewer'], component: lazy(() => import('./pages/reviewer/ReviewQueue')) },
  { path: '/reviews/:id', roles: ['reviewer'], component: lazy(() => import('./pages/reviewer/ReviewPage')) },
  // Issue #14, plans oversight (desk roles; the worker keeps /plans), the monthly ledger (附件2) and the
  // quarterly statistics (附件3); 系统管理 (users and tokens, the audit log, the catalog) under one nav entry.
  { path: '/oversight/plans', nav: '服务计划', roles: DESK, component: lazy(() => import('./pages/plans/PlanOversight')) },
  { path: '/oversight/plans/:id', roles: DESK, component: lazy(() => import('./pages/plans/PlanPage')) },
  { path: '/ledger', nav: '工作台账', roles: ['coordinator', 'reviewer', 'supervisor', 'admin'], component: lazy(() => import('./pages/reports/Ledger')) },
  { path: '/reports/quarterly', nav: '统计报表', roles: DESK, component: lazy(() => import('./pages/reports/Quarterly')) },
  { path: '/admin', nav: '系统管理', roles: ['admin'], component: lazy(() => import('./pages/admin/AdminHome')) },
  { path: '/admin/users', roles: ['admin'], component: lazy(() => import('./pages/admin/Users')) },
  { path: '/admin/users/:id', roles: ['admin'], component: lazy(() => import('./pages/admin/UserPage')) },
  { path: '/admin/audit', roles: ['admin'], component: lazy(() => import('./pages/admin/AuditLog')) },
  { path: '/admin/catalog', roles: ['admin'], component: lazy(() => import('./pages/admin/CatalogPage')) },
  { path: '/notifications/failed', nav: '通知发送失败', roles: ['admin'], component: lazy(() => import('./pages/admin/FailedDeliveries')) },
  // The header's bell opens the inbox (every role).
  { path: '/inbox', roles: ALL, component: lazy(() => import('./pages/shared/Inbox')) },
  { path: '/settings/notifications', roles: ALL, component: lazy(() => import('./pages/shared/NotificationSettings')) },
];

/** Where a role starts after logging in. */
export const HOME: Readonly<Record<Role, string>> = {
  coordinator: '/workbench', worker: '/tasks', reviewer: '/reviews', supervisor: '/dashboard', admin: '/subjects',
};

const LoginPage = lazy(() => import('./pages/LoginPage'));

function Page({ def }: { def: PageDef }) {
  const { me } = useSession();
  const location = useLocation();
  if (!me) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!def.roles.includes(me.role.code)) return <Navigate to={HOME[me.role.code]} replace />;
  const Component = def.component;
  return <ErrorBoundary key={location.pathname}><Suspense fallback={<FullPageSpin />}><Component /></Suspense></ErrorBoundary>;
}

function Home() {
  const { me } = useSession();
  return <Navigate to={me ? HOME[me.role.code] : '/login'} replace />;
}

function NotFound() {
  const { me } = useSession();
  if (!me) return <Navigate to="/login" replace />;
  return <Navigate to={HOME[me.role.code]} replace />;
}

export const router = createBrowserRouter([
  { path: '/login', element: <Suspense fallback={<FullPageSpin />}><LoginPage /></Suspense> },
  {
    element: <AppLayout />,
    children: [
      { index: true, element: <Home /> },
      ...PAGES.map((def) => ({ path: def.path, element: <Page def={def} /> })),
      { path: '*', element: <NotFound /> },
    ],
  },
]);
