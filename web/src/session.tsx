/**
 * Who is logged in: GET /v1/me on start; the login form posts /v1/auth/login (cookie session + CSRF
 * cookie); logout posts /v1/auth/logout. Any 401 (idle 30 min, absolute 12 h) ends the session in the
 * app too: back to the login page, saying why, and back to the page one was on after logging in again.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, call, onSessionExpired, type Me } from './api/client';
import { FullPageSpin } from './components/States';

export type Role = Me['role']['code'];

interface SessionState {
  me: Me | undefined;
  /** Why the user is on the login page (session expired, logged out). */
  notice: string | undefined;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The logged-in user (pages behind RequireLogin only). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('not logged in');
  return me;
}

/** Whether this user may ask for full ID numbers and phones (the API audits each time). */
export function mayUnmask(me: Me): boolean {
  return me.mayUnmask;
}

/** 兴庆区 · 残联, or 全市. */
export function scopeText(me: Pick<Me, 'scope'>): string {
  const counties = me.scope.cityLevel ? '全市' : me.scope.counties.map((c) => c.label).join('、') || '全市';
  const departments = me.scope.departments.length ? me.scope.departments.map((d) => d.label).join('、') : '全部门';
  return `${counties} · ${departments}`;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [me, setMe] = useState<Me | undefined>();
  const [loading, setLoading] = useState(true);
  const [notice, setNotice] = useState<string | undefined>();

  const refresh = useCallback(async () => {
    try {
      setMe(await call(api.GET('/v1/me')));
    } catch (e) {
      setMe(undefined);
      // A stale session cookie (idle 30 min or 12 h old) says so; no cookie at all is just the login page.
      if (e instanceof ApiError && e.problem.type?.endsWith('session-expired')) setNotice(e.problem.detail || '登录已过期，请重新登录');
      else if (!(e instanceof ApiError)) setNotice((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => { void refresh(); }, [refresh]);

  useEffect(() => onSessionExpired(() => {
    setMe((was) => {
      if (was) setNotice('登录已过期，请重新登录');
      return undefined;
    });
    queryClient.clear();
  }), [queryClient]);

  const login = useCallback(async (username: string, password: string) => {
    const { user } = await call(api.POST('/v1/auth/login', { body: { username, password } }));
    queryClient.clear();
    setNotice(undefined);
    setMe(user);
  }, [queryClient]);

  const logout = useCallback(async () => {
    await call(api.POST('/v1/auth/logout')).catch(() => undefined);
    queryClient.clear();
    setMe(undefined);
    setNotice('您已退出登录');
  }, [queryClient]);

  const value = useMemo(() => ({ me, notice, login, logout, refresh }), [me, notice, login, logout, refresh]);
  if (loading) return <FullPageSpin />;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
