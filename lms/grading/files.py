"""The course data files a sandbox gets, by course-relative path: never notebooks, quizzes, lessons or hidden files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Files never copied from a data directory into a sandbox: notebooks (sources, hidden tests), quizzes with
# their answers, lessons, manifests, and anything hidden.
_DATA_EXCLUDED_SUFFIXES = (".ipynb", ".yml", ".yaml", ".md", ".pyc")


def collect_files(
    data: str | os.PathLike[str] | Mapping[str, bytes | str | os.PathLike[str]] | None, limit_mb: int = 64
) -> dict[str, bytes]:
    """The files to copy into a sandbox, by course-relative path.

    A mapping is taken as it is (values are bytes or host paths). A directory is walked, skipping hidden files
    and anything that may hold answers: notebooks, YAML (quizzes, manifests) and Markdown.
    """
    files: dict[str, bytes] = {}
    if data is None:
        return files
    if isinstance(data, Mapping):
        for rel, value in data.items():
            files[_safe_rel(rel)] = value if isinstance(value, bytes) else Path(value).read_bytes()
    else:
        base = Path(data)
        for path in sorted(base.rglob("*")):
            rel_path = path.relative_to(base)
            if (
                not path.is_file()
                or any(p.startswith(".") for p in rel_path.parts)
                or path.suffix.lower() in _DATA_EXCLUDED_SUFFIXES
                or path.is_symlink()
            ):
                continue
            files[rel_path.as_posix()] = path.read_bytes()
    total = sum(len(v) for v in files.values())
    if total > limit_mb << 20:
        raise ValueError(f"data files total {total >> 20} MB, more than the {limit_mb} MB allowed")
    return files


def _safe_rel(rel: str) -> str:
    norm = os.path.normpath(str(rel)).replace(os.sep, "/")
    if norm.startswith(("/", "../")) or norm in ("..", ".") or "\x00" in norm:
        raise ValueError(f"not a relative path inside the course: {rel!r}")
    return norm
