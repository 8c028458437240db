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
{
  echo "<!-- chaos:start -->"
  echo "Measured $(date -u +%Y-%m-%d) on this machine with \`bash scripts/chaos.sh $kills\`:"
  echo
  cat "$report"
  echo "<!-- chaos:end -->"
} >"$report.section"
python3 - "$report.section" <<'PY'
import re, sys, os
section = open(sys.argv[1]).read().strip()
text = open("RELIABILITY.md").read() if os.path.exists("RELIABILITY.md") else "# Reliability\n"
pattern = re.compile(r"<!-- chaos:start -->.*?<!-- chaos:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
open("RELIABILITY.md", "w").write(text)
PY
echo "RELIABILITY.md updated"
