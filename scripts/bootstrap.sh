#!/usr/bin/env bash
# Brings a fresh clone to a runnable state with Node alone: pnpm (the version package.json pins),
# then the workspace's dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want" ]; then
  echo "bootstrap: installing pnpm $want" >&2
  npm install --global --no-fund --no-audit "pnpm@$want" >&2
fi

# better-sqlite3 compiles from source when no prebuilt binary can be fetched; point node-gyp at
# the local Node headers so it needs no download.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  export npm_config_nodedir=/usr
fi

if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.pnpm/lock.yaml ]; then
  pnpm install --frozen-lockfile >&2
fi
