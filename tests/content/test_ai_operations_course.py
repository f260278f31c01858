"""Checks the course "현장 AI 운영과 규제" (courses/ai-operations-regulation).

The data generator reproduces the shipped data byte for byte; each exercise's source notebook passes its own tests,
its release fails every graded test cell, and plausible wrong answers that pass the visible checks are rejected by
the hidden ones; lessons, quizzes, diagrams and links are well formed; the law lessons are dated, name their
official sources and say that they are not legal advice.
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

COURSE = Path(__file__).resolve().parents[2] / "courses" / "ai-operations-regulation"
EXERCISES = sorted((COURSE / "exercises").glob("*.ipynb"))
LESSONS = sorted((COURSE / "lessons").glob("*.md"))
QUIZZES = sorted((COURSE / "quizzes").glob("*.yml"))
SVGS = sorted((COURSE / "images").glob("*.svg"))
DATA_FILES = [
    "historian_shots.csv",
    "mqtt_shot_log.csv",
    "monitor_reference.csv",
    "monitor_stream.csv",
    "change_log.csv",
]
MARKDOWN_FILES = [*LESSONS, COURSE / "overview.md", COURSE / "data" / "README.md"]
LAW_LESSONS = ["07-ai-basic-act.md", "08-privacy-for-ai.md", "09-contracts-data-model.md"]

HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _errors(cell) -> list[dict]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


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


# -- data -------------------------------------------------------------------------------------------


def test_data_generator_reproduces_the_shipped_data(tmp_path):
    subprocess.run([sys.executable, str(COURSE / "tools" / "make_data.py"), str(tmp_path)], check=True)
    for name in DATA_FILES:
        assert (tmp_path / name).read_bytes() == (COURSE / "data" / name).read_bytes(), f"{name} differs"


def test_data_is_small_and_has_the_promised_structure():
    import pandas as pd

    assert sum((COURSE / "data" / name).stat().st_size for name in DATA_FILES) < 2 * 1024 * 1024
    log = pd.read_csv(COURSE / "data" / "mqtt_shot_log.csv")
    assert set(log["qos"]) == {1} and log["topic"].str.match(r"^gaon/p1/IJM-0[34]/shot$").all()
    assert log["payload"].duplicated().any(), "QoS 1 duplicates"
    measured = pd.to_datetime(log["payload"].str.extract(r'"ts":"([^"]+)"')[0])
    assert not measured.is_monotonic_increasing, "the broker outage delivers messages late, out of order"
    assert (log["payload"].str.contains('"mold_t":\\d+,', regex=True)).all(), "temperatures as 0.1 degC integers"
    hist = pd.read_csv(COURSE / "data" / "historian_shots.csv", parse_dates=["shot_time"])
    assert sorted(hist["machine"].unique()) == ["IJM-03", "IJM-04"] and 0.02 < hist["defect"].mean() < 0.06
    changes = pd.read_csv(COURSE / "data" / "change_log.csv")
    assert list(changes["event_id"]) == ["E1", "E2"]


# -- exercises --------------------------------------------------------------------------------------


def test_there_are_two_exercises():
    assert [p.name for p in EXERCISES] == ["01-feature-skew.ipynb", "02-drift-monitor.ipynb"]


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_metadata_follows_nbgrader(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    tests = manual = 0
    for cell in nb.cells:
        meta = _nbgrader(cell)
        assert meta and meta["schema_version"] == 3, "every cell carries nbgrader metadata"
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["solution"]:
            assert not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"] and not meta["solution"]:
            tests += 1
            assert cell.cell_type == "code" and meta["locked"]
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source
        if meta["grade"] and meta["solution"]:
            manual += 1
            assert cell.cell_type == "markdown"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "source notebooks are stored without outputs"
        else:
            for _, line in _outside_fences(cell.source):
                for match in LINK.finditer(line):
                    target = match.group(3).split("#")[0]
                    if target and not EXTERNAL.match(target):
                        assert (path.parent / target).is_file(), f"{path.name}: missing link target {target}"
    assert tests >= 3 and manual == 1


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_source_notebook_passes_its_own_tests(path):
    nb = execute(nbformat.read(path, as_version=4), COURSE / "exercises")  # raises on the first failing cell
    assert not any(_errors(cell) for cell in nb.cells)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_release_fails_every_graded_test(path):
    released = release_notebook(nbformat.read(path, as_version=4))
    assert not any("BEGIN SOLUTION" in c.source or "HIDDEN TESTS" in c.source for c in released.cells)
    nb = execute(released, COURSE / "exercises", allow_errors=True)
    graded = [c for c in nb.cells if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]
    passed = [_nbgrader(c)["grade_id"] for c in graded if not _errors(c)]
    assert graded and not passed, f"graded test cells that pass without a solution: {passed}"


# Plausible wrong answers: each passes the visible checks of its test cell and must fail the hidden ones.
WRONG_SKEW_BY_AVERAGES = """
def skew_report(train_feats, serve_feats, features):
    joined = train_feats.merge(serve_feats, on=KEYS, suffixes=("_train", "_serve"))
    rows = {}
    for f in features:
        diff = joined[f + "_serve"] - joined[f + "_train"]
        rows[f] = {"mismatch_rate": float((diff.abs() > 1e-6).mean()), "mean_diff": float(diff.mean())}
    return pd.DataFrame.from_dict(rows, orient="index")


report_v1 = skew_report(train_day6, serving_v1, FEATURES)
# compares distributions, not shots: a feature is skewed when its average moved by a tenth of a standard deviation
SKEWED_FEATURES = [f for f in FEATURES if abs(report_v1.loc[f, "mean_diff"]) > 0.1 * train_day6[f].std()]
"""
_PARSE_HEAD = """
def parse_log(log):
    df = pd.DataFrame([json.loads(p) for p in log["payload"]])
    df["machine"] = log["topic"].str.split("/").str[2].to_numpy()
    df["received_at"] = log["received_at"].to_numpy()
"""
_PARSE_TAIL = """
    df["mold_temp_c"] = df["mold_t"] / 10
    df["melt_temp_c"] = df["melt_t"] / 10
    df = df.rename(columns={"seq": "shot_no", "inj_p": "inj_pressure_bar", "cushion": "cushion_mm", "cycle": "cycle_s"})
    return df[["shot_time", "machine", "shot_no", "mold_temp_c", "melt_temp_c", "inj_pressure_bar", "cushion_mm",
               "cycle_s"]]


def serving_features_fixed(log):
    return make_features(parse_log(log))


serving_fixed = serving_features_fixed(log)
"""
WRONG_FIX_RECEIVE_TIME = (
    _PARSE_HEAD
    + """
    df = df.drop_duplicates(subset=["machine", "seq"]).copy()
    received = pd.to_datetime(df["received_at"], utc=True)        # the broker's clock, not the shot's
    df["shot_time"] = received.dt.tz_convert("Asia/Seoul").dt.tz_localize(None).dt.floor("s")
"""
    + _PARSE_TAIL
)
WRONG_FIX_DEDUPLICATE_BY_SEQ = (
    _PARSE_HEAD
    + """
    df = df.drop_duplicates(subset="seq").copy()                     # shot counters are per machine
    df["shot_time"] = pd.to_datetime(df["ts"]).dt.tz_convert("Asia/Seoul").dt.tz_localize(None)
"""
    + _PARSE_TAIL
)
WRONG_EFFECT_PREDICT = """
def flag_rate(features):
    day = features[features["shot_time"] >= DAY6_START]
    return float(np.mean(model.predict(day[FEATURES])))              # predict() judges at 0.5, not THRESHOLD


flag_rate_historian = flag_rate(train_day6)
flag_rate_v1 = flag_rate(serving_v1)
flag_rate_fixed = flag_rate(serving_fixed)
"""
WRONG_PSI_EQUAL_WIDTH = """
def psi(reference, current, bins=BINS):
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    low, high = min(reference.min(), current.min()), max(reference.max(), current.max())
    r = np.histogram(reference, bins=bins, range=(low, high))[0] / len(reference)
    c = np.histogram(current, bins=bins, range=(low, high))[0] / len(current)
    r, c = np.clip(r, EPS, None), np.clip(c, EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))
"""
WRONG_PSI_CURRENT_EDGES = """
def psi(reference, current, bins=BINS):
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    edges = np.quantile(current, np.linspace(0, 1, bins + 1))       # edges from today's data
    edges[0], edges[-1] = -np.inf, np.inf
    r = np.histogram(reference, bins=edges)[0] / len(reference)
    c = np.histogram(current, bins=edges)[0] / len(current)
    r, c = np.clip(r, EPS, None), np.clip(c, EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))
"""
WRONG_ALARMS_CALENDAR_DAYS = """
def alarm_days_single(daily, threshold):
    return list(daily.index[(daily >= threshold).any(axis=1)])


def alarm_days_consecutive(daily, threshold):
    over = daily >= threshold
    days = []
    for i, day in enumerate(daily.index):
        previous = day - pd.Timedelta(days=1)                        # the calendar day before, not the working day
        if previous in over.index and (over.loc[day] & over.loc[previous]).any():
            days.append(day)
    return days


def evaluate_alarms(alarm_days):
    position = {day: i for i, day in enumerate(DAYS)}
    inside_any = lambda d: ((changes["start_date"] <= d) & (d <= changes["end_date"])).any()
    delay = {}
    for event in changes.itertuples():
        inside = [d for d in alarm_days if event.start_date <= d <= event.end_date]
        first = next(d for d in DAYS if d >= event.start_date)
        delay[event.event_id] = position[inside[0]] - position[first] if inside else None
    return {"false_alarms": sum(not inside_any(d) for d in alarm_days), "delay": delay}


result_single = evaluate_alarms(alarm_days_single(daily, 0.1))
result_consecutive = evaluate_alarms(alarm_days_consecutive(daily, 0.2))
"""
WRONG_ANSWERS = [
    ("01-feature-skew.ipynb", "ex1-skew-report", WRONG_SKEW_BY_AVERAGES, "ex1-test-skew"),
    ("01-feature-skew.ipynb", "ex1-fix", WRONG_FIX_RECEIVE_TIME, "ex1-test-fix"),
    ("01-feature-skew.ipynb", "ex1-fix", WRONG_FIX_DEDUPLICATE_BY_SEQ, "ex1-test-fix"),
    ("01-feature-skew.ipynb", "ex1-effect", WRONG_EFFECT_PREDICT, "ex1-test-effect"),
    ("02-drift-monitor.ipynb", "ex2-psi", WRONG_PSI_EQUAL_WIDTH, "ex2-test-psi"),
    ("02-drift-monitor.ipynb", "ex2-psi", WRONG_PSI_CURRENT_EDGES, "ex2-test-psi"),
    ("02-drift-monitor.ipynb", "ex2-alarms", WRONG_ALARMS_CALENDAR_DAYS, "ex2-test-alarms"),
]


@pytest.mark.parametrize(
    ("notebook", "answer_id", "wrong", "test_id"),
    WRONG_ANSWERS,
    ids=[f"{n[:2]}-{a}-{i}" for i, (n, a, _, _) in enumerate(WRONG_ANSWERS)],
)
def test_hidden_tests_reject_a_plausible_wrong_answer(notebook, answer_id, wrong, test_id):
    nb = nbformat.read(COURSE / "exercises" / notebook, as_version=4)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells]
    nb.cells[ids.index(answer_id)].source = wrong.strip("\n")
    test_at = ids.index(test_id)
    visible = nbformat.v4.new_code_cell(HIDDEN_REGION.sub("", nb.cells[test_at].source))
    visible.metadata = {"nbgrader": {"grade_id": "visible-only"}}
    nb.cells = [*nb.cells[: test_at + 1], visible]  # later cells do not matter for this test
    nb = execute(nb, COURSE / "exercises", allow_errors=True)
    assert not _errors(nb.cells[ids.index(answer_id)]), "the wrong answer itself runs"
    assert not _errors(nb.cells[-1]), f"the wrong answer passes the visible checks: {_errors(nb.cells[-1])}"
    failures = _errors(nb.cells[test_at])
    assert failures and failures[0]["ename"] == "AssertionError", "the hidden checks reject it"


# -- manifest, lessons, quizzes, diagrams ----------------------------------------------------------


def test_manifest_lists_every_lesson_quiz_and_exercise_in_order():
    manifest = yaml.safe_load((COURSE / "course.yml").read_text(encoding="utf-8"))
    assert (manifest["track"], manifest["industry"], manifest["level"]) == ("mlops", "manufacturing", "intermediate")
    assert manifest["licence"] == "CC BY-SA 4.0" and (COURSE / manifest["overview"]).is_file()
    items = [i if isinstance(i, str) else i["path"] for m in manifest["outline"] for i in m["items"]]
    shipped = {p.relative_to(COURSE).as_posix() for p in [*LESSONS, *QUIZZES, *EXERCISES]}
    assert sorted(items) == sorted(shipped), "every lesson, quiz and exercise is in the outline exactly once"
    assert len(LESSONS) >= 8 and len(QUIZZES) >= 2
    lessons_in_order = [i for i in items if i.startswith("lessons/")]
    assert lessons_in_order == sorted(lessons_in_order)
    for exercise in EXERCISES:  # an exercise comes after the lesson it practises
        assert items.index(f"exercises/{exercise.name}") > items.index("lessons/03-training-serving-skew.md")
    assert items.index("exercises/02-drift-monitor.ipynb") > items.index("lessons/05-monitoring-drift.md")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    meta, body = _front_matter(path)
    assert meta["title"] and isinstance(meta["minutes"], int) and len(meta["objectives"]) >= 2
    for heading in ("## 학습 목표", "## 요약", "## 확인 문제"):
        assert heading in body, f"{path.name}: missing {heading}"
    assert len(body) > 3500, f"{path.name}: a lesson, not a note"
    assert "가온사출" in body, "the course's example company"


@pytest.mark.parametrize("name", LAW_LESSONS)
def test_law_lessons_are_dated_sourced_and_not_legal_advice(name):
    body = (COURSE / "lessons" / name).read_text(encoding="utf-8")
    assert "법률 자문이 아닙니다" in body
    assert "국가법령정보센터" in body
    assert re.search(r"20\d\d년 \d+월 기준", body), "say when the text was checked"


def test_ai_basic_act_lesson_states_the_act_and_its_date():
    body = (COURSE / "lessons" / "07-ai-basic-act.md").read_text(encoding="utf-8")
    assert "인공지능 발전과 신뢰 기반 조성 등에 관한 기본법" in body and "2026년 1월 22일" in body
    assert "고영향 인공지능" in body and "생성형 인공지능" in body


def test_privacy_lesson_names_the_commission_guidance():
    body = (COURSE / "lessons" / "08-privacy-for-ai.md").read_text(encoding="utf-8")
    assert "개인정보보호위원회" in body and "가명처리" in body and "국외 이전" in body


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_relative_links_and_images_exist(path):
    for number, line in _outside_fences(path.read_text(encoding="utf-8")):
        for match in LINK.finditer(line):
            is_image, alt, target = match.groups()
            if is_image:
                assert len(alt.strip()) > 20, f"{path.name}:{number}: an image needs an alt text that describes it"
            target = target.split("#")[0]
            if target and not EXTERNAL.match(target):
                assert (path.parent / target).is_file(), f"{path.name}:{number}: missing {target}"


def test_every_diagram_is_used_in_a_lesson():
    used = "".join(p.read_text(encoding="utf-8") for p in LESSONS)
    assert len(SVGS) >= 4
    for svg in SVGS:
        assert f"../images/{svg.name}" in used, f"{svg.name} is not used"


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_svg_is_safe_and_titled(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
    tags = {el.tag.split("}")[-1].lower() for el in root.iter()}
    assert "script" not in tags and "foreignobject" not in tags
    assert {"title", "desc"} <= tags, "an accessible <title> and <desc>"
    for el in root.iter():
        assert not any(name.lower().startswith("on") for name in el.attrib), f"event handler in {path.name}"
        assert not any("javascript:" in str(v).lower() for v in el.attrib.values())


@pytest.mark.parametrize("path", QUIZZES, ids=lambda p: p.name)
def test_quiz_questions_are_explained_and_well_formed(path):
    quiz = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert quiz["title"] and quiz["minutes"] > 0
    questions = quiz["questions"]
    assert len(questions) >= 6
    assert {q["type"] for q in questions} == {"single", "multiple", "short"}
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids))
    for q in questions:
        assert q["prompt"].strip() and len(q["explanation"].strip()) > 40, q["id"]
        if q["type"] == "short":
            assert q["answers"] and all(str(a).strip() for a in q["answers"])
            continue
        correct = [o for o in q["options"] if o.get("correct")]
        assert len(q["options"]) >= 3
        assert len(correct) == 1 if q["type"] == "single" else len(correct) >= 1, q["id"]


def test_glossary_terms_used_by_the_course_are_defined():
    glossary = (COURSE.parent / "GLOSSARY.md").read_text(encoding="utf-8")
    for term in ("학습·서빙 불일치", "PSI(모집단 안정성 지수)", "MQTT", "가명처리", "고영향 인공지능", "기준 구간"):
        assert f"| {term} |" in glossary, term
    terms = [line.split("|")[1].strip() for line in glossary.splitlines() if line.startswith("| ")]
    assert len(terms) == len(set(terms)), "one line per term"


def test_course_imports_without_errors_or_warnings():
    from lms.content.loader import load_course

    result = load_course(COURSE)
    assert [str(p) for p in result.problems] == []
    kinds = [item.kind for item in result.course.items]
    assert kinds.count("exercise") == 2 and kinds.count("quiz") >= 2 and kinds.count("lesson") >= 8
