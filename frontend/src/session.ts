import type { Session } from '@todo/contract';

const KEY = 'todo.session';

/** The session lives in sessionStorage: it ends with the tab, and is not shared across tabs. */
export function loadSession(storage: Storage = sessionStorage, now = Date.now()): Session | null {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s?.token !== 'string' || typeof s.user?.email !== 'string') return null;
    if (s.expiresAt && Date.parse(s.expiresAt) <= now) {
      storage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}
