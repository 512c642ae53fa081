#!/usr/bin/env bash
# The whole check a change must pass: lint, types, tests. pytest's exit code 5 ("no tests ran")
# counts as a failure, so a broken collection can never pass silently.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev || exit 1
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/pytest -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
