"""Flask-free grading library: nbgrader-compatible notebooks, a sandbox for untrusted code, and the grader.

``notebook`` reads, validates, releases and merges notebooks; ``grader`` grades and runs them; ``pool`` keeps warm
sandboxes (``sandbox``: one interpreter; ``isolation``: how this host isolates it; ``protocol``: what the platform
and the worker say to each other; ``files``: the data files a sandbox gets); ``_worker`` runs inside the sandbox.
"""

from lms.grading.grader import CellResult, GradeItem, GradeResult, NotebookRun, grade_notebook, run_notebook
from lms.grading.notebook import Problem, merge_submission, release_notebook, validate_notebook
from lms.grading.pool import SandboxPool
from lms.grading.protocol import Limits, SandboxError

__all__ = [
    "CellResult",
    "GradeItem",
    "GradeResult",
    "Limits",
    "NotebookRun",
    "Problem",
    "SandboxError",
    "SandboxPool",
    "grade_notebook",
    "merge_submission",
    "release_notebook",
    "run_notebook",
    "validate_notebook",
]
