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
  /** An error about one field (the API named it, e.g. a common password at sign-up): shown at that field. */
  const [fieldError, setFieldError] = useState<{ field: 'email' | 'password'; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const ids = useId();

  useEffect(() => {
    document.title = `${title} · Todo`;
    if (hasNavigated()) heading.current?.focus();
  }, [title]);

  const showFieldError = (field: 'email' | 'password', message: string) => {
    setFieldError({ field, message });
    (field === 'email' ? emailRef : passwordRef).current?.focus();
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setFieldError(null);
    if (isSignup && password.length < LIMITS.passwordMinLength) {
      showFieldError('password', `The password needs at least ${LIMITS.passwordMinLength} characters.`);
      return;
    }
    setBusy(true);
    try {
      const credentials = { email: email.trim(), password };
      const session = isSignup ? await api.signup(credentials) : await api.login(credentials);
      onAuthenticated(session);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiRequestError && (err.field === 'email' || err.field === 'password')) showFieldError(err.field, err.message);
      else setError(err instanceof ApiRequestError ? err.message : 'Something went wrong. Please try again.');
    }
  }

  const errorId = (field: 'email' | 'password') => (fieldError?.field === field ? `${ids}-${field}-error` : undefined);
  const describedBy = (...parts: (string | undefined | false)[]) => parts.filter(Boolean).join(' ') || undefined;
  const fieldErrorLine = (field: 'email' | 'password') =>
    fieldError?.field === field && (
      <p id={`${ids}-${field}-error`} className="field-error" role="alert">
        {fieldError.message}
      </p>
    );

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
            ref={emailRef}
            aria-invalid={fieldError?.field === 'email' || undefined}
            aria-describedby={errorId('email')}
            value={email}
            onChange={(e) => (setEmail(e.target.value), setError(null), fieldError?.field === 'email' && setFieldError(null))}
          />
          {fieldErrorLine('email')}
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
            ref={passwordRef}
            aria-invalid={fieldError?.field === 'password' || undefined}
            aria-describedby={describedBy(errorId('password'), isSignup && `${ids}-pwhint`)}
            value={password}
            onChange={(e) => (setPassword(e.target.value), setError(null), fieldError?.field === 'password' && setFieldError(null))}
          />
          {fieldErrorLine('password')}
          {isSignup && (
            <p id={`${ids}-pwhint`} className="hint">
              At least {LIMITS.passwordMinLength} characters, not a common password.
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
