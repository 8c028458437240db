#!/usr/bin/env bash
# The chaos harness: the gateway killed with SIGKILL N times under load (default 20),
# PostgreSQL stopped hard and Redis restarted empty, every unanswered request retried
# under its key, then the books checked against every answer. Runs the release
# binaries and writes the figures into RELIABILITY.md. `bash scripts/chaos.sh 3
# --debug` runs the quick profile CI runs (debug binaries, nothing written).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
profile=release
[ "${2:-}" = "--debug" ] && profile=debug
bash scripts/services.sh >/dev/null
if [ "$profile" = release ]; then
  cargo build --release -p gateway -p adapters -p bench --bins
else
  cargo build -p gateway -p adapters -p bench --bins
fi
report=$(mktemp)
"target/$profile/chaos" --kills "$kills" \
  --gateway-bin "target/$profile/gateway" --simulators-bin "target/$profile/simulators" \
  | tee "$report"
[ "$profile" = release ] || exit 0
python3 scripts/write-section.py RELIABILITY.md chaos "$report" "bash scripts/chaos.sh $kills"
