#!/usr/bin/env bash
# Browser end-to-end test of the web app: builds the backend and the frontend, starts the backend
# (embedded PGlite, or the PostgreSQL given in DATABASE_URL) and the production web server (which
# proxies /api to it) on 127.0.0.1, and drives Debian's headless Chromium through playwright-core.
# Installs Chromium with apt when it is missing. Screenshots: .artifacts/screenshots/ (git-ignored).
# Also prints the frontend server's start-to-ready time.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "browser: $(chromium --version 2>/dev/null || echo unknown)"

if [ ! -f backend/package.json ]; then
  echo "frontend-e2e: backend/package.json is missing: the end-to-end test needs the real backend" >&2
  exit 1
fi
nice -n 10 npm run build -w backend --silent
nice -n 10 npm run build -w frontend --silent

# The servers are children of the test, which stops them when it ends (or is interrupted).
npm run ready-time -w frontend --silent
node --import tsx frontend/e2e/run.ts
