import { BACKEND, FRONTEND, FRONTEND_ENV } from '@todo/contract';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * `vite` (npm run dev -w frontend) serves the app with hot reload and proxies the API to the
 * backend's dev server; `vite build` (via scripts/build.mjs) writes dist/public/.
 * Load it with `--configLoader runner` (it imports the TypeScript contract workspace).
 * In dev, API_UPSTREAM (the production server's variable) overrides the backend address.
 */
const apiUpstream = process.env[FRONTEND_ENV.apiUpstream.name] || `http://127.0.0.1:${BACKEND.port}`;

/** The production server's runtime configuration, for the dev server: same-origin API. */
function runtimeConfig(): Plugin {
  return {
    name: 'todo-runtime-config',
    configureServer(server) {
      server.middlewares.use(FRONTEND.runtimeConfigPath, (_req, res) => {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store');
        res.end(JSON.stringify({ apiBaseUrl: BACKEND.apiPrefix }));
      });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [runtimeConfig()],
  build: {
    outDir: 'dist/public',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: FRONTEND.port,
    proxy: { [BACKEND.apiPrefix]: { target: apiUpstream, changeOrigin: false, xfwd: true } },
  },
  preview: { host: '127.0.0.1', port: FRONTEND.port },
});
