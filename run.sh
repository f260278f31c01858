#!/usr/bin/env bash
# Install everything into .venv (first run only) and start Baeum on http://127.0.0.1:${PORT:-5000}
# with SQLite, the shipped courses imported and demo accounts for each role.
set -euo pipefail
cd "$(dirname "$0")"
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
echo "Starting Baeum on http://${HOST:-127.0.0.1}:${PORT:-5000}  (Ctrl+C to stop)"
exec .venv/bin/flask --app app serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
