import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiClient } from './api';
import { loadRuntimeConfig } from './config';
import { browserSessions } from './session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadRuntimeConfig().then(
  (config) => {
    const api = new ApiClient({
      baseUrl: config.apiBaseUrl,
      getToken: () => sessions.accessToken(),
      onUnauthorized: (token) => sessions.unauthorized(token),
    });
    const sessions = browserSessions(api);
    const restored = sessions.restore();
    root.render(
      <StrictMode>
        <App api={api} sessions={sessions} restored={restored} />
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
