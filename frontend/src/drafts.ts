import { createContext, useContext, useMemo } from 'react';

/**
 * What the user was typing (a new task, an edit), kept in sessionStorage until it is saved or
 * cancelled, so that it survives a session that ended and the log-in after it. Only the text of the
 * form, never a token; per user (the scope is the user's id), and cleared at log-out.
 */
const PREFIX = 'todo.draft';

/** The user the drafts belong to; null: nothing is kept (no one is signed in). */
export const DraftScope = createContext<string | null>(null);

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

function sessionStore(): Store | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export interface Drafts {
  load<T>(name: string): T | null;
  save(name: string, value: unknown): void;
  clear(name: string): void;
  has(name: string): boolean;
}

export function drafts(scope: string | null, storage: Store | null = sessionStore()): Drafts {
  const key = (name: string) => `${PREFIX}.${scope}.${name}`;
  const usable = scope !== null && storage !== null;
  return {
    load<T>(name: string): T | null {
      if (!usable) return null;
      try {
        const raw = storage.getItem(key(name));
        return raw === null ? null : (JSON.parse(raw) as T);
      } catch {
        return null;
      }
    },
    save(name, value) {
      if (!usable) return;
      try {
        storage.setItem(key(name), JSON.stringify(value));
      } catch {
        // Storage full or denied: the draft is only lost if the session ends meanwhile.
      }
    },
    clear(name) {
      if (usable) storage.removeItem(key(name));
    },
    has(name) {
      return usable && storage.getItem(key(name)) !== null;
    },
  };
}

/** Forgets every user's drafts (at log-out: the next person at this browser sees none). */
export function clearAllDrafts(storage: Store | null = sessionStore()): void {
  if (!storage) return;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(`${PREFIX}.`)) keys.push(k);
  }
  for (const k of keys) storage.removeItem(k);
}

export function useDrafts(): Drafts {
  const scope = useContext(DraftScope);
  return useMemo(() => drafts(scope), [scope]);
}

/** The draft names of the add bar and of an edit of a task. */
export const NEW_TASK_DRAFT = 'new';
export const editDraft = (taskId: string) => `edit.${taskId}`;
