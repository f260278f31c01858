"""Checks the course "설비 시계열 이상 탐지·예지보전 실습" (courses/vibration-predictive-maintenance).

The data generator reproduces the shipped data byte for byte; each exercise's source notebook passes all its visible
and hidden tests; the platform's release of it fails every graded test cell; for each exercise, plausible wrong
solutions pass the visible checks but are rejected by the hidden tests; lessons, quizzes, images and links are well
formed and the course imports without problems.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.content.notebooks import execute, release_notebook

COURSE = Path(__file__).resolve().parents[2] / "courses" / "vibration-predictive-maintenance"
EXERCISES = sorted((COURSE / "exercises").glob("*.ipynb"))
LESSONS = sorted((COURSE / "lessons").glob("*.md"))
QUIZZES = sorted((COURSE / "quizzes").glob("*.yml"))
IMAGES = sorted((COURSE / "images").glob("*.svg"))
DATA_FILES = ("waveforms.csv", "trend.csv", "maintenance_log.csv")
MARKDOWN_FILES = [*LESSONS, COURSE / "overview.md", COURSE / "data" / "README.md"]

LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")
SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*", re.M | re.S)
HIDDEN_REGION = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S
)
# Plain-register sentence endings ("...한다.", "...이다.") outside quotes and code; the course speaks -습니다/-합니다.
# A line that wraps a paragraph may end in "...마다" or "...보다", so a bare final "다" only counts in headings,
# list items, table rows and quiz options.
PLAIN_ENDING = re.compile(r"(?<![니요])다\.")
PLAIN_LINE_END = re.compile(r"(?<![니요])다$")
SHORT_LINE = ("#", "-", "|", "text:")


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _errored(cell) -> bool:
    return any(out.get("output_type") == "error" for out in cell.get("outputs", []))


def _outside_fences(text: str):
    in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, line


def _front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


# -- data and figures ----------------------------------------------------------------------------------------


def test_data_generator_reproduces_the_shipped_data(tmp_path):
    subprocess.run([sys.executable, str(COURSE / "tools" / "make_data.py"), str(tmp_path)], check=True)
    for name in DATA_FILES:
        assert (tmp_path / name).read_bytes() == (COURSE / "data" / name).read_bytes(), f"{name} differs"


def test_data_is_small_and_has_the_promised_structure():
    import numpy as np
    import pandas as pd

    assert sum((COURSE / "data" / name).stat().st_size for name in DATA_FILES) < 1024 * 1024
    w = pd.read_csv(COURSE / "data" / "waveforms.csv")
    assert list(w.columns) == ["time_s", "normal_g", "unbalance_g", "outer_race_g"] and len(w) == 8192
    assert round(1 / np.diff(w["time_s"]).mean()) == 8192
    trend = pd.read_csv(COURSE / "data" / "trend.csv", parse_dates=["timestamp"])
    assert sorted(trend["asset"].unique()) == ["P-101", "P-102", "P-103", "P-104"]
    assert len(trend) == 4 * 365 * 4 and set(trend["running"]) == {0, 1}
    assert trend.isna().any(axis=1).mean() < 0.01
    log = pd.read_csv(COURSE / "data" / "maintenance_log.csv", parse_dates=["opened_at"])
    corrective = log[log["work_type"] == "corrective"]
    assert sorted(corrective["component"]) == ["bearing"] * 4 + ["coupling", "seal"]
    assert (log["component"] == "sensor").sum() == 1


def test_bearing_damage_shows_in_the_envelope_weeks_before_velocity():
    """The story the lessons tell must be true of the data: envelope first, broadband velocity late."""
    import pandas as pd

    trend = pd.read_csv(COURSE / "data" / "trend.csv", parse_dates=["timestamp"])
    run = trend[(trend["running"] == 1) & (trend["asset"] == "P-101")].dropna()
    base = run[run["timestamp"] < "2025-02-01"]
    month_before = run[(run["timestamp"] >= "2025-03-19") & (run["timestamp"] < "2025-03-26")]
    assert month_before["envelope_bpfo_g"].median() > 4 * base["envelope_bpfo_g"].median()
    assert month_before["velocity_rms_mm_s"].median() < 1.4  # still ISO zone A
    last_day = run[(run["timestamp"] >= "2025-04-17") & (run["timestamp"] < "2025-04-18 09:40")]
    assert last_day["velocity_rms_mm_s"].min() > 2.8  # zone C only at the end


def test_every_image_is_valid_svg_and_used_with_alt_text():
    bodies = "\n".join(p.read_text(encoding="utf-8") for p in LESSONS)
    assert len(IMAGES) >= 5
    for svg in IMAGES:
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg"), svg.name
        match = re.search(r"!\[([^\]]+)\]\(\.\./images/" + re.escape(svg.name) + r"\)", bodies)
        assert match and len(match.group(1)) > 30, f"{svg.name} is not shown in a lesson with a descriptive alt text"


# -- exercises -----------------------------------------------------------------------------------------------


def test_python3_kernel_runs_this_interpreter():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
    execute(nb, COURSE / "exercises")
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix, "the python3 kernelspec points elsewhere"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_metadata_follows_nbgrader(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    graded_tests = 0
    for cell in nb.cells:
        meta = _nbgrader(cell)
        assert meta and meta["schema_version"] == 3, "every cell carries nbgrader metadata"
        assert {"grade", "solution", "locked", "grade_id"} <= meta.keys()
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["solution"]:
            assert not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"] and not meta["solution"]:
            graded_tests += 1
            assert cell.cell_type == "code" and meta["locked"]
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "source notebooks are stored without outputs"
        else:
            for _, line in _outside_fences(cell.source):
                for match in LINK.finditer(line):
                    target = match.group(3).split("#")[0]
                    if target and not EXTERNAL.match(target):
                        assert (path.parent / target).is_file(), f"{path.name}: missing link target {target}"
    assert graded_tests >= 4
    assert "../data/" in "".join(c.source for c in nb.cells)
    assert "합성 데이터" in nb.cells[0].source


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_source_notebook_passes_its_own_tests(path):
    nb = execute(nbformat.read(path, as_version=4), COURSE / "exercises")  # raises on the first failing cell
    assert not any(_errored(cell) for cell in nb.cells)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_release_fails_every_graded_test(path):
    released = release_notebook(nbformat.read(path, as_version=4))
    text = "".join(c.source for c in released.cells)
    assert "### BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    nb = execute(released, COURSE / "exercises", allow_errors=True)
    graded = [c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]
    assert graded
    passed = [_nbgrader(c)["grade_id"] for c in graded if not _errored(c)]
    assert not passed, f"graded test cells that pass without a solution: {passed}"


# Plausible wrong answers: (notebook, solution cell, wrong code for its first solution region, graded test cell).
# Each passes the visible checks a learner sees and must be rejected by the hidden tests.
WRONG_SOLUTIONS = [
    (
        "01-spectrum-envelope.ipynb",
        "ex1-bearing",
        # contact angle used as radians
        """r = ball_d / pitch_d * np.cos(contact_deg)
return {"ftf": shaft_hz / 2 * (1 - r), "bpfo": n_balls / 2 * shaft_hz * (1 - r),
        "bpfi": n_balls / 2 * shaft_hz * (1 + r), "bsf": pitch_d / (2 * ball_d) * shaft_hz * (1 - r**2)}""",
        "ex1-test-bearing",
    ),
    (
        "01-spectrum-envelope.ipynb",
        "ex1-spectrum",
        # Hann window, but scaled as if there were none: every amplitude comes out at half its size
        """x = np.asarray(x, dtype=float)
spectrum = np.fft.rfft((x - x.mean()) * np.hanning(len(x)))
return np.fft.rfftfreq(len(x), d=1 / fs), 2 * np.abs(spectrum) / len(x)""",
        "ex1-test-spectrum",
    ),
    (
        "01-spectrum-envelope.ipynb",
        "ex1-velocity-zone",
        # acceleration left in g instead of m/s²
        """a = np.asarray(accel_g, dtype=float)
spectrum = np.fft.rfft(a)
freqs = np.fft.rfftfreq(len(a), d=1 / fs)
band = (freqs >= f_lo) & (freqs <= f_hi)
v = spectrum[band] / (2j * np.pi * freqs[band])
return float(np.sqrt(2 * np.sum(np.abs(v) ** 2)) / len(a) * 1000)""",
        "ex1-test-velocity-zone",
    ),
    (
        "01-spectrum-envelope.ipynb",
        "ex1-envelope",
        # no band-pass filter before the Hilbert transform
        """env = np.abs(hilbert(np.asarray(x, dtype=float)))
return amplitude_spectrum(env, fs)""",
        "ex1-test-envelope",
    ),
    (
        "02-alarm-rules-events.ipynb",
        "ex2-events",
        # every corrective work order, the seal leak included
        """events = (log[log["work_type"] == "corrective"][["asset", "opened_at"]]
          .rename(columns={"opened_at": "failure_time"}).sort_values("failure_time").reset_index(drop=True))""",
        "ex2-test-events",
    ),
    (
        "02-alarm-rules-events.ipynb",
        "ex2-spc",
        # sample standard deviation instead of the moving range
        """v = np.asarray(values, dtype=float)
return float(v.mean()), float(v.mean() + 3 * v.std(ddof=1))""",
        "ex2-test-spc",
    ),
    (
        "02-alarm-rules-events.ipynb",
        "ex2-iforest",
        # model fitted on every record of the segment, the failure itself included
        """for _, g in run.groupby(["asset", "segment"]):
    base, live = g[g["baseline"]], g[g["live"]]
    model = IsolationForest(n_estimators=200, random_state=0).fit(g[FEATURES])
    threshold = np.quantile(-model.score_samples(base[FEATURES]), 0.99)
    run.loc[live.index, "alarm_if"] = -model.score_samples(live[FEATURES]) > threshold""",
        "ex2-test-iforest",
    ),
    (
        "02-alarm-rules-events.ipynb",
        "ex2-episodes",
        # a gap of exactly max_gap opens a new episode
        """times = pd.Series(pd.to_datetime(times)).reset_index(drop=True)
a = pd.Series(np.asarray(alarms, dtype=bool)).astype(int)
episodes = []
for t in times[(a.rolling(k).sum() == k).to_numpy()]:
    if episodes and t - episodes[-1][1] < max_gap:
        episodes[-1][1] = t
    else:
        episodes.append([t, t])
return [(s, e) for s, e in episodes]""",
        "ex2-test-episodes",
    ),
    (
        "02-alarm-rules-events.ipynb",
        "ex2-metrics",
        # lead time from the latest start in the window, and alarms after the failure not counted as false
        """horizon = pd.Timedelta(days=horizon_days)
false_alarms, lead_days = 0, []
for asset, eps in episodes.items():
    fails = events.loc[events["asset"] == asset, "failure_time"]
    false_alarms += sum(not any(f - horizon <= s < f for f in fails) and not any(s >= f for f in fails) for s, _ in eps)
for asset, f in zip(events["asset"], events["failure_time"]):
    starts = [s for s, _ in episodes.get(asset, []) if f - horizon <= s < f]
    if starts:
        lead_days.append((f - max(starts)).total_seconds() / 86400)
return {"detected": len(lead_days), "missed": len(events) - len(lead_days), "lead_days": lead_days,
        "false_alarms": false_alarms, "false_alarms_per_month": false_alarms / months}""",
        "ex2-test-metrics",
    ),
]


def _with_wrong_solution(nb, solution_id: str, wrong: str, test_id: str, skip: tuple[str, ...]):
    """The notebook up to the test cell, with the wrong answer in place and the test split into visible/hidden;
    cells in `skip` (slow ones the test does not depend on) are left out."""
    cells = []
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid == solution_id:

            def put(match: re.Match) -> str:
                indent = match.group(1)
                return "\n".join(indent + line for line in wrong.split("\n"))

            cell.source = SOLUTION_REGION.sub(put, cell.source, count=1)
            # later regions of the same cell keep the model answer
            cell.source = "\n".join(
                line
                for line in cell.source.split("\n")
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            )
        if gid in skip:
            continue
        if gid == test_id:
            hidden = HIDDEN_REGION.search(cell.source)
            assert hidden, test_id
            visible = nbformat.v4.new_code_cell(HIDDEN_REGION.sub("", cell.source), metadata={"role": "visible"})
            secret = nbformat.v4.new_code_cell(hidden.group(1), metadata={"role": "hidden"})
            cells += [visible, secret]
            break
        cells.append(cell)
    nb.cells = cells
    return nb


@pytest.mark.parametrize(
    "notebook, solution_id, wrong, test_id", WRONG_SOLUTIONS, ids=[f"{w[0][:2]}-{w[1]}" for w in WRONG_SOLUTIONS]
)
def test_hidden_tests_reject_a_plausible_wrong_solution(notebook, solution_id, wrong, test_id):
    # The Isolation Forest cells take most of the run time and the later tasks do not use their result.
    skip = ("ex2-iforest", "ex2-test-iforest") if test_id in ("ex2-test-episodes", "ex2-test-metrics") else ()
    nb = nbformat.read(COURSE / "exercises" / notebook, as_version=4)
    nb = _with_wrong_solution(nb, solution_id, wrong, test_id, skip)
    nb = execute(nb, COURSE / "exercises", allow_errors=True)
    before = [c for c in nb.cells[:-2] if c.cell_type == "code" and _errored(c)]
    assert not before, f"cells before the test fail: {[c.source[:60] for c in before]}"
    visible, hidden = nb.cells[-2], nb.cells[-1]
    assert not _errored(visible), f"the visible checks should not already catch this ({test_id})"
    assert _errored(hidden), f"the hidden tests of {test_id} accept a wrong solution"


def test_every_exercise_has_a_wrong_solution_checked():
    assert {w[0] for w in WRONG_SOLUTIONS} == {p.name for p in EXERCISES}


# -- lessons, quizzes, manifest ------------------------------------------------------------------------------


def test_manifest_lists_every_lesson_quiz_and_exercise():
    manifest = yaml.safe_load((COURSE / "course.yml").read_text(encoding="utf-8"))
    assert manifest["industry"] == "manufacturing" and manifest["licence"] == "CC BY-SA 4.0"
    items = [i if isinstance(i, str) else i["path"] for m in manifest["outline"] for i in m["items"]]
    expected = [f"lessons/{p.name}" for p in LESSONS]
    expected += [f"exercises/{p.name}" for p in EXERCISES] + [f"quizzes/{p.name}" for p in QUIZZES]
    assert sorted(items) == sorted(expected)
    assert len(LESSONS) >= 8 and len(QUIZZES) >= 2 and len(EXERCISES) >= 2
    for exercise in EXERCISES:  # an exercise comes after the lessons it practises
        assert any(i.startswith("lessons/") for i in items[: items.index(f"exercises/{exercise.name}")])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_front_matter_summary_and_check_questions(path):
    meta, body = _front_matter(path)
    assert meta["title"] and isinstance(meta["minutes"], int) and len(meta["objectives"]) >= 2
    assert "## 요약" in body and "## 확인 문제" in body
    assert "```python" in body
    assert "합성" in body, "say that the data is synthetic"
    assert "청솔화학" in body


@pytest.mark.parametrize("path", [*LESSONS, *QUIZZES], ids=lambda p: p.name)
def test_text_keeps_the_formal_register(path):
    text = path.read_text(encoding="utf-8")
    for number, line in _outside_fences(text):
        prose = re.sub(r"`[^`]*`|\"[^\"]*\"|“[^”]*”|'[^']*'", "", line).rstrip()
        plain = PLAIN_ENDING.search(prose) or (prose.lstrip().startswith(SHORT_LINE) and PLAIN_LINE_END.search(prose))
        assert not plain, f"{path.name}:{number}: plain register: {line.strip()}"


def test_iso_20816_zone_boundaries_are_cited_as_guidance():
    lesson = (COURSE / "lessons" / "05-iso-20816-severity.md").read_text(encoding="utf-8")
    assert "| 강성 기초 | 1.4 | 2.8 | 4.5 |" in lesson and "| 유연 기초 | 2.3 | 4.5 | 7.1 |" in lesson
    assert "그룹 2" in lesson and "지침" in lesson and "10~1,000 Hz" in lesson


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_relative_links_and_images_exist(path):
    for number, line in _outside_fences(path.read_text(encoding="utf-8")):
        for match in LINK.finditer(line):
            is_image, alt, target = match.groups()
            if is_image:
                assert alt.strip(), f"{path.name}:{number}: image without alt text"
            target = target.split("#")[0]
            if target and not EXTERNAL.match(target):
                assert (path.parent / target).is_file(), f"{path.name}:{number}: missing {target}"


@pytest.mark.parametrize("path", QUIZZES, ids=lambda p: p.name)
def test_quiz_questions_have_an_answer_and_an_explanation(path):
    quiz = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert quiz["title"] and quiz["minutes"] and len(quiz["questions"]) >= 8
    for q in quiz["questions"]:
        assert len(str(q.get("explanation", "")).strip()) > 40, f"{q.get('id')}: no real explanation"
        if q["type"] == "short":
            assert q["answers"]
        else:
            correct = sum(1 for o in q["options"] if o.get("correct") is True)
            assert correct == 1 if q["type"] == "single" else correct >= 1


def test_company_name_is_not_used_by_another_course():
    others = [p for p in COURSE.parent.iterdir() if p.is_dir() and p != COURSE]
    for other in others:
        for f in other.rglob("*.md"):
            assert "청솔화학" not in f.read_text(encoding="utf-8"), f


def test_course_loads_without_problems():
    from lms.content.loader import load_course

    result = load_course(COURSE)
    assert [str(p) for p in result.problems] == []
    assert result.course is not None and len(result.course.items) == len(LESSONS) + len(QUIZZES) + len(EXERCISES)
