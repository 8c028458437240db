#!/usr/bin/env bash
# The scale-out acceptance test (../shared/scale-out.md): brings up a cluster with
# scripts/cluster.sh, runs `shards drill` on it (cross-shard load on every shard and
# the gateway's traffic through HAProxy, with a gateway killed, a shard primary failed
# over with its Patroni, a Redis master killed and a gateway paused, then every
# check), and takes the cluster down again.
#
#   bash scripts/cluster-drill.sh          full profile: 4 shards, 2,000 citizens,
#                                          90 s of load; release binaries; writes the
#                                          figures into RELIABILITY.md
#   bash scripts/cluster-drill.sh --light  the profile CI runs: 2 shards, 300 citizens,
#                                          30 s; debug binaries; nothing written
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--light" ]; then
  profile=debug shards=2 seconds=30 citizens=300 gateway_citizens=12 workers=8 clients=4
else
  profile=release shards=4 seconds=90 citizens=2000 gateway_citizens=60 workers=16 clients=8
fi
if [ "$profile" = release ]; then
  cargo build --release -p gateway -p adapters -p bench --bins
else
  cargo build -p gateway -p adapters -p bench --bins
fi
export CLUSTER_BIN_DIR="$PWD/target/$profile"
bash scripts/cluster.sh down >/dev/null 2>&1 || true
trap 'bash scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT
bash scripts/cluster.sh up "$shards"
report=$(mktemp)
status=0
"target/$profile/shards" drill --env "${CLUSTER_DIR:-/var/tmp/gw-cluster}/cluster.env" \
  --seconds "$seconds" --citizens "$citizens" --gateway-citizens "$gateway_citizens" \
  --workers "$workers" --clients "$clients" | tee "$report" || status=$?
if [ "$status" -ne 0 ]; then
  bash scripts/cluster.sh status || true
  exit "$status"
fi
[ "$profile" = release ] || exit 0
python3 scripts/write-section.py RELIABILITY.md cluster-drill "$report" "bash scripts/cluster-drill.sh" "The scale-out drill"
