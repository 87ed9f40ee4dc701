#!/usr/bin/env bash
# The test command: installs what the tests need (idempotent), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh
exec "${PYTHON:-python3}" -m pytest "$@"
