// `npm run dev -w backend` (and the root `npm run dev`): the API with reload on change (tsx watch),
// on embedded PGlite in memory unless DATABASE_URL is set. Sets a development-only JWT secret
// when neither JWT_SECRET nor JWT_SECRET_FILE is given, so it starts with no setup at all; every
// other setting comes from the environment as usual (contract BACKEND_ENV).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
if (!env.JWT_SECRET && !env.JWT_SECRET_FILE) {
  env.JWT_SECRET = 'development-only-secret-never-use-it-in-production';
  console.error('backend dev: JWT_SECRET is unset; using a fixed development-only secret');
}
// Local addresses only, unless HOST says otherwise.
env.HOST ||= '127.0.0.1';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const child = spawn(process.execPath, [tsxCli, 'watch', '--clear-screen=false', 'src/server.ts'], { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
