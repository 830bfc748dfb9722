#!/usr/bin/env bash
# The distributed mode on this machine, with Node alone: starts Redis, Kafka and a MongoDB-protocol server as
# local processes (packages/test-servers, installed on first use), then identity, content, social-graph, media,
# the relay, projections and the gateway, each its own process. Prints the gateway's URL; Ctrl-C stops all.
# Settings (PORT, DATA_DIR, EVENT_STORE_URL, TEST_SERVERS, LOG_LEVEL): see e2e/src/start-distributed.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node --import tsx e2e/src/start-distributed.ts
