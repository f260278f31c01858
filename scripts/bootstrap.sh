#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install Baeum into it; reinstalls only when pyproject.toml changes.
# Usage: scripts/bootstrap.sh [extras], e.g. scripts/bootstrap.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      python="$candidate"; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "Baeum needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$python" -m venv .venv
fi
stamp=".venv/.baeum-installed"
want="$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)-${extras}"
if [ ! -f "$stamp" ] || ! grep -qx -- "$want" "$stamp"; then
  echo "Installing Baeum and its libraries into .venv ..."
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install --quiet -e ".[${extras}]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  # The content tests run course notebooks in a Jupyter kernel: register this environment's own Python as
  # "python3" when ipykernel is installed (the test extras bring it; the platform itself grades without a kernel).
  if .venv/bin/python -c "import ipykernel" 2>/dev/null; then
    .venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
  fi
  echo "$want" > "$stamp"
fi
.venv/bin/pybabel compile --use-fuzzy -d lms/translations >/dev/null 2>&1 || .venv/bin/pybabel compile -d lms/translations
