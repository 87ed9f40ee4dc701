#!/usr/bin/env bash
# The test command: installs what the tests need (idempotent), then lints (`ruff check .`),
# type-checks (`mypy`, strict: see [tool.mypy] in pyproject.toml) and runs the whole
# suite. Any of the three failing fails the run; arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh
PY=${PYTHON:-python3}
echo "test.sh: ruff check ."
"$PY" -m ruff check .
echo "test.sh: mypy"
"$PY" -m mypy
exec "$PY" -m pytest "$@"
