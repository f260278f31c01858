#!/usr/bin/env bash
# Install everything into .venv (first run only) and start Baeum on http://127.0.0.1:${PORT:-5000}
# with SQLite, the shipped courses imported and demo accounts for each role.
#   ./run.sh           serve with gunicorn (BAEUM_WEB_WORKERS, BAEUM_WEB_THREADS; see gunicorn.conf.py)
#   ./run.sh --debug   Flask's development server with the debugger and the reloader (or BAEUM_DEBUG=1)
set -euo pipefail
cd "$(dirname "$0")"
debug="${BAEUM_DEBUG:-0}"
for arg in "$@"; do
  case "$arg" in
    --debug) debug=1 ;;
    *) echo "usage: ./run.sh [--debug]" >&2; exit 2 ;;
  esac
done
scripts/bootstrap.sh
if ! command -v bwrap >/dev/null 2>&1; then
  cat >&2 <<'NOTE'
Note: bubblewrap (bwrap) is not installed. Notebook grading falls back to weaker isolation (unshare), or refuses
      to grade when no safe isolation works here. Install it for full isolation of learners' code:
        Debian/Ubuntu: sudo apt-get install bubblewrap
        Fedora/RHEL:   sudo dnf install bubblewrap
        Arch Linux:    sudo pacman -S bubblewrap
      (./test.sh installs it with apt-get when it may; grading needs Linux.)
NOTE
fi
# Migrations, course import and demo accounts (the embedded default, or BAEUM_AUTO_SETUP=1): once, here, before any
# server process starts; the server processes then skip it.
case "${DATABASE_URL:-sqlite}" in sqlite*) auto=1 ;; *) auto=0 ;; esac
if [ "${BAEUM_AUTO_SETUP:-$auto}" = "1" ]; then
  BAEUM_AUTO_SETUP=0 .venv/bin/flask --app app setup
fi
export BAEUM_AUTO_SETUP=0 HOST="${HOST:-127.0.0.1}" PORT="${PORT:-5000}"
echo "Starting Baeum on http://${HOST}:${PORT}  (Ctrl+C to stop)"
if [ "$debug" = "1" ]; then
  exec .venv/bin/flask --app app --debug serve --host "$HOST" --port "$PORT"
fi
exec .venv/bin/gunicorn --config gunicorn.conf.py app:app
