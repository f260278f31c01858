"""Running course notebooks in a real Jupyter kernel, for the content tests."""

from __future__ import annotations

from pathlib import Path

from nbclient import NotebookClient
from nbformat import NotebookNode

from lms.grading.notebook import release_notebook  # noqa: F401  (the platform's release, used by the tests)


def execute(nb: NotebookNode, folder: Path, *, allow_errors: bool = False) -> NotebookNode:
    """Run `nb` top to bottom with the python3 kernel, in `folder` (so ../data paths resolve)."""
    NotebookClient(
        nb, kernel_name="python3", timeout=120, allow_errors=allow_errors, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb
