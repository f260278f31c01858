#!/usr/bin/env bash
# Mutation testing of the scoring, completion and permission rules ([tool.mutmut] in pyproject.toml): mutmut changes
# one operator, constant or condition at a time and runs the fast tests that reach it; a mutant the tests do not
# notice "survives". Prints the survivors and the score (killed / all mutants that ran).
# Usage: scripts/mutation.sh [--max-children N] [mutant name globs, e.g. "lms.content.quiz*"]
# Takes 20-60 minutes on two cores; results are cached in mutants/, so a second run only redoes what changed.
# `.venv/bin/mutmut show <name>` shows a survivor's diff; `rm -rf mutants` starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
children=2
if [ "${1:-}" = "--max-children" ]; then children="$2"; shift 2; fi
# By default: every function of the modules [tool.mutmut] lists, but of the grader only its scoring (grade_notebook
# and the result it returns), not the sandbox plumbing around it.
if [ $# -eq 0 ]; then
  set -- "lms.content.quiz.*" "lms.services.learning.*" "lms.services.exercises.*" "lms.services.teaching.*" \
    "lms.permissions.*" "lms.grading.grader.x_grade_notebook__*" "lms.grading.grader.x*GradeResult*"
fi
nice -n 10 .venv/bin/mutmut run --max-children "$children" "$@" || true
.venv/bin/mutmut results --all true > mutants/results.txt
.venv/bin/python - "$@" <<'PY'
import collections, fnmatch, re, sys
from pathlib import Path

counts = collections.Counter()
survivors = []
for line in Path("mutants/results.txt").read_text().splitlines():
    match = re.match(r"\s*(\S+): (.+)$", line)
    if not match:
        continue
    name, status = match.groups()
    if not any(fnmatch.fnmatch(name, pattern) for pattern in sys.argv[1:]):
        continue
    counts[status.strip()] += 1
    if status.strip() == "survived":
        survivors.append(name)
print("\n".join(f"survived: {name}" for name in survivors))
# A mutant no selected test reaches ("no tests") counts as not killed.
ran = sum(n for status, n in counts.items() if status not in ("not checked", "skipped"))
killed = sum(n for status, n in counts.items() if status in ("killed", "timeout", "segfault"))
print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
print(f"mutation score: {killed}/{ran} = {100 * killed / ran:.1f} %" if ran else "no mutant ran")
PY
