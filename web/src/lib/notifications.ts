/**
 * Notifications in the console (issue 19): the unread count the header's bell shows, and where a
 * notification's link leads in the console for the user's role. Small on purpose: the bell is part of
 * every first load.
 */
import { useQuery } from '@tanstack/react-query';
import { matchPath } from 'react-router';
import { api, call, type paths } from '../api/client';
import type { Role } from '../session';

export type InboxItem = paths['/v1/me/notifications']['get']['responses'][200]['content']['application/json']['items'][number];

/** Every notification query shares this prefix: invalidating it refreshes the bell and the inbox. */
export const NOTIFICATIONS_KEY = ['notifications'] as const;

/** The unread count: asked every minute and whenever the window regains the focus. */
export function useUnreadCount() {
  return useQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'unread-count'],
    queryFn: async () => (await call(api.GET('/v1/me/notifications', { params: { query: { unread: 'true', limit: 1 } } }))).unreadCount,
    refetchInterval: 60_000,
    refetchOnWindowFocus: true,
    staleTime: 5_000,
  });
}

/**
 * The console page a notification's link (`/cases/<id>`, `/plans/<id>`, …) opens for this role, or
 * undefined when the console has no such page for it. A worker's case opens as their task page.
 */
export function consoleLink(link: string, role: Role, pages: ReadonlyArray<{ path: string; roles: readonly Role[] }>): string | undefined {
  const pathname = link.split('?')[0];
  const caseMatch = matchPath('/cases/:id', pathname);
  if (caseMatch && role === 'worker') return `/tasks/${caseMatch.params.id}`;
  if (pages.some((p) => p.roles.includes(role) && matchPath(p.path, pathname))) return link;
  // A plan's own page does not exist: its list does, for the roles that have it.
  if (matchPath('/plans/:id', pathname) && pages.some((p) => p.path === '/plans' && p.roles.includes(role))) return '/plans';
  return undefined;
}
