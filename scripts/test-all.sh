#!/usr/bin/env bash
# Every test of the repository, real servers included. On a machine without a Docker engine the
# int/e2e global setup (packages/test-servers) installs and starts Redis, Kafka and FerretDB as
# local processes; with CI=true a server that cannot be provided fails the run, never skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export TURBO_TELEMETRY_DISABLED=1

echo "== lint and format (biome)"
pnpm exec biome ci .
echo "== typecheck (tsc, every package)"
pnpm exec turbo run typecheck --output-logs=errors-only

echo "== tests (vitest: unit, int, e2e)"
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@" || status=$?
node scripts/test-summary.mjs .test-results/vitest.json || status=${status:-1}
exit "$status"
