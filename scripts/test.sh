#!/usr/bin/env bash
# Runs every test of the workspace against the real PostgreSQL and Redis, then the
# chaos harness's quick profile: the real gateway binary killed three times under
# load, PostgreSQL and Redis restarted, and the books checked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo test --workspace
bash scripts/chaos.sh 3 --debug
