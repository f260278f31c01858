"""Checks the course "비전 외관 검사 실습" (courses/vision-surface-inspection).

The image generator reproduces the shipped images and tables byte for byte; each exercise's source notebook passes its
own tests, its release fails every graded test cell, and plausible wrong answers that pass the visible checks are
rejected by the hidden ones; lessons, quizzes, diagrams and links are well formed.
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

COURSE = Path(__file__).resolve().parents[2] / "courses" / "vision-surface-inspection"
EXERCISES = sorted((COURSE / "exercises").glob("*.ipynb"))
LESSONS = sorted((COURSE / "lessons").glob("*.md"))
QUIZZES = sorted((COURSE / "quizzes").glob("*.yml"))
SVGS = sorted((COURSE / "images").glob("*.svg"))
MARKDOWN_FILES = [*LESSONS, COURSE / "overview.md", COURSE / "data" / "README.md"]

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


def test_image_generator_reproduces_the_shipped_data(tmp_path):
    subprocess.run([sys.executable, str(COURSE / "tools" / "make_images.py"), str(tmp_path)], check=True)
    for name in ("images.csv", "rater_labels.csv"):
        assert (tmp_path / name).read_bytes() == (COURSE / "data" / name).read_bytes(), f"{name} differs"
    made = sorted(p.name for p in (tmp_path / "images").glob("*.png"))
    shipped = sorted(p.name for p in (COURSE / "data" / "images").glob("*.png"))
    assert made == shipped
    for name in shipped:
        assert (tmp_path / "images" / name).read_bytes() == (COURSE / "data" / "images" / name).read_bytes(), name


def test_images_are_small_grayscale_and_described_by_the_table():
    import pandas as pd
    from PIL import Image

    pngs = sorted((COURSE / "data" / "images").glob("*.png"))
    assert 300 <= len(pngs) <= 600
    assert sum(p.stat().st_size for p in pngs) < 3 * 1024 * 1024
    for path in pngs[::25]:
        with Image.open(path) as img:
            assert (img.mode, img.size) == ("L", (64, 64))
    meta = pd.read_csv(COURSE / "data" / "images.csv")
    assert sorted(meta["file"]) == [p.name for p in pngs]
    assert set(meta["defect_type"]) == {"ok", "scratch", "dent", "stain"}
    assert (meta["defect"] == (meta["defect_type"] != "ok")).all()
    defects = meta[meta["defect"] == 1]
    assert defects[["x0", "y0", "x1", "y1"]].notna().all().all()
    assert (meta.groupby("lot")["day"].nunique() == 1).all(), "a lot belongs to one production day"
    assert (meta["shot"] == 2).sum() > 10, "re-shot parts, the trap of a random split"
    raters = pd.read_csv(COURSE / "data" / "rater_labels.csv")
    assert len(raters) == 120 and set(raters["file"]) <= set(meta["file"])


# -- exercises --------------------------------------------------------------------------------------


def test_there_are_two_exercises():
    assert [p.name for p in EXERCISES] == ["01-kappa-split-classifier.ipynb", "02-patch-anomaly-drift.ipynb"]


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
    assert tests >= 4 and manual == 1
    text = "\n".join(c.source for c in nb.cells)
    for banned in ("import torch", "import cv2", "skimage", "tensorflow", "urlopen", "requests"):
        assert banned not in text, f"{path.name} must run with numpy, pandas, matplotlib, scikit-learn and scipy only"


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
WRONG_KAPPA_PERCENT_AGREEMENT = """
def cohen_kappa(a, b):
    return float(np.mean(np.asarray(a) == np.asarray(b)))       # observed agreement, no correction for chance


kappa_v1 = cohen_kappa(raters["rater_a_v1"], raters["rater_b_v1"])
kappa_v2 = cohen_kappa(raters["rater_a_v2"], raters["rater_b_v2"])
"""
WRONG_SPLIT_RANDOM = """
from sklearn.model_selection import train_test_split

kept = meta[meta["day"] != DRIFT_DAY]
train, rest = train_test_split(kept, train_size=193, random_state=0, stratify=kept["defect_type"])
val, test = train_test_split(rest, test_size=125, random_state=0, stratify=rest["defect_type"])
"""
WRONG_MODEL_ACCURACY_PER_TYPE = """
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
model.fit(X[train.index], train["defect"])
val_scores = model.predict_proba(X[val.index])[:, 1]
test_scores = model.predict_proba(X[test.index])[:, 1]


def recall_by_type(df, scores, threshold):
    flagged = np.asarray(scores) >= threshold
    kinds = df["defect_type"].to_numpy()
    # the share of right calls within each group: for good parts this is 1 - false-call rate
    return {kind: float(np.mean(flagged[kinds == kind] == (kind != "ok"))) for kind in [*TYPES, "ok"]}
"""
WRONG_MODEL_ALL_DATA = """
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
everything = pd.concat([train, val, test])
model.fit(X[everything.index], everything["defect"])               # trained on the test days too
val_scores = model.predict_proba(X[val.index])[:, 1]
test_scores = model.predict_proba(X[test.index])[:, 1]


def recall_by_type(df, scores, threshold):
    flagged = np.asarray(scores) >= threshold
    kinds = df["defect_type"].to_numpy()
    return {kind: float(flagged[kinds == kind].mean()) for kind in [*TYPES, "ok"]}
"""
WRONG_THRESHOLD_ON_TEST = """
def expected_cost(df, scores, threshold):
    flagged = np.asarray(scores) >= threshold
    defect = df["defect"].to_numpy() == 1
    recall, false_call = flagged[defect].mean(), flagged[~defect].mean()
    return float(10_000 * (PREVALENCE * (1 - recall) * COST_MISS + (1 - PREVALENCE) * false_call * COST_FALSE_CALL))


test_costs = [expected_cost(test, test_scores, t) for t in THRESHOLDS]   # picked where it is later reported
best_threshold = float(THRESHOLDS[int(np.argmin(test_costs))])
test_cost = expected_cost(test, test_scores, best_threshold)
test_result = recall_by_type(test, test_scores, best_threshold)
"""
WRONG_BANK_WITH_DEFECTS = """
bank = F[train.index].reshape(-1, 4)                                 # defective parts' patches become "normal"
scale = bank.std(axis=0)
nn = NearestNeighbors(n_neighbors=1).fit(bank / scale)


def anomaly_maps(feats):
    return nn.kneighbors(np.asarray(feats).reshape(-1, 4) / scale)[0].reshape(len(feats), GRID, GRID)


val_maps = anomaly_maps(F[val.index])
test_maps = anomaly_maps(F[test.index])
val_scores = val_maps.max(axis=(1, 2))
test_scores = test_maps.max(axis=(1, 2))
"""
WRONG_SCORE_MEAN = WRONG_BANK_WITH_DEFECTS.replace(
    'F[train.index].reshape(-1, 4)                                 # defective parts\' patches become "normal"',
    'F[train.index[train["defect"] == 0]].reshape(-1, 4)',
).replace("max(axis=(1, 2))", "mean(axis=(1, 2))")
WRONG_THRESHOLD_FROM_TEST = """
threshold = float(np.quantile(test_scores[test["defect"].to_numpy() == 0], 0.98))
test_result = recall_by_type(test, test_scores, threshold)
hits = []
for (_, row), amap, score in zip(test.iterrows(), test_maps, test_scores):
    if row["defect"] == 1 and score >= threshold:
        i, j = np.unravel_index(np.argmax(amap), amap.shape)
        cy, cx = i * STRIDE + PATCH // 2, j * STRIDE + PATCH // 2
        hits.append(row["x0"] - 4 <= cx <= row["x1"] + 4 and row["y0"] - 4 <= cy <= row["y1"] + 4)
hit_rate = float(np.mean(hits))
"""
WRONG_DRIFT_GAIN_ONLY = """
drift_before = recall_by_type(drift, anomaly_maps(F[drift.index]).max(axis=(1, 2)), threshold)


def flatten(img):
    img = np.asarray(img, dtype=float)
    return img / img.mean() * 100                                   # corrects the gain but not the left-right fall-off


F_flat = np.stack([patch_features(flatten(img)) for img in images])
bank_flat = F_flat[train.index[train["defect"] == 0]].reshape(-1, 4)
scale_flat = bank_flat.std(axis=0)
nn_flat = NearestNeighbors(n_neighbors=1).fit(bank_flat / scale_flat)


def flat_scores(index):
    return nn_flat.kneighbors(F_flat[index].reshape(-1, 4) / scale_flat)[0].reshape(len(index), -1).max(axis=1)


threshold_flat = float(np.quantile(flat_scores(val.index[val["defect"] == 0]), 0.98))
drift_after = recall_by_type(drift, flat_scores(drift.index), threshold_flat)
test_after = recall_by_type(test, flat_scores(test.index), threshold_flat)
"""
EX1, EX2 = "01-kappa-split-classifier.ipynb", "02-patch-anomaly-drift.ipynb"
WRONG_ANSWERS = [
    (EX1, "ex1-kappa", WRONG_KAPPA_PERCENT_AGREEMENT, "ex1-test-kappa"),
    (EX1, "ex1-split", WRONG_SPLIT_RANDOM, "ex1-test-split"),
    (EX1, "ex1-model", WRONG_MODEL_ACCURACY_PER_TYPE, "ex1-test-model"),
    (EX1, "ex1-model", WRONG_MODEL_ALL_DATA, "ex1-test-model"),
    (EX1, "ex1-cost", WRONG_THRESHOLD_ON_TEST, "ex1-test-cost"),
    (EX2, "ex2-bank", WRONG_BANK_WITH_DEFECTS, "ex2-test-bank"),
    (EX2, "ex2-bank", WRONG_SCORE_MEAN, "ex2-test-bank"),
    (EX2, "ex2-threshold", WRONG_THRESHOLD_FROM_TEST, "ex2-test-threshold"),
    (EX2, "ex2-drift", WRONG_DRIFT_GAIN_ONLY, "ex2-test-drift"),
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
    assert (manifest["track"], manifest["industry"]) == ("machine-learning", "manufacturing")
    assert manifest["licence"] == "CC BY-SA 4.0" and (COURSE / manifest["overview"]).is_file()
    items = [i if isinstance(i, str) else i["path"] for m in manifest["outline"] for i in m["items"]]
    shipped = {p.relative_to(COURSE).as_posix() for p in [*LESSONS, *QUIZZES, *EXERCISES]}
    assert sorted(items) == sorted(shipped), "every lesson, quiz and exercise is in the outline exactly once"
    assert len(LESSONS) >= 8 and len(QUIZZES) >= 2
    lessons_in_order = [i for i in items if i.startswith("lessons/")]
    assert lessons_in_order == sorted(lessons_in_order)
    assert items.index(f"exercises/{EX1}") > items.index("lessons/05-recall-cost-threshold.md")
    assert items.index(f"exercises/{EX2}") > items.index("lessons/08-edge-latency-lighting-drift.md")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    meta, body = _front_matter(path)
    assert meta["title"] and isinstance(meta["minutes"], int) and len(meta["objectives"]) >= 2
    for heading in ("## 학습 목표", "## 요약", "## 확인 문제"):
        assert heading in body, f"{path.name}: missing {heading}"
    assert len(body) > 3000, f"{path.name}: a lesson, not a note"
    assert "새솔금속" in body, "the course's example company"
    assert "레이블" not in body and "피처" not in body, "the glossary's terms: 라벨, 특성"


def test_the_course_says_its_images_are_synthetic_and_its_company_fictional():
    overview = (COURSE / "overview.md").read_text(encoding="utf-8")
    card = (COURSE / "data" / "README.md").read_text(encoding="utf-8")
    assert "합성 이미지" in overview and "가상 회사" in overview and "합성 이미지" in card


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
    assert len(SVGS) >= 3
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
    for term in ("코헨의 카파(κ)", "이상 탐지", "재현율", "라벨 기준서", "설명 맵", "조명 드리프트"):
        assert f"| {term} |" in glossary, term
    terms = [line.split("|")[1].strip() for line in glossary.splitlines() if line.startswith("| ")]
    assert len(terms) == len(set(terms)), "one line per term"


def test_course_imports_without_errors_or_warnings():
    from lms.content.loader import load_course

    result = load_course(COURSE)
    assert [str(p) for p in result.problems] == []
    kinds = [item.kind for item in result.course.items]
    assert kinds.count("exercise") == 2 and kinds.count("quiz") >= 2 and kinds.count("lesson") >= 8
