"""Flask-free grading library: nbgrader-compatible notebooks, a sandbox for untrusted code, and the grader."""

from lms.grading.grader import CellResult, GradeItem, GradeResult, NotebookRun, grade_notebook, run_notebook
from lms.grading.notebook import Problem, merge_submission, release_notebook, validate_notebook
from lms.grading.sandbox import Limits, SandboxPool, isolation_report

__all__ = [
    "CellResult",
    "GradeItem",
    "GradeResult",
    "Limits",
    "NotebookRun",
    "Problem",
    "SandboxPool",
    "grade_notebook",
    "isolation_report",
    "merge_submission",
    "release_notebook",
    "run_notebook",
    "validate_notebook",
]
