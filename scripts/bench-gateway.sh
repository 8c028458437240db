#!/usr/bin/env bash
# The end-to-end payment benchmark: the release gateway and the simulators as their
# own processes on a fresh database, loaded through the real API by `loadgen`, with
# the one-INSERT-per-commit ceiling measured on the same PostgreSQL in the same run.
# Writes its table into BENCHMARKS.md. Extra arguments go to loadgen (for example
# `--seconds 5 --history 100000` for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo build --release -p gateway -p adapters -p bench --bins

db_name=gateway_bench
psql -h 127.0.0.1 -U postgres -d postgres -qAtc "DROP DATABASE IF EXISTS $db_name WITH (FORCE)"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db_name"
# shellcheck source=scripts/bench-env.sh
source scripts/bench-env.sh
# The limiter is not what is measured here: a merchant creating requests for the run
# goes faster than its default 1,000 a second.
export RATE_LIMIT_MERCHANT_PER_SECOND=1000000

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
target/release/simulators serve --addr "$SIMULATOR_ADDR" >/tmp/bench-simulators.log 2>&1 &
pids+=($!)
target/release/gateway >/tmp/bench-gateway.log 2>&1 &
gateway_pid=$!
pids+=("$gateway_pid")
for _ in $(seq 1 100); do
  curl -fs "http://$GATEWAY_ADDR/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://$GATEWAY_ADDR/ready" >/dev/null

# The issue's own measure of the ceiling: pgbench running a one-line INSERT script.
psql "$DATABASE_URL" -qAtc "CREATE TABLE IF NOT EXISTS pgbench_ceiling (v bigint)"
echo 'INSERT INTO pgbench_ceiling (v) VALUES (1);' >/tmp/bench-insert.sql
pgbench_tps() {
  pgbench -n -h 127.0.0.1 -U postgres -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" -T 10 \
    -f /tmp/bench-insert.sql "$db_name" 2>/dev/null \
    | awk '/^tps = / { printf "%.0f", $3 }'
}
pgbench_1=$(pgbench_tps 1)
pgbench_32=$(pgbench_tps 32)
echo "pgbench one-INSERT ceiling: $pgbench_1/s (1 client), $pgbench_32/s (32 clients)" >&2

report=$(mktemp)
target/release/loadgen --pgbench-1 "$pgbench_1" --pgbench-32 "$pgbench_32" --gateway "http://$GATEWAY_ADDR" --simulators "http://$SIMULATOR_ADDR" \
  --gateway-pid "$gateway_pid" "$@" >"$report"
cat "$report"

python3 scripts/write-section.py BENCHMARKS.md gateway-bench "$report" "bash scripts/bench-gateway.sh${*:+ $*}"
