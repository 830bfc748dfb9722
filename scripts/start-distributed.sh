#!/usr/bin/env bash
# The distributed mode on this machine, with Node alone: starts Redis, Kafka and a MongoDB-protocol server as
# local processes (packages/test-servers, installed on first use), then identity, content, social-graph, media,
# the relay, projections and the gateway, each its own process. Prints the gateway's URL; Ctrl-C stops all.
# Settings (PORT, DATA_DIR, EVENT_STORE_URL, TEST_SERVERS, LOG_LEVEL, INTERNAL_SERVICE_SECRET): see
# e2e/src/start-distributed.ts. The services trust only calls carrying INTERNAL_SERVICE_SECRET (the gateway's);
# without one given, a fresh random secret is made for each run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node --import tsx e2e/src/start-distributed.ts
