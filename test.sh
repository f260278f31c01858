#!/usr/bin/env bash
# Install everything the tests need (Python packages into .venv; Debian's Chromium for the browser tests and
# bubblewrap for the grading sandbox when missing) and run the whole test suite. Arguments go to pytest.
# DATABASE_URL=postgresql://... runs the suite against that (disposable, name containing "test") database.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh test
scripts/system-deps.sh
# Two test processes by default (BAEUM_TEST_WORKERS=0 runs in this process; a later -n in the arguments wins).
exec .venv/bin/python -m pytest -n "${BAEUM_TEST_WORKERS:-2}" "$@"
