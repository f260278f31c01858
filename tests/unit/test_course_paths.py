"""Every path a course names stays inside its folder after symlinks; only what published items use is stored."""

import json
import os
from pathlib import Path

import pytest

from lms.content.loader import load_course, load_courses
from tests.hostile_courses import graded_notebook, lesson, notebook, write_course

SECRET = "TOP-SECRET-SIGNING-KEY"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the courses root holding what must never leak."""
    folder = tmp_path / "instance"
    (folder / "shared").mkdir(parents=True)
    (folder / "secret_key").write_text(SECRET, encoding="utf-8")
    (folder / "shared" / "secret.csv").write_text(f"key\n{SECRET}\n", encoding="utf-8")
    (folder / "evil.md").write_text(lesson(SECRET), encoding="utf-8")
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "courses"


def leaked(result) -> bool:
    """Whether the secret made it into anything the import would store."""
    course = result.course
    if course is None:
        return False
    texts = [course.overview, *(i.body for i in course.items), *(str(i.notebook) for i in course.items)]
    return any(SECRET in t for t in texts) or any(SECRET.encode() in b for b in course.assets.values())


def messages(result) -> list[str]:
    return [str(p) for p in result.errors]


def assert_outside(result, where: str) -> None:
    found = messages(result)
    assert any(m.startswith(where) and "outside the course" in m for m in found), found
    assert result.course is None and not leaked(result)


# -- symlinks --------------------------------------------------------------------------------------------------------


def test_a_symlink_to_a_file_outside_is_an_error_even_when_nothing_links_it(root, outside):
    folder = write_course(root, "sym")
    (folder / "data").mkdir()
    os.symlink(outside / "secret_key", folder / "data" / "secret.csv")
    assert_outside(load_course(folder), "sym/data/secret.csv:1: ")


def test_a_linked_symlink_to_a_file_outside_is_an_error(root, outside):
    folder = write_course(root, "sym", {"lessons/01-a.md": lesson("[키](../data/secret.csv)")})
    (folder / "data").mkdir()
    os.symlink(outside / "secret_key", folder / "data" / "secret.csv")
    result = load_course(folder)
    assert_outside(result, "sym/lessons/01-a.md:6: ")
    assert_outside(result, "sym/data/secret.csv:1: ")


def test_a_symlinked_directory_outside_is_an_error(root, outside):
    folder = write_course(root, "symdir", {"lessons/01-a.md": lesson("![표](../data/secret.csv)")})
    os.symlink(outside / "shared", folder / "data")
    result = load_course(folder)
    assert_outside(result, "symdir/data:1: ")
    assert_outside(result, "symdir/lessons/01-a.md:6: ")


def test_symlinks_that_stay_inside_the_course_are_fine(root):
    folder = write_course(
        root, "inside", {"lessons/01-a.md": lesson("![그림](../images/b.svg)"), "shared/a.svg": "<svg></svg>"}
    )
    (folder / "images").mkdir()
    os.symlink("../shared/a.svg", folder / "images" / "b.svg")
    result = load_course(folder)
    assert result.errors == [] and result.course.assets == {"images/b.svg": b"<svg></svg>"}


def test_a_symlinked_course_folder_pointing_outside_the_courses_root_is_not_imported(root, tmp_path):
    elsewhere = write_course(tmp_path / "elsewhere", "evil", {"data/secret.csv": SECRET})
    write_course(root, "healthy")
    os.symlink(elsewhere, root / "evil")
    results = {r.slug: r for r in load_courses(root)}
    assert results["healthy"].course is not None and results["healthy"].errors == []
    assert_outside(results["evil"], "evil/course.yml:1: ")


# -- paths in the manifest -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overview",
    [
        "{outside}/secret_key",  # absolute
        "../../instance/secret_key",  # ..
        "..\\..\\instance\\secret_key",  # backslashes
        "/proc/self/environ",
    ],
)
def test_overview_outside_the_course_is_an_error(root, outside, overview):
    value = overview.format(outside=outside)
    folder = write_course(root, "ov", extra=f"overview: '{value}'\n")
    assert_outside(load_course(folder), "ov/course.yml:8: ")


@pytest.mark.parametrize("item", ["{outside}/evil.md", "../../instance/evil.md", "lessons/../../../instance/evil.md"])
def test_outline_items_outside_the_course_are_errors(root, outside, item):
    folder = write_course(root, "ol", items=("lessons/01-a.md", item.format(outside=outside)))
    assert_outside(load_course(folder), "ol/course.yml:12: ")


def test_an_outline_item_that_is_a_symlink_to_outside_is_an_error(root, outside):
    folder = write_course(root, "ol", items=("lessons/01-a.md", "lessons/02-b.md"), files={"lessons/02-b.md": ""})
    (folder / "lessons" / "02-b.md").unlink()
    os.symlink(outside / "evil.md", folder / "lessons" / "02-b.md")
    assert_outside(load_course(folder), "ol/course.yml:12: ")


# -- links in lessons ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[키](../../../instance/secret_key)",
        "![그림](../../../instance/secret_key)",
        '<img src="../../../instance/secret_key" alt="x">',
        '<a href="../../../instance/secret_key">키</a>',
        "[키](%2e%2e/%2e%2e/%2e%2e/instance/secret_key)",
        "[키](..%2f..%2f..%2finstance%2fsecret_key)",
        "[키](..\\..\\..\\instance\\secret_key)",
        "[키][k]\n\n[k]: ../../../instance/secret_key",
        "[키](../../sym-target/secret_key)",  # a cross-course link into a symlinked "course" outside
    ],
)
def test_lesson_links_outside_the_course_are_errors(root, outside, body):
    folder = write_course(root, "lnk", {"lessons/01-a.md": lesson(body)})
    os.symlink(outside, root / "sym-target")
    result = load_course(folder)
    found = messages(result)
    assert any(m.startswith("lnk/lessons/01-a.md:") and "outside the course" in m for m in found), found
    assert result.course is None and not leaked(result)


def test_cross_course_links_inside_the_courses_root_still_work(root):
    write_course(root, "other", {"data/x.csv": "a\n1\n"}, items=("lessons/01-b.md",))
    folder = write_course(root, "this", {"lessons/01-a.md": lesson("[다른 과정](../../other/lessons/01-b.md)")})
    assert load_course(folder).errors == []


# -- notebook data references ----------------------------------------------------------------------------------------


def test_notebook_data_references_outside_the_course_are_errors(root, outside):
    folder = write_course(
        root,
        "nb",
        {"exercises/ex.ipynb": notebook("import pandas as pd", "df = pd.read_csv('../../../instance/secret_key')")},
        items=("exercises/ex.ipynb",),
    )
    result = load_course(folder)
    assert any(m.startswith("nb/exercises/ex.ipynb: cell 3: ") and "outside the course" in m for m in messages(result))
    assert result.course is None


def test_notebook_data_reference_through_a_symlink_outside_is_an_error(root, outside):
    folder = write_course(
        root, "nb", {"exercises/ex.ipynb": notebook("open('../data/leak.csv')")}, items=("exercises/ex.ipynb",)
    )
    (folder / "data").mkdir()
    os.symlink(outside / "secret_key", folder / "data" / "leak.csv")
    result = load_course(folder)
    assert any(m.startswith("nb/exercises/ex.ipynb: cell 2: ") and "outside the course" in m for m in messages(result))
    assert result.course is None and not leaked(result)


# -- what is stored: only files that published items use ------------------------------------------------------------

QUIZ_WITH_ANSWERS = """\
title: 지난 퀴즈
minutes: 5
questions:
  - type: single
    prompt: 정답은?
    options:
      - text: 이것
        correct: true
      - text: 저것
    explanation: 설명
"""


def test_only_files_that_published_items_use_are_stored(root):
    folder = write_course(
        root,
        "pub",
        {
            "lessons/01-a.md": lesson('![흐름](../images/flow.svg)\n\n<img src="../images/b.png" alt="b">'),
            "overview.md": "![표지](images/cover.svg)",
            "exercises/ex.ipynb": notebook("import pandas as pd\ndf = pd.read_csv('../data/used.csv')"),
            "images/flow.svg": "<svg/>",
            "images/b.png": b"\x89PNG",
            "images/cover.svg": "<svg/>",
            "images/unused.svg": "<svg/>",
            "data/used.csv": "a\n1\n",
            "data/unused.csv": "b\n2\n",
            "data/declared.csv": "c\n3\n",
            "quizzes/old.yml": QUIZ_WITH_ANSWERS,  # removed from the outline
            "notes/solutions.md": "정답: 42",
            "exercises/other.ipynb": notebook("x = 1"),
        },
        items=("lessons/01-a.md", "exercises/ex.ipynb"),
        extra="overview: overview.md\nassets: [data/declared.csv]\n",
    )
    result = load_course(folder)
    assert result.errors == [], messages(result)
    assert set(result.course.assets) == {
        "images/flow.svg",
        "images/b.png",
        "images/cover.svg",
        "data/used.csv",
        "data/declared.csv",
    }
    exercise = result.course.items[1]
    assert exercise.files == ["data/used.csv"]


def test_a_notebook_reading_a_data_folder_gets_its_files(root):
    folder = write_course(
        root,
        "dirs",
        {
            "exercises/ex.ipynb": notebook("from pathlib import Path\nDOCS = Path('../data/docs')"),
            "data/docs/a.txt": "가",
            "data/docs/b.txt": "나",
            "data/other.txt": "다",
        },
        items=("exercises/ex.ipynb",),
    )
    result = load_course(folder)
    assert result.errors == []
    assert set(result.course.assets) == {"data/docs/a.txt", "data/docs/b.txt"}
    assert result.course.items[0].files == ["data/docs/a.txt", "data/docs/b.txt"]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("quizzes/old.yml", "quizzes and notebooks are never served"),
        ("exercises/other.ipynb", "quizzes and notebooks are never served"),
        ("course.yml", "quizzes and notebooks are never served"),
        ("../../instance/secret_key", "outside the course folder"),
        ("data/missing.csv", "file not found"),
    ],
)
def test_the_assets_list_is_checked(root, outside, declared, message):
    folder = write_course(
        root,
        "decl",
        {"quizzes/old.yml": QUIZ_WITH_ANSWERS, "exercises/other.ipynb": notebook("x = 1")},
        extra=f"assets:\n  - {declared}\n",
    )
    found = messages(load_course(folder))
    assert any(m.startswith("decl/course.yml:9: ") and message in m for m in found), found


def test_files_only_hidden_tests_read_are_kept_for_grading_but_never_published(root):
    code = graded_notebook(
        "import pandas as pd\ndf = pd.read_csv('../data/input.csv')",
        "expected = pd.read_csv('../data/expected.csv')\nassert answer == expected.x[0]",
    )
    folder = write_course(
        root,
        "hid",
        {"exercises/ex.ipynb": code, "data/input.csv": "a\n1\n", "data/expected.csv": "x\n42\n"},
        items=("exercises/ex.ipynb",),
    )
    result = load_course(folder)
    assert result.errors == [], messages(result)
    assert set(result.course.assets) == {"data/input.csv", "data/expected.csv"}
    assert result.course.private_assets == {"data/expected.csv"}
    assert result.course.items[0].files == ["data/expected.csv", "data/input.csv"]


def test_a_symlink_loop_is_an_error_not_a_crash(root):
    folder = write_course(root, "loop", {"lessons/01-a.md": lesson("[고리](../data/loop.csv)")})
    (folder / "data").mkdir()
    os.symlink("loop.csv", folder / "data" / "loop.csv")
    write_course(root, "healthy")
    results = {r.slug: r for r in load_courses(root)}
    assert results["healthy"].course is not None
    found = messages(results["loop"])
    assert any(m.startswith("loop/lessons/01-a.md:6: ") for m in found), found


def with_listed_files(text: str, files: list[str]) -> str:
    nb = json.loads(text)
    nb["metadata"]["baeum"] = {"files": files}
    return json.dumps(nb)


def test_files_a_notebook_lists_in_its_metadata_are_its_files(root):
    code = "name = 'lookup'\nimport pandas as pd\npd.read_csv(f'../data/{name}.csv')"  # a name built at run time
    folder = write_course(
        root,
        "listed",
        {
            "exercises/ex.ipynb": with_listed_files(notebook(code), ["../data/lookup.csv", "../data/images"]),
            "data/lookup.csv": "a\n1\n",
            "data/images/1.png": "png",
            "data/other.csv": "b\n2\n",
        },
        items=("exercises/ex.ipynb",),
    )
    result = load_course(folder)
    assert result.errors == []
    assert result.course.items[0].files == ["data/images/1.png", "data/lookup.csv"]
    assert "data/other.csv" not in result.course.assets


def test_metadata_files_outside_the_course_are_errors(root, outside):
    folder = write_course(
        root,
        "listed",
        {"exercises/ex.ipynb": with_listed_files(notebook("x = 1"), ["../../instance/secret_key"])},
        items=("exercises/ex.ipynb",),
    )
    assert_outside(load_course(folder), "listed/exercises/ex.ipynb:1: ")
