#!/usr/bin/env bash
# Runs every test of the workspace against the real PostgreSQL and Redis, then the
# chaos harness's quick profile (the real gateway binary killed three times under
# load, PostgreSQL and Redis restarted, and the books checked), then the scale-out
# drill's light profile (2 Patroni-managed shards, a Redis Cluster, 2 gateways behind
# HAProxy; a gateway killed, a primary failed over, a Redis master killed, a gateway
# paused; every check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo test --workspace
bash scripts/chaos.sh 3 --debug
bash scripts/cluster-drill.sh --light
