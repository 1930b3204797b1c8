import type { Session } from '@todo/contract';
import { useCallback, useEffect, useState } from 'react';
import { type ApiClient, SESSION_ENDED } from './api';
import { AuthPage } from './pages/AuthPage';
import { TasksPage } from './pages/TasksPage';
import { navigate, useLocation } from './router';
import { clearSession, loadSession, saveSession } from './session';

export const PATHS = { login: '/login', signup: '/signup', tasks: '/tasks' } as const;

interface Props {
  api: ApiClient;
  /** Lets the API client send the user back to the log-in page when a call answers 401. */
  registerUnauthorized(fn: () => void): void;
}

export function App({ api, registerUnauthorized }: Props) {
  const location = useLocation();
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    registerUnauthorized(() => {
      setSession(null);
      setNotice(SESSION_ENDED);
      navigate(PATHS.login);
    });
  }, [registerUnauthorized]);

  const isAuthPage = location.pathname === PATHS.login || location.pathname === PATHS.signup;

  // Route guards: signed-out users only see the auth pages; signed-in users skip them.
  useEffect(() => {
    if (!session && !isAuthPage) navigate(PATHS.login, { replace: true });
    else if (session && location.pathname !== PATHS.tasks) navigate(PATHS.tasks, { replace: true });
  }, [session, isAuthPage, location.pathname, location.search]);

  const onAuthenticated = useCallback((s: Session) => {
    saveSession(s);
    setNotice(null);
    setSession(s);
    navigate(PATHS.tasks);
  }, []);

  const onLogout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The token is dropped on this side whatever the server says.
    }
    clearSession();
    setSession(null);
    setNotice('You have logged out.');
    navigate(PATHS.login);
  }, [api]);

  if (session && location.pathname === PATHS.tasks) {
    return <TasksPage api={api} session={session} search={location.search} onLogout={onLogout} />;
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
