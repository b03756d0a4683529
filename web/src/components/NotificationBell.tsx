/**
 * The header's bell: the unread count of the user's notifications; opens the inbox (消息). When a new
 * one arrives, the case lists on screen are asked again (a newly assigned case shows in 我的任务 at once).
 */
import { useEffect, useRef } from 'react';
import { Link, useLocation } from 'react-router';
import { Badge } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useUnreadCount } from '../lib/notifications';

export function NotificationBell() {
  const unread = useUnreadCount().data;
  const queryClient = useQueryClient();
  const { pathname } = useLocation();
  const seen = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (unread === undefined) return;
    if (seen.current !== undefined && unread > seen.current) void queryClient.invalidateQueries({ queryKey: ['cases'] });
    seen.current = unread;
  }, [unread, queryClient]);
  const count = unread ?? 0;
  return (
    <Link
      to="/inbox" className="bell" title="消息" aria-current={pathname === '/inbox' ? 'page' : undefined}
      aria-label={count > 0 ? `消息：${count} 条未读` : '消息：没有未读'}
    >
      <Badge count={count} overflowCount={99} size="small" color="#c41d1d" offset={[2, -2]}>
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
          <path fill="#fff" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
        </svg>
      </Badge>
    </Link>
  );
}
