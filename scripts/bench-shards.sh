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
args=(bench --shards 1,2,4 "$@")
[ -z "$per_shard" ] || args+=(--per-shard-rate "$per_shard")
report=$(mktemp)
target/release/shards "${args[@]}" | tee "$report"
{
  echo "<!-- shards-bench:start -->"
  echo "Measured $(date -u +%Y-%m-%d) on this machine ($(nproc) cores) with \`bash scripts/bench-shards.sh $*\`."
  echo
  cat "$report"
  echo "<!-- shards-bench:end -->"
} >"$report.section"
python3 - "$report.section" <<'PY'
import re, sys
section = open(sys.argv[1]).read().strip()
text = open("BENCHMARKS.md").read()
pattern = re.compile(r"<!-- shards-bench:start -->.*?<!-- shards-bench:end -->", re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text)
else:
    text = text.rstrip() + "\n\n## Across shards\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(text)
PY
echo "BENCHMARKS.md updated"
