import type { Session } from '@todo/contract';
import { useCallback, useEffect, useState } from 'react';
import { type ApiClient, SESSION_ENDED } from './api';
import { clearAllDrafts, DraftScope } from './drafts';
import { AuthPage } from './pages/AuthPage';
import { TasksPage } from './pages/TasksPage';
import { navigate, useLocation } from './router';
import type { SessionEnd, SessionManager } from './session';

export const PATHS = { login: '/login', signup: '/signup', tasks: '/tasks' } as const;

export const LOGGED_OUT = 'You have logged out.';

interface Props {
  api: ApiClient;
  sessions: SessionManager;
  /** The session restored at start (a refresh with the cookie) has been looked for. */
  restored: Promise<unknown>;
}

export function App({ api, sessions, restored }: Props) {
  const location = useLocation();
  const [session, setSession] = useState<Session | null>(() => sessions.current());
  const [ready, setReady] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void restored.finally(() => {
      if (!live) return;
      setSession(sessions.current());
      // A session that could not be renewed at start ended while the app was closed: say so.
      if (!sessions.current() && sessions.lastEnd) setNotice(sessions.lastEnd === 'logout' ? LOGGED_OUT : SESSION_ENDED);
      setReady(true);
    });
    // This tab, another tab, a renewal refused: every change of the session comes through here.
    const off = sessions.subscribe((s: Session | null, end?: SessionEnd) => {
      setSession(s);
      if (s) {
        setNotice(null);
        return;
      }
      if (end === 'logout') clearAllDrafts();
      setNotice(end === 'logout' ? LOGGED_OUT : SESSION_ENDED);
      navigate(PATHS.login);
    });
    return () => {
      live = false;
      off();
    };
  }, [sessions, restored]);

  const isAuthPage = location.pathname === PATHS.login || location.pathname === PATHS.signup;

  // Route guards: signed-out users only see the auth pages; signed-in users skip them.
  useEffect(() => {
    if (!ready) return;
    if (!session && !isAuthPage) navigate(PATHS.login, { replace: true });
    else if (session && location.pathname !== PATHS.tasks) navigate(PATHS.tasks, { replace: true });
  }, [ready, session, isAuthPage, location.pathname, location.search]);

  const onAuthenticated = useCallback(
    (s: Session) => {
      sessions.signedIn(s);
      navigate(PATHS.tasks);
    },
    [sessions],
  );

  const onLogout = useCallback(() => sessions.logout(), [sessions]);

  if (!ready) {
    // The refresh cookie is being looked at (one request): the brand only, nothing to act on yet.
    return (
      <main className="page narrow auth" aria-busy="true">
        <p className="brand">
          <span className="logo" aria-hidden="true">
            ✓
          </span>{' '}
          Todo
        </p>
      </main>
    );
  }
  if (session && location.pathname === PATHS.tasks) {
    return (
      <DraftScope.Provider value={session.user.id}>
        <TasksPage api={api} session={session} search={location.search} onLogout={onLogout} />
      </DraftScope.Provider>
    );
  }
  if (!session && isAuthPage) {
    return (
      <AuthPage
        key={location.pathname}
        mode={location.pathname === PATHS.signup ? 'signup' : 'login'}
        api={api}
        notice={notice}
        onAuthenticated={onAuthenticated}
      />
    );
  }
  return null;
}
