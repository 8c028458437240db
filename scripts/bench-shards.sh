#!/usr/bin/env bash
# The sharded ledger's cost: cross-shard transfers with 1, 2 and 4 shards, each a
# database on the local PostgreSQL behind its own group-commit writer, 128 callers,
# the one-shard run (one posted transfer each) as the baseline measured in the same
# run. On one 2-core machine the shards share the same cores and disk, so the figures
# show what the protocol costs, not how shards scale. Then the capacity model for
# 10,000 and 50,000 payments/s from the single-node gateway figure in BENCHMARKS.md.
# Writes the section into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh >/dev/null
cargo build --release -p bench --bin shards
# The single-node gateway's P2P rate at 32 connections, from its last measured run.
per_shard=$(python3 - <<'PY'
import re
text = open("BENCHMARKS.md").read()
m = re.search(r"\| P2P transfer \| 32 \| \**([\d,]+)\**", text)
print(m.group(1).replace(",", "") if m else "")
PY
)
args=(bench --shards "1,2,4" "$@")
[ -z "$per_shard" ] || args+=(--per-shard-rate "$per_shard")
report=$(mktemp)
target/release/shards "${args[@]}" | tee "$report"
python3 scripts/write-section.py BENCHMARKS.md shards-bench "$report" "bash scripts/bench-shards.sh${*:+ $*}" "Across shards"
