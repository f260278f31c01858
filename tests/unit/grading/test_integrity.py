"""Forging grades from an answer cell: each attack is either prevented (no points) or detected ("needs review")."""

from __future__ import annotations

import json

import nbformat
import pytest

from lms.grading.grader import GradeResult, grade_notebook
from lms.grading.notebook import release_notebook
from lms.grading.pool import SandboxPool
from lms.grading.protocol import Limits

SECRET = "HIDDEN-SECRET-7731"


def _cell(kind: str, source: str, grade_id: str, *, grade: bool = False, solution: bool = False, points: int = 0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    if kind == "code":
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    return nbformat.v4.new_markdown_cell(source, metadata={"nbgrader": meta})


def _test(grade_id: str, visible: str, hidden: str) -> nbformat.NotebookNode:
    body = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    return _cell("code", body, grade_id, grade=True, points=1)


# Tests that use the helpers learners might patch: numpy, numpy.testing, math, pandas.testing and builtins.
TESTS = [
    _test("test_plain", "assert add(1, 2) == 3", f'assert add(-5, 5) == 0, "{SECRET}"'),
    _test("test_np", "assert np.allclose(add(1.0, 2.0), 3.0)", "assert np.allclose(add(np.array([-5.0]), 5.0), [0.0])"),
    _test(
        "test_npt", "np.testing.assert_allclose(add(1.0, 2.0), 3.0)", "np.testing.assert_allclose(add(-5.0, 5.0), 0.0)"
    ),
    _test("test_math", "assert math.isclose(add(1, 2), 3)", "assert math.isclose(add(-5, 5), 0)"),
    _test(
        "test_pd",
        "import pandas as pd",
        "pd.testing.assert_series_equal(add(pd.Series([-5]), pd.Series([5])), pd.Series([0]))",
    ),
    _test(
        "test_builtins",
        "assert isinstance(add(1, 2), int)",
        "assert round(abs(add(-5, 5))) == 0 and len([add(-5, 5)][0:add(-5, 5)]) == 0",
    ),
    _test("test_last", "assert add(2, 1) == 3", "assert add(10, -10) == 0"),
]


@pytest.fixture(scope="module")
def source() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("markdown", "Write `add(a, b)`.", "prompt"),
        _cell("code", "import math\nimport numpy as np\nimport pandas as pd", "setup"),
        _cell(
            "code",
            "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
            "add",
            solution=True,
        ),
        *TESTS,
    ]
    return nb


def grade(source: nbformat.NotebookNode, answer: str, pool: SandboxPool, limits: Limits) -> GradeResult:
    sub = release_notebook(source)
    sub.cells[2].source = answer
    return grade_notebook(source, sub, {}, limits, pool=pool)


def output_text(result: GradeResult) -> str:
    return json.dumps([c.outputs for c in result.cells])


WRONG = "def add(a, b):\n    return 3\n"  # passes some visible tests only


def test_correct_answer_earns_everything(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    result = grade(source, "def add(a, b):\n    return a + b\n", pool, tight)
    assert result.status == "ok", result.detail
    assert result.points == len(TESTS) and result.final and not result.review
    assert all(g.status == "passed" for g in result.grades)


@pytest.mark.parametrize(
    "answer",
    [
        # pandas' itertuples makes a namedtuple, which reads its caller's module name from a frame
        "def add(a, b):\n    return next(pd.DataFrame({'x': [a + b]}).itertuples()).x\n",
        # typing reads the defining module's name from a frame when a TypeVar or Protocol is made
        "import typing\ndef add(a, b):\n    T = typing.TypeVar('T')\n    return a + b\n",
        # a module imported for the first time during grading: the import system unmarshals its cached bytecode
        "def add(a, b):\n    import fractions, statistics, dataclasses\n"
        "    return a + b if fractions.Fraction(1, 2) else 0\n",
        # code a library builds with exec (dataclasses write their __init__)
        "import dataclasses\n@dataclasses.dataclass\nclass P:\n    x: int\ndef add(a, b):\n    return P(a + b).x\n",
    ],
)
def test_libraries_that_name_a_module_from_a_frame_are_not_tampering(
    answer: str, source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits
) -> None:
    result = grade(source, answer, pool, tight)
    assert result.points == len(TESTS) and not result.review, result.review


def test_wrong_answer_earns_nothing(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    result = grade(source, WRONG, pool, tight)
    assert result.points == 0 and not result.review
    assert {g.status for g in result.grades} == {"failed"}


def assert_not_scored(result: GradeResult) -> None:
    """No forged points: every test failed, could not run, or waits for an instructor."""
    assert result.points == 0, [(g.grade_id, g.status) for g in result.grades]
    assert all(g.status in ("failed", "error", "review") for g in result.grades)
    if result.review:
        assert not result.final
        assert all(g.status == "review" and g.points is None for g in result.grades)
        assert result.manual_pending_points == len(TESTS)


# Attacks that reach the harness: frames, the globals of objects the harness hands to learner code, the reply pipe.
HARNESS_ATTACKS = {
    "frame-walk-replaces-runner": (
        "import sys\nf = sys._getframe()\nwhile f.f_back is not None:\n    f = f.f_back\n"
        "for name, value in list(f.f_globals.items()):\n"
        "    if callable(value) and name.startswith('_') and name not in ('__import__',):\n"
        "        f.f_globals[name] = lambda *a, **k: None\n"
    ),
    "frame-walk-from-a-test": (
        "import sys\n_done = []\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None and not _done:\n"
        "        for k, v in list(f.f_globals.items()):\n"
        "            if k in ('_run', '_exec', '_cell'):\n"
        "                f.f_globals[k] = lambda *a, **k: None\n"
        "                _done.append(k)\n"
        "        f = f.f_back\n"
        "    return 3\n"
    ),
    "stream-globals-replace-runner": (
        "import sys\ng = type(sys.stdout).write.__globals__\n"
        "for k in ('_run', '_exec', '_compile'):\n    if k in g:\n        g[k] = lambda *a, **k: None\n"
    ),
    "forged-reply-with-the-nonce": (
        "import sys, os, json\n"
        "def add(a, b):\n"
        "    for obj in (sys.stdout, sys.__stdout__, get_ipython().display_pub):\n"
        "        for fn in vars(type(obj)).values():\n"
        "            g = getattr(fn, '__globals__', None)\n"
        "            if g and '_State' in g and '_REP_FD' in g:\n"
        "                msg = {'type': 'cell', 'nonce': g['_State'].nonce, 'index': 0, 'ok': True,\n"
        "                       'error': None, 'outputs': [], 'memory_error': False, 'duration': 0.0}\n"
        "                os.write(g['_REP_FD'], (json.dumps(msg) + '\\n').encode())\n"
        "                return 3\n"
        "    return 3\n"
    ),
    "gc-finds-the-harness": (
        "import gc, types\n"
        "for o in gc.get_objects():\n"
        "    if isinstance(o, dict) and '_run' in o and '_reply' in o:\n"
        "        o['_run'] = lambda *a, **k: None\n"
    ),
    "current-frames-from-a-thread": (
        "import sys, threading\n"
        "def spy():\n"
        "    for f in sys._current_frames().values():\n"
        "        while f is not None:\n"
        "            if '_run' in f.f_globals:\n"
        "                f.f_globals['_run'] = lambda *a, **k: None\n"
        "            f = f.f_back\n"
        "threading.Thread(target=spy).start()\n"
    ),
    "signal-handler-frame": (
        "import signal\n"
        "def h(signum, frame):\n"
        "    while frame is not None:\n"
        "        if '_run' in frame.f_globals:\n"
        "            frame.f_globals['_run'] = lambda *a, **k: None\n"
        "        frame = frame.f_back\n"
        "try:\n    signal.signal(signal.SIGALRM, h)\n    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)\n"
        "except Exception as exc:\n    print('refused', exc)\n"
    ),
    "code-object-swap": (
        "import numpy as np\n"
        "try:\n    np.allclose.__code__ = (lambda *a, **k: True).__code__\nexcept Exception as exc:\n"
        "    print('refused', exc)\n"
    ),
}


@pytest.mark.parametrize("attack", list(HARNESS_ATTACKS), ids=list(HARNESS_ATTACKS))
def test_harness_is_out_of_reach(attack: str, source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    code = HARNESS_ATTACKS[attack]
    answer = code if "def add" in code else WRONG + code
    assert_not_scored(grade(source, answer, pool, tight))


# Patching what tests call: restored before each test and reported for review.
PATCHES = {
    "np.allclose": "import numpy as np\nnp.allclose = lambda *a, **k: True",
    "numpy.testing": "import numpy.testing as npt\nnpt.assert_allclose = lambda *a, **k: None\n"
    "import numpy as np\nnp.allclose = lambda *a, **k: True",
    "math.isclose": "import math\nmath.isclose = lambda *a, **k: True",
    "pandas.testing": "import pandas.testing as pdt\npdt.assert_series_equal = lambda *a, **k: None",
    "builtins": "import builtins\nbuiltins.round = lambda *a: 0\nbuiltins.abs = lambda x: 0\n"
    "builtins.len = lambda x: 0\nbuiltins.isinstance = lambda *a: True",
    "sys.modules": "import sys, types\nfake = types.ModuleType('numpy')\nfake.allclose = lambda *a, **k: True\n"
    "fake.testing = types.SimpleNamespace(assert_allclose=lambda *a, **k: None)\nsys.modules['numpy'] = fake\n"
    "sys.modules['math'] = types.SimpleNamespace(isclose=lambda *a, **k: True)",
    "deep-numpy": "import numpy._core.numeric as n\nn.isclose = lambda *a, **k: __import__('numpy').array([True])",
    "class-attribute": "import pandas as pd\npd.Series.equals = lambda *a, **k: True",
    "defaults": "import numpy as np, math\nnp.allclose.__defaults__ = (1e9, 1e9, False)\n"
    "np.testing.assert_allclose.__kwdefaults__ = dict(np.testing.assert_allclose.__kwdefaults__ or {}, rtol=1e9)\n"
    "import pandas.testing as pdt\npdt.assert_series_equal.__kwdefaults__ = {'check_exact': False, 'rtol': 1e9}",
}


@pytest.mark.parametrize("patch", list(PATCHES), ids=list(PATCHES))
def test_patched_test_helpers_are_detected(
    patch: str, source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits
) -> None:
    result = grade(source, WRONG + PATCHES[patch], pool, tight)
    assert_not_scored(result)
    assert result.review, "tampering with the test helpers goes to an instructor"


def test_patch_made_during_a_test_and_undone(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    answer = (
        "import numpy as np, math\n"
        "def add(a, b):\n"
        "    orig, orig_m = np.allclose, math.isclose\n"
        "    def fake(*x, **k):\n"
        "        np.allclose, math.isclose = orig, orig_m\n"
        "        return True\n"
        "    np.allclose = math.isclose = fake\n"
        "    return 3\n"
    )
    assert_not_scored(grade(source, answer, pool, tight))


def test_equality_override_is_sent_for_review(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    answer = (
        "class Anything(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Anything(3)\n"
    )
    result = grade(source, answer, pool, tight)
    assert_not_scored(result)
    assert result.review


def test_a_thread_cannot_read_the_hidden_tests(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    spy = (
        "import sys, threading, time, gc\n"
        "seen = []\n"
        "def spy():\n"
        "    end = time.monotonic() + 3\n"
        "    while time.monotonic() < end:\n"
        "        try:\n"
        "            for f in sys._current_frames().values():\n"
        "                while f is not None:\n"
        "                    seen.append(repr(f.f_locals)[:20000])\n"
        "                    f = f.f_back\n"
        "        except Exception:\n"
        "            pass\n"
        "        try:\n"
        "            seen.extend(o for o in gc.get_objects() if isinstance(o, str) and 'HIDDEN' in o)\n"
        "        except Exception:\n"
        "            pass\n"
        "        time.sleep(0.001)\n"
        "threading.Thread(target=spy, daemon=True).start()\n"
    )
    sub = release_notebook(source)
    sub.cells[2].source = WRONG + spy
    # A learner cell after the tests prints what the thread saw.
    sub.cells.append(nbformat.v4.new_code_cell("print([s for s in seen if 'add(-5' in s or 'HIDDEN' in s])"))
    result = grade_notebook(source, sub, {}, tight, pool=pool)
    assert "add(-5" not in output_text(result) and SECRET not in output_text(result)
    assert_not_scored(result)
    assert result.review  # a thread still running when the tests were due


def test_a_forked_child_cannot_read_the_hidden_tests(
    source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits
) -> None:
    child = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    end = time.monotonic() + 3\n"
        "    while time.monotonic() < end:\n"
        "        for path in (f'/proc/{os.getppid()}/mem', '/proc/self/mem'):\n"
        "            try:\n"
        "                open(path, 'rb')\n"
        "                print('OPENED', path)\n"
        "            except Exception:\n"
        "                pass\n"
        "        time.sleep(0.01)\n"
        "    os._exit(0)\n"
    )
    sub = release_notebook(source)
    sub.cells[2].source = WRONG + child
    result = grade_notebook(source, sub, {}, tight, pool=pool)
    assert "OPENED" not in output_text(result)
    assert_not_scored(result)


def test_test_names_do_not_leak_into_later_cells(
    source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits
) -> None:
    nb = nbformat.from_dict(json.loads(json.dumps(source)))
    nb.cells.insert(4, _test("test_named", "pass", "expected_secret = 'S3CRET-VALUE'\nassert add(1, 1) == 2"))
    sub = release_notebook(nb)
    sub.cells[2].source = "def add(a, b):\n    return a + b\n"
    sub.cells.append(nbformat.v4.new_code_cell("print(globals().get('expected_secret'))"))
    result = grade_notebook(nb, sub, {}, tight, pool=pool)
    assert "S3CRET-VALUE" not in output_text(result)
    assert result.points == len(TESTS) + 1


def test_proc_mem_is_refused(source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits) -> None:
    code = (
        "for path in ('/proc/self/mem', '/proc/thread-self/mem'):\n"
        "    try:\n        open(path, 'rb')\n        print('OPENED')\n"
        "    except Exception as exc:\n        print('refused', type(exc).__name__)\n"
    )
    result = grade(source, "def add(a, b):\n    return a + b\n" + code, pool, tight)
    assert "OPENED" not in output_text(result) and output_text(result).count("refused") == 2


# Writing the interpreter's memory without ctypes: hand-made bytecode reads and writes past its constants, and a NumPy
# array over a raw address (or strides past an array's end) writes anywhere. No check inside the interpreter can see
# what such a write changed, so building code objects is refused and an answer naming the NumPy ways is reviewed.
MEMORY_ATTACKS = {
    "code-replace": "def add(a, b):\n    return 3\n"
    "try:\n    add.__code__.replace(co_consts=(None,) * 300)\nexcept Exception as exc:\n    print('refused', exc)\n",
    "code-type": "import types\ndef add(a, b):\n    return 3\nc = add.__code__\n"
    "try:\n    types.CodeType(*[getattr(c, 'co_' + n) for n in ('argcount', 'posonlyargcount', 'kwonlyargcount',"
    " 'nlocals', 'stacksize', 'flags', 'code', 'consts', 'names', 'varnames', 'filename', 'name', 'qualname',"
    " 'firstlineno', 'linetable', 'exceptiontable', 'freevars', 'cellvars')])\n"
    "except Exception as exc:\n    print('refused', exc)\n",
    "marshal": "import marshal\ndef add(a, b):\n    return 3\n"
    "try:\n    marshal.loads(marshal.dumps(add.__code__))\nexcept Exception as exc:\n    print('refused', exc)\n",
    "exec-built": "def add(a, b):\n    return 3\n"
    "exec('try:\\n    add.__code__.replace()\\nexcept Exception as exc:\\n    print(\\'refused\\', exc)')\n",
    "array-interface": "import numpy as np\n"
    "class Raw:\n    def __init__(self, address, size):\n"
    "        self.__array_interface__ = {'shape': (size,), 'typestr': '|u1', 'data': (address, False), 'version': 3}\n"
    "def add(a, b):\n    view = np.asarray(Raw(id(a), 8))\n    return 3\n",
    "array-interface-by-name": "import numpy as np\nclass Raw: pass\n"
    "def add(a, b):\n    r = Raw()\n    setattr(r, '__array_' 'interface__', {'shape': (1,), 'typestr': '|u1',"
    " 'data': (id(a), False), 'version': 3})\n    return 3\n",
    "as-strided": "from numpy.lib.stride_tricks import as_strided\nimport numpy as np\n"
    "def add(a, b):\n    x = np.zeros(1)\n    as_strided(x, shape=(4,), strides=(8,))\n    return 3\n",
}


@pytest.mark.parametrize("attack", list(MEMORY_ATTACKS), ids=list(MEMORY_ATTACKS))
def test_memory_writing_is_refused_or_reviewed(
    attack: str, source: nbformat.NotebookNode, pool: SandboxPool, tight: Limits
) -> None:
    result = grade(source, MEMORY_ATTACKS[attack], pool, tight)
    assert_not_scored(result)
    assert result.review, "a way to write the interpreter's memory goes to an instructor"


def test_a_solution_that_uses_stride_tricks_itself_is_not_reviewed(pool: SandboxPool, tight: Limits) -> None:
    """The scan compares the answer with the instructor's solution: what the solution uses is not suspicious."""
    nb = nbformat.v4.new_notebook()
    solution = (
        "import numpy as np\nfrom numpy.lib.stride_tricks import as_strided\n"
        "def windows(x):\n    ### BEGIN SOLUTION\n"
        "    return as_strided(x, shape=(len(x) - 1, 2), strides=(x.strides[0],) * 2)\n    ### END SOLUTION"
    )
    nb.cells = [
        _cell("code", solution, "windows", solution=True),
        _test("test_windows", "x = np.arange(4.0)\nassert windows(x).shape == (3, 2)", "assert windows(x)[2, 1] == 3"),
    ]
    sub = release_notebook(nb)
    sub.cells[0].source = solution.replace("### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "")
    result = grade_notebook(nb, sub, {}, tight, pool=pool)
    assert result.points == 1 and not result.review, result.review
