#!/usr/bin/env bash
# Mutation testing of the rules that decide a learner's result and who may see what ([tool.mutmut] in pyproject.toml):
# mutmut changes one operator, constant or condition at a time and runs the fast tests that reach it; a mutant the
# tests do not notice "survives". Then the pass marks mutmut cannot reach (module constants) are changed by hand, one
# at a time, and the same tests must fail. Prints the survivors and the mutation score (killed / mutants tested).
#
# Usage: scripts/mutation.sh [--max-children N] [mutant name globs, e.g. "lms.content.quiz.*"]
# The default set takes about half an hour on two busy cores; results are cached in mutants/, so a second run only
# redoes what changed. `.venv/bin/mutmut show NAME` shows a survivor's change; `rm -rf mutants` starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
children=2
if [ "${1:-}" = "--max-children" ]; then children="$2"; shift 2; fi
if [ $# -eq 0 ]; then
  # Scoring, pass marks, completion and permissions; not the plumbing around them (drafts, uploads, job states, the
  # outline cache, the grader's choice of data files).
  set -- "lms.content.quiz.*" \
    "lms.services.learning.x_submit_quiz__*" "lms.services.learning.x_standing__*" \
    "lms.services.learning.x_completion_holds__*" "lms.services.learning.x_recompute__*" \
    "lms.services.learning.x*CourseStanding*" "lms.services.learning.x_complete_lesson__*" \
    "lms.services.exercises.x_finish__*" "lms.services.exercises.x__percent__*" \
    "lms.services.exercises.x_update_progress__*" "lms.services.exercises.x_pending_manual__*" \
    "lms.services.exercises.x_submission_to_grade__*" "lms.services.exercises.x_grade_manually__*" \
    "lms.services.teaching.*" "lms.web.permissions.*" "lms.grading.grader.x_score_run__*"
fi
nice -n 10 .venv/bin/mutmut run --max-children "$children" "$@" || true
.venv/bin/mutmut results --all true > mutants/results.txt

# What mutmut leaves alone (module constants, the checks inside decorators): each change must fail the same tests.
mapfile -t tests < <(.venv/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]))')
constants=(
  "lms/content/vocabulary.py|^DEFAULT_PASS_SCORE = 60$|DEFAULT_PASS_SCORE = 0"
  "lms/content/vocabulary.py|^DEFAULT_PASS_SCORE = 60$|DEFAULT_PASS_SCORE = 61"
  "lms/content/vocabulary.py|^DEFAULT_MIN_PROGRESS = 80$|DEFAULT_MIN_PROGRESS = 0"
  "lms/content/vocabulary.py|^DEFAULT_MIN_SCORE = 60$|DEFAULT_MIN_SCORE = 0"
  'lms/services/exercises.py|^WAITING_FOR_INSTRUCTOR = \("manual", "review"\)$|WAITING_FOR_INSTRUCTOR = ("manual",)'
  "lms/web/permissions.py|if not current_user.has_role\\(\\*roles\\):|if False:"
  "lms/web/permissions.py|^        @login_required$|"
  'lms/web/permissions.py|^admin_required = role_required\("admin"\)$|admin_required = role_required("admin", "org_manager")'
)
: > mutants/constants.txt
for spec in "${constants[@]}"; do
  IFS='|' read -r file pattern replacement <<< "$spec"
  copy="$(mktemp -d)"
  cp -r lms tests config.py app.py templates static pyproject.toml "$copy"/
  python3 - "$copy/$file" "$pattern" "$replacement" <<'PY'
import re, sys
path, pattern, replacement = sys.argv[1:]
text = open(path, encoding="utf-8").read()
changed, n = re.subn(pattern, lambda m: replacement, text, flags=re.M)
assert n == 1, f"{pattern!r} not found once in {path}"
open(path, "w", encoding="utf-8").write(changed)
PY
  if (cd "$copy" && PYTHONPATH="$copy" nice -n 10 "$OLDPWD/.venv/bin/python" -m pytest -q -x -p no:cacheprovider \
      "${tests[@]}" > /dev/null 2>&1); then
    echo "$file: $replacement: survived" >> mutants/constants.txt
  else
    echo "$file: $replacement: killed" >> mutants/constants.txt
  fi
  rm -rf "$copy"
done

.venv/bin/python - "$@" <<'PY'
import collections, fnmatch, re, sys
from pathlib import Path

counts = collections.Counter()
survivors = []
lines = Path("mutants/results.txt").read_text().splitlines() + Path("mutants/constants.txt").read_text().splitlines()
for line in lines:
    match = re.match(r"\s*(.+): (\S[^:]*)$", line)
    if not match:
        continue
    name, status = match[1].strip(), match[2].strip()
    if not name.startswith("lms/") and not any(fnmatch.fnmatch(name, pattern) for pattern in sys.argv[1:]):
        continue
    counts[status] += 1
    if status in ("survived", "no tests"):
        survivors.append(f"{status}: {name}")
print("\n".join(survivors))
tested = sum(n for status, n in counts.items() if status not in ("not checked", "skipped"))
killed = sum(n for status, n in counts.items() if status in ("killed", "timeout", "segfault"))
print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
# A mutant no selected test reaches ("no tests") counts as not killed.
print(f"mutation score: {killed}/{tested} = {100 * killed / tested:.1f} %" if tested else "no mutant was tested")
PY
