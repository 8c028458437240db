#!/usr/bin/env bash
# Runs every test of the workspace against the real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo test --workspace
