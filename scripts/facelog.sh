#!/usr/bin/env bash
# Sets Facelog up on first use, then runs it: `scripts/facelog.sh` alone runs the bot
# (or, with no TELEGRAM_BOT_TOKEN, the local demo); any arguments go to the `facelog` CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
if [ $# -eq 0 ]; then set -- run; fi
exec .venv/bin/facelog "$@"
