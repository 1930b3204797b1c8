import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiClient } from './api';
import { loadRuntimeConfig } from './config';
import { clearSession, loadSession } from './session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadRuntimeConfig().then(
  (config) => {
    let onUnauthorized = () => {};
    const api = new ApiClient({
      baseUrl: config.apiBaseUrl,
      getToken: () => loadSession()?.token ?? null,
      onUnauthorized: () => {
        clearSession();
        onUnauthorized();
      },
    });
    root.render(
      <StrictMode>
        <App api={api} registerUnauthorized={(fn) => (onUnauthorized = fn)} />
      </StrictMode>,
    );
  },
  (err: Error) => {
    root.render(
      <main className="page narrow">
        <h1>Todo</h1>
        <p className="error" role="alert">
          {err.message}
        </p>
      </main>,
    );
  },
);
