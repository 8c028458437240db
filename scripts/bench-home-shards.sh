#!/usr/bin/env bash
# Citizens on home shards, end to end through the real API: P2P at 32 connections on a
# gateway with one database (the baseline, in the same run), then on a gateway that
# keeps citizens on 2 home shards (ROUTE_CITIZENS=1; each shard a database on the same
# local PostgreSQL), between citizens of one shard and between citizens of two; then
# merchant QR payments by payers on the merchant's shard and on the other. On one
# 2-core machine the shards share the cores and the disk, so the figures show what the
# cross-shard paths cost (the payer's group commit, the payee's leg or the request's
# claim on the other shard, the settling group commit), not how shards scale. Each run's
# one-INSERT ceiling is measured on the same server. Writes the section into
# BENCHMARKS.md. Extra arguments go to loadgen (for example `--seconds 5`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh >/dev/null
cargo build --release -p gateway -p adapters -p bench --bins

base=postgres://postgres@127.0.0.1:5432
for db in homes_single homes_main homes_s0 homes_s1 homes_catalog; do
  psql -h 127.0.0.1 -U postgres -d postgres -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  psql -h 127.0.0.1 -U postgres -d postgres -qAtc "CREATE DATABASE $db"
done
# shellcheck source=scripts/bench-env.sh
source scripts/bench-env.sh
# A pool per database: with a main database, 2 shards and the catalog, 8 connections
# each keep the gateway and the ceiling's 32 clients under PostgreSQL's 100.
export DATABASE_POOL_SIZE=8

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
target/release/simulators serve --addr "$SIMULATOR_ADDR" >/tmp/bench-homes-simulators.log 2>&1 &
pids+=($!)

gateway_pid=
start_gateway() {
  env "$@" target/release/gateway >/tmp/bench-homes-gateway.log 2>&1 &
  gateway_pid=$!
  pids+=("$gateway_pid")
  for _ in $(seq 1 150); do
    curl -fs "http://$GATEWAY_ADDR/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the gateway did not become ready; see /tmp/bench-homes-gateway.log" >&2
  exit 1
}
stop_gateway() {
  kill "$gateway_pid"
  wait "$gateway_pid" 2>/dev/null || true
}
loadgen() {
  target/release/loadgen --gateway "http://$GATEWAY_ADDR" --simulators "http://$SIMULATOR_ADDR" \
    --citizens 400 --only-p2p 32 "$@"
}

one=$(mktemp)
two=$(mktemp)
echo "P2P on one database" >&2
start_gateway DATABASE_URL="$base/homes_single"
DATABASE_URL="$base/homes_single" loadgen "$@" >"$one"
stop_gateway
echo "P2P with citizens on 2 home shards" >&2
start_gateway DATABASE_URL="$base/homes_main" SHARD_URLS="$base/homes_s0,$base/homes_s1" \
  CATALOG_URL="$base/homes_catalog" ROUTE_CITIZENS=1
DATABASE_URL="$base/homes_main" loadgen --home-shards 2 "$@" >"$two"
stop_gateway

report=$(mktemp)
{
  echo "One database, the baseline:"
  echo
  cat "$one"
  echo
  echo "Citizens on 2 home shards:"
  echo
  cat "$two"
} >"$report"
cat "$report"
python3 scripts/write-section.py BENCHMARKS.md home-shards-bench "$report" \
  "bash scripts/bench-home-shards.sh${*:+ $*}" "Citizens on home shards, through the API"
