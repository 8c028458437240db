#!/usr/bin/env bash
# Runs the gateway with demo data and the simulators of every outside system.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICES_NO_BROWSER=1 bash scripts/services.sh
exec cargo run --release -p gateway -- --demo
