#!/usr/bin/env bash
# Install everything into .venv (first run only) and start Baeum on http://127.0.0.1:${PORT:-5000}
# with SQLite, the shipped courses imported and demo accounts for each role.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
echo "Starting Baeum on http://${HOST:-127.0.0.1}:${PORT:-5000}  (Ctrl+C to stop)"
exec .venv/bin/flask --app app serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
