import { useSyncExternalStore } from 'react';

/** navigator.onLine, live. */
export function useOnline(): boolean {
  return useSyncExternalStore((l) => {
    window.addEventListener('online', l);
    window.addEventListener('offline', l);
    return () => { window.removeEventListener('online', l); window.removeEventListener('offline', l); };
  }, () => navigator.onLine);
}
