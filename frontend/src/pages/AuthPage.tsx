import { LIMITS, type Session } from '@todo/contract';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { type ApiClient, ApiRequestError } from '../api';
import { hasNavigated, navigate } from '../router';

interface Props {
  mode: 'login' | 'signup';
  api: ApiClient;
  notice: string | null;
  onAuthenticated(session: Session): void;
}

export function AuthPage({ mode, api, notice, onAuthenticated }: Props) {
  const isSignup = mode === 'signup';
  const title = isSignup ? 'Create your account' : 'Log in';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const ids = useId();

  useEffect(() => {
    document.title = `${title} · Todo`;
    if (hasNavigated()) heading.current?.focus();
  }, [title]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (isSignup && password.length < LIMITS.passwordMinLength) {
      setError(`The password needs at least ${LIMITS.passwordMinLength} characters.`);
      return;
    }
    setBusy(true);
    try {
      const credentials = { email: email.trim(), password };
      const session = isSignup ? await api.signup(credentials) : await api.login(credentials);
      onAuthenticated(session);
    } catch (err) {
      setError(err instanceof ApiRequestError ? err.message : 'Something went wrong. Please try again.');
      setBusy(false);
    }
  }

  const other = isSignup ? { path: '/login', text: 'Already have an account?', link: 'Log in' } : { path: '/signup', text: 'New here?', link: 'Create an account' };

  return (
    <main className="page narrow auth">
      <p className="brand" aria-hidden="true">
        <span className="logo">✓</span> Todo
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {notice && !error && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate={false} aria-describedby={error ? `${ids}-error` : undefined} className="card stack">
        <div className="field">
          <label htmlFor={`${ids}-email`}>Email</label>
          <input
            id={`${ids}-email`}
            name="email"
            type="email"
            autoComplete="email"
            required
            maxLength={LIMITS.emailMaxLength}
            value={email}
            onChange={(e) => (setEmail(e.target.value), setError(null))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-password`}>Password</label>
          <input
            id={`${ids}-password`}
            name="password"
            type="password"
            autoComplete={isSignup ? 'new-password' : 'current-password'}
            required
            minLength={isSignup ? LIMITS.passwordMinLength : undefined}
            maxLength={LIMITS.passwordMaxLength}
            aria-describedby={isSignup ? `${ids}-pwhint` : undefined}
            value={password}
            onChange={(e) => (setPassword(e.target.value), setError(null))}
          />
          {isSignup && (
            <p id={`${ids}-pwhint`} className="hint">
              At least {LIMITS.passwordMinLength} characters.
            </p>
          )}
        </div>
        {error && (
          <p id={`${ids}-error`} className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? (isSignup ? 'Creating account…' : 'Logging in…') : isSignup ? 'Sign up' : 'Log in'}
        </button>
      </form>
      <p className="switch">
        {other.text}{' '}
        <a
          href={other.path}
          onClick={(e) => {
            e.preventDefault();
            navigate(other.path);
          }}
        >
          {other.link}
        </a>
      </p>
    </main>
  );
}
