"""Read and validate course folders into `CourseSpec`s, reporting problems as `file:line: message`."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from ..grading.notebook import cell_text, release_notebook
from .kinds import item_suffixes, kind_for_path
from .spec import (
    AUDIENCES,
    INDUSTRIES,
    LANGUAGES,
    LEVELS,
    MAX_NOTEBOOK_BYTES,
    MAX_TEXT_BYTES,
    TRACKS,
    CompletionRule,
    CourseSpec,
    ItemSpec,
    ModuleSpec,
    Problem,
)
from .yamlio import LineDict, YamlError, line_of, load_yaml

# Bump when the way content is stored or rendered changes, so unchanged folders are imported again.
# 3: math is sanitised as MathML after rendering; remote images dropped. 4: exercises keep their pass_score.
FORMAT_VERSION = "4"
MANIFEST = "course.yml"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_ASSET_BYTES = 5 * 1024 * 1024
MAX_FOLDER_FILES = 1000  # files one data folder named by a notebook may bring in
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", "tools"}
# Markdown links and images, reference definitions, and src/href attributes of raw HTML.
_LINK_RE = re.compile(
    r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|(?:src|href)\s*=\s*[\"']([^\"']+)[\"']"
    r"|^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?([^\s>]+)>?"
)
_EXTERNAL_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#|/(?!/))")
# String literals in notebook code: candidate data paths (`pd.read_csv("../data/sales.csv")`).
_STRING_RE = re.compile(r"""(["'])([^"'\n]{1,300})\1""")
# Kinds of files never stored or served, whatever links or lists them: notebook sources, quizzes, the manifest.
_NEVER_SERVED = "quizzes and notebooks are never served"


@dataclass
class LoadResult:
    """The outcome of reading one course folder."""

    slug: str
    course: CourseSpec | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class _Collector:
    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []

    def error(self, rel: str, line: int, message: str) -> None:
        self.problems.append(Problem(f"{self.label}/{rel}", line, message))

    def cell_error(self, rel: str, cell: int | None, message: str) -> None:
        self.problems.append(Problem(f"{self.label}/{rel}", 1, message, cell=cell))

    def warn(self, rel: str, line: int, message: str) -> None:
        self.problems.append(Problem(f"{self.label}/{rel}", line, message, "warning"))


def find_course_dirs(root: Path) -> list[Path]:
    """Course folders directly under `root` (or `root` itself when it is one)."""
    if (root / MANIFEST).is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file())


def _real(path: Path) -> Path:
    """`path` with every symlink resolved; a symlink loop resolves to itself (it leads nowhere inside)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python 3.11 reports a symlink loop so
        return Path(os.path.abspath(path))


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, symlinks resolved, is `root` (already resolved) or lies under it."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _walk(folder: Path) -> Iterator[tuple[str, Path]]:
    """(posix relative path, path) of every entry of a course folder, without following directory links."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _IGNORED_PARTS)
        for name in sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]:
            if name.startswith(".") or name in _IGNORED_PARTS:
                continue
            path = here / name
            yield path.relative_to(folder).as_posix(), path


def escaping_links(folder: Path) -> list[tuple[str, Path]]:
    """Symbolic links in a course folder that lead outside it: (relative path, where they lead)."""
    root = folder.resolve()
    found = []
    for rel, path in _walk(folder):
        if path.is_symlink() and os.path.exists(path) and not _inside(path, root):
            found.append((rel, _real(path)))
    return found


def course_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file of a course folder that stays inside it, as (posix relative path, path); hidden and
    tool files, special files and links leading outside are left out."""
    root = folder.resolve()
    for rel, path in _walk(folder):
        if path.is_file() and _inside(path, root):
            yield rel, path


def content_hash(folder: Path) -> str:
    """A digest of every file of the course; a file too large to be used by any item counts by size and time,
    so a huge stray file costs no reading."""
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for rel, path in course_files(folder):
        info = path.stat()
        if info.st_size > max(MAX_NOTEBOOK_BYTES, MAX_ASSET_BYTES, MAX_TEXT_BYTES):
            digest.update(rel.encode() + b"\0" + f"{info.st_size}:{info.st_mtime_ns}".encode())
            continue
        with open(path, "rb") as fh:
            digest.update(rel.encode() + b"\0" + hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()


def load_course(folder: Path, label: str | None = None, courses_root: Path | None = None) -> LoadResult:
    """Read one course folder; `label` is how files are named in problems (default: the folder name).

    Every path the course names must stay inside the folder once symlinks are resolved (links to other courses:
    inside `courses_root`, by default the folder's parent). Nothing a course contains can make this raise.
    """
    slug = folder.name
    out = _Collector(label or slug)
    if not SLUG_RE.match(slug):
        out.error(MANIFEST, 1, f"the folder name {slug!r} is not a valid slug (a-z, 0-9 and '-')")
        return LoadResult(slug, None, out.problems)
    courses_root = (courses_root or folder.parent).resolve()
    if not _inside(folder, courses_root):
        out.error(MANIFEST, 1, f"the course folder leads to {_real(folder)}, outside the courses folder")
        return LoadResult(slug, None, out.problems)
    try:
        return _load(folder, slug, courses_root, out)
    except (RuntimeError, MemoryError, OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        # A last line of defence: the checks above and below bound what a course can do; should one still slip
        # through, this course fails with a message and the others are read.
        out.error(MANIFEST, 1, f"the course could not be read ({exc.__class__.__name__}: {str(exc)[:200]})")
        return LoadResult(slug, None, out.problems)


def _load(folder: Path, slug: str, courses_root: Path, out: _Collector) -> LoadResult:
    for rel, target in escaping_links(folder):
        out.error(rel, 1, f"a symbolic link to {target}, outside the course folder")
    manifest_path = folder / MANIFEST
    if not _inside(manifest_path, folder.resolve()):
        return LoadResult(slug, None, out.problems)
    raw = _read_limited(manifest_path, MAX_TEXT_BYTES)
    if raw is None:
        out.error(MANIFEST, 1, f"file is too large (at most {MAX_TEXT_BYTES // 1024} KiB)")
        return LoadResult(slug, None, out.problems)
    try:
        manifest = load_yaml(raw.decode("utf-8"))
    except (YamlError, UnicodeDecodeError) as exc:
        out.error(MANIFEST, getattr(exc, "line", 1), getattr(exc, "message", str(exc)))
        return LoadResult(slug, None, out.problems)
    if not isinstance(manifest, LineDict):
        out.error(MANIFEST, 1, "the manifest must be a mapping of keys to values")
        return LoadResult(slug, None, out.problems)

    reader = CourseReader(folder, slug, manifest, out, courses_root)
    course = reader.read()
    if any(p.severity == "error" for p in out.problems):
        return LoadResult(slug, None, out.problems)
    return LoadResult(slug, course, out.problems)


def load_courses(root: Path) -> list[LoadResult]:
    """Read every course folder under `root`."""
    return [load_course(folder) for folder in find_course_dirs(root)]


def _read_limited(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, or None when it holds more than `limit` (read no further than that)."""
    with open(path, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


def link_kind(path: str) -> str:
    """What a link to `path` (inside a course) shows: the course page, an item, or a course file."""
    suffix = PurePosixPath(path).suffix.lower()
    if path in ("overview.md", MANIFEST):
        return "course"
    if suffix in item_suffixes() and not path.startswith(("data/", "images/")):
        return "item"
    return "file"


def never_served(path: str) -> bool:
    """Notebook sources, quizzes and the manifest are never stored as course files, whoever names them."""
    suffix = PurePosixPath(path).suffix.lower()
    return suffix == ".ipynb" or link_kind(path) != "file" and suffix in (".yml", ".yaml")


@dataclass
class _Target:
    """A path named by a course file, checked: in which course, where in it, and the file on disk."""

    slug: str
    path: str
    file: Path


class CourseReader:
    """Reads one course folder: the manifest and its outline here, each item's file by its kind's `load`."""

    def __init__(self, folder: Path, slug: str, manifest: LineDict, out: _Collector, courses_root: Path) -> None:
        self.folder = folder
        self.root = folder.resolve()
        self.courses_root = courses_root
        self.slug = slug
        self.m = manifest
        self.out = out
        self.used: set[str] = {MANIFEST}  # the manifest, the overview and the outline's items
        self.referenced: set[str] = set()  # course files that published content links or reads
        self.private: set[str] = set()  # course files only an exercise's hidden tests or solutions read

    # -- manifest fields -------------------------------------------------------------------------
    def _text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self.m.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.out.error(MANIFEST, self.m.line, f"'{key}' is required")
            return default
        if not isinstance(value, str | int | float):
            self.out.error(MANIFEST, line_of(self.m, key), f"'{key}' must be text")
            return default
        return str(value).strip()

    def _choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self._text(key, required=default is None, default=default or "")
        if value and value not in allowed:
            self.out.error(
                MANIFEST, line_of(self.m, key), f"'{key}' is {value!r}; expected one of: {', '.join(allowed)}"
            )
        return value

    def _text_list(self, key: str) -> list[str]:
        value = self.m.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            self.out.error(MANIFEST, line_of(self.m, key), f"'{key}' must be a list of text")
            return []
        return [str(v).strip() for v in value if str(v).strip()]

    def read(self) -> CourseSpec:
        audience = self._text_list("audience")
        if not audience:
            self.out.error(MANIFEST, self.m.line, "'audience' is required: " + ", ".join(AUDIENCES))
        for who in audience:
            if who not in AUDIENCES:
                self.out.error(
                    MANIFEST, line_of(self.m, "audience"), f"unknown audience {who!r}; expected: {', '.join(AUDIENCES)}"
                )
        hours = self.m.get("hours", 0)
        if not isinstance(hours, int | float) or hours < 0:
            self.out.error(MANIFEST, line_of(self.m, "hours"), "'hours' must be a positive number")
            hours = 0
        course = CourseSpec(
            slug=self.slug,
            title=self._text("title"),
            summary=self._text("summary"),
            track=self._choice("track", TRACKS),
            industry=self._choice("industry", INDUSTRIES),
            level=self._choice("level", LEVELS),
            audience=audience,
            language=self._choice("language", LANGUAGES, default="ko"),
            hours=float(hours),
            licence=self._text("licence"),
            content_hash=content_hash(self.folder),
            tags=self._text_list("tags"),
            instructors=self._instructors(),
            prerequisites=self._text_list("prerequisites"),
            completion=self._completion(),
        )
        overview = self.m.get("overview")
        if overview:
            target = self._locate(MANIFEST, str(overview))
            if isinstance(target, str):
                self.out.error(MANIFEST, line_of(self.m, "overview"), target)
            elif not target.file.is_file():
                self.out.error(MANIFEST, line_of(self.m, "overview"), f"overview file not found: {overview}")
            else:
                self.used.add(target.path)
                course.overview = self.read_text(target.path) or ""
                self.check_links(target.path, course.overview, 1)
        course.modules = self._outline()
        declared = self._declared_assets()
        course.assets = self._assets(declared)
        course.private_assets = self.private - self.referenced - declared
        return course

    def _instructors(self) -> list[dict[str, str]]:
        value = self.m.get("instructors") or []
        result = []
        if not isinstance(value, list):
            self.out.error(MANIFEST, line_of(self.m, "instructors"), "'instructors' must be a list")
            return []
        for entry in value:
            if isinstance(entry, str):
                result.append({"name": entry, "title": ""})
            elif isinstance(entry, dict) and entry.get("name"):
                instructor = {"name": str(entry["name"]), "title": str(entry.get("title") or "")}
                # An optional e-mail links the instructor's account to the course (they grade its learners).
                if entry.get("email"):
                    email = str(entry["email"]).strip()
                    if "@" not in email or any(c.isspace() for c in email):
                        self.out.error(MANIFEST, line_of(entry, "email"), f"'{email}' is not an e-mail address")
                    instructor["email"] = email
                result.append(instructor)
            else:
                self.out.error(MANIFEST, line_of(entry, default=line_of(value)), "an instructor needs a 'name'")
        return result

    def _completion(self) -> CompletionRule:
        value = self.m.get("completion") or {}
        rule = CompletionRule()
        if not isinstance(value, dict):
            self.out.error(MANIFEST, line_of(self.m, "completion"), "'completion' must be a mapping")
            return rule
        for key, v in value.items():
            line = line_of(value, key)
            if key in ("min_progress", "min_score"):
                if not isinstance(v, int | float) or not 0 <= v <= 100:
                    self.out.error(MANIFEST, line, f"'completion.{key}' must be a number from 0 to 100")
                else:
                    setattr(rule, key, int(v))
            elif key == "require_exercises":
                if not isinstance(v, bool):
                    self.out.error(MANIFEST, line, "'completion.require_exercises' must be true or false")
                else:
                    rule.require_exercises = v
            elif key == "score":
                if v not in ("best", "last"):
                    self.out.error(MANIFEST, line, "'completion.score' must be 'best' or 'last'")
                else:
                    rule.score = v
            else:
                self.out.error(MANIFEST, line, f"unknown key 'completion.{key}'")
        return rule

    # -- outline and items -----------------------------------------------------------------------
    def _outline(self) -> list[ModuleSpec]:
        outline = self.m.get("outline")
        if not isinstance(outline, list) or not outline:
            self.out.error(MANIFEST, line_of(self.m, "outline"), "'outline' must list at least one module")
            return []
        modules: list[ModuleSpec] = []
        seen: dict[str, str] = {}
        for entry in outline:
            line = line_of(entry, default=line_of(outline))
            if not isinstance(entry, dict) or not entry.get("title"):
                self.out.error(MANIFEST, line, "a module needs a 'title' and 'items'")
                continue
            module = ModuleSpec(title=str(entry["title"]).strip())
            items = entry.get("items")
            if not isinstance(items, list) or not items:
                self.out.error(MANIFEST, line_of(entry, "items", line), "a module needs at least one item")
                items = []
            for index, raw in enumerate(items):
                item_line = line_of(items, index, default=line)
                item = self._item(raw, item_line)
                if item is None:
                    continue
                if item.slug in seen:
                    self.out.error(
                        MANIFEST,
                        item_line,
                        f"{item.path} and {seen[item.slug]} have the same item name {item.slug!r}",
                    )
                    continue
                seen[item.slug] = item.path
                self.used.add(item.path)
                module.items.append(item)
            modules.append(module)
        return modules

    def _item(self, raw: Any, line: int) -> ItemSpec | None:
        overrides: dict[str, Any] = {}
        if isinstance(raw, dict):
            line = line_of(raw, default=line)
            rel = raw.get("path")
            overrides = {k: raw[k] for k in ("title", "minutes", "required") if k in raw}
        else:
            rel = raw
        if not isinstance(rel, str) or not rel.strip():
            self.out.error(MANIFEST, line, "an outline item must be a file path or have a 'path'")
            return None
        rel = rel.strip()
        kind = kind_for_path(rel)
        if kind is None:
            suffixes = item_suffixes()
            self.out.error(
                MANIFEST, line, f"{rel}: unknown item type (use {', '.join(suffixes[:-1])} or {suffixes[-1]})"
            )
            return None
        target = self._locate(MANIFEST, rel)
        if isinstance(target, str):
            self.out.error(MANIFEST, line, target)
            return None
        if not target.file.is_file():
            self.out.error(MANIFEST, line, f"item file not found: {rel}")
            return None
        rel = target.path
        slug = PurePosixPath(rel).stem
        if not SLUG_RE.match(slug.lower()) or slug != slug.lower():
            self.out.error(MANIFEST, line, f"{rel}: file names must be lowercase a-z, 0-9 and '-'")
            return None
        item = kind.load(self, rel, slug)
        if item is None:
            return None
        if "title" in overrides:
            item.title = str(overrides["title"])
        if "minutes" in overrides:
            item.minutes = self.minutes(overrides["minutes"], MANIFEST, line)
        if "required" in overrides:
            item.required = bool(overrides["required"])
        if not item.title:
            self.out.error(rel, 1, "a title is required")
        return item

    # -- what item kinds read their files with (`ItemKind.load`) -----------------------------------
    def error(self, rel: str, line: int, message: str) -> None:
        self.out.error(rel, line, message)

    def warn(self, rel: str, line: int, message: str) -> None:
        self.out.warn(rel, line, message)

    def cell_error(self, rel: str, cell: int | None, message: str) -> None:
        self.out.cell_error(rel, cell, message)

    def read_bytes(self, rel: str, limit: int) -> bytes | None:
        """The bytes of the course file `rel`, or None when it holds more than `limit`."""
        return _read_limited(self.folder / rel, limit)

    def minutes(self, value: Any, rel: str, line: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.out.error(rel, line, "'minutes' must be a positive number")
            return 0
        return int(value)

    def read_text(self, rel: str) -> str | None:
        raw = _read_limited(self.folder / rel, MAX_TEXT_BYTES)
        if raw is None:
            self.out.error(rel, 1, f"file is too large (at most {MAX_TEXT_BYTES // 1024} KiB)")
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.out.error(rel, 1, f"not UTF-8 text ({exc.reason})")
            return None

    def strings(self, data: LineDict, key: str, rel: str) -> list[str]:
        value = data.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            self.out.error(rel, line_of(data, key), f"'{key}' must be a list of text")
            return []
        return [str(v) for v in value]

    def front_matter(self, rel: str, text: str) -> tuple[LineDict | None, str, int]:
        text = text.lstrip("\ufeff")
        lines = text.split("\n")
        if not lines or lines[0].strip() != "---":
            self.out.error(rel, 1, "a lesson must start with YAML front matter between '---' lines")
            return None, "", 1
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
        except StopIteration:
            self.out.error(rel, 1, "the front matter is not closed with a '---' line")
            return None, "", 1
        try:
            meta = load_yaml("\n".join(lines[1:end]), first_line=2)
        except YamlError as exc:
            self.out.error(rel, exc.line, exc.message)
            return None, "", 1
        if not isinstance(meta, LineDict):
            self.out.error(rel, 2, "the front matter must be a mapping (title, minutes, ...)")
            return None, "", 1
        for key in ("title", "minutes"):
            if key not in meta:
                self.out.error(rel, 2, f"'{key}' is required in the front matter")
        return meta, "\n".join(lines[end + 1 :]), end + 2

    # -- paths, links and assets -----------------------------------------------------------------
    def _locate(self, rel: str, target: str, *, link: bool = False) -> _Target | str:
        """Check a path named in the course file `rel`, relative to that file's folder (links: percent-encoded,
        and may lead into another course); the place it names, or why it is refused."""
        shown = target
        if link:
            target = unquote(target)
        target = target.replace("\\", "/")  # browsers read a backslash as a slash
        if target.startswith("/") or re.match(r"^[A-Za-z]:", target):
            return f"{shown}: an absolute path, outside the course folder"
        resolved = resolve_relative(self.slug, PurePosixPath(rel).parent, target)
        if resolved is None or (resolved[0] != self.slug and not link):
            return f"{shown}: points outside the course folder"
        slug, path = resolved
        course_dir = self.folder if slug == self.slug else self.folder.parent / slug
        if slug != self.slug and os.path.lexists(course_dir) and not _inside(course_dir, self.courses_root):
            return f"{shown}: leads to {_real(course_dir)}, outside the course folder and the courses folder"
        file = course_dir / path
        if os.path.lexists(file) and not _inside(file, _real(course_dir)):
            return f"{shown}: leads to {_real(file)}, outside the course folder"
        return _Target(slug, path, file)

    def check_links(
        self,
        rel: str,
        text: str,
        first_line: int,
        *,
        cell: int | None = None,
        same_line: bool = False,
        into: set[str] | None = None,
        quiet: bool = False,
    ) -> None:
        """Check the links and images of Markdown (or raw HTML) in `rel`; the course files they name are kept
        (in `into`, by default the files published content uses)."""
        into = self.referenced if into is None else into

        def report(offset: int, message: str) -> None:
            if quiet:
                return
            if cell is not None:
                self.out.cell_error(rel, cell, message)
            else:
                self.out.error(rel, first_line + (0 if same_line else offset), message)

        in_fence = False
        for offset, line_text in enumerate(text.split("\n")):
            if line_text.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence:
                continue
            for match in _LINK_RE.finditer(line_text):
                raw = match.group(1) or match.group(2) or match.group(3) or ""
                target = raw.split("#")[0].split("?")[0]
                if not target or _EXTERNAL_RE.match(target):
                    continue
                found = self._locate(rel, target, link=True)
                if isinstance(found, str):
                    report(offset, found)
                elif not found.file.is_file():
                    report(offset, f"link target not found: {target}")
                elif found.slug == self.slug and link_kind(found.path) == "file":
                    if never_served(found.path):
                        report(offset, f"{target}: {_NEVER_SERVED}")
                    else:
                        into.add(found.path)

    def notebook_files(self, rel: str, nb: Any) -> list[str]:
        """The course files an exercise reads: those the learner's release version names are published; those
        only its hidden tests or solutions name are kept for grading and never served."""
        every = self._notebook_refs(rel, nb, quiet=False)
        public = self._notebook_refs(rel, release_notebook(nb, rel), quiet=True)
        self.referenced |= public
        self.private |= every - public
        return sorted(every | public)

    def _notebook_refs(self, rel: str, nb: Any, *, quiet: bool) -> set[str]:
        """Course files a notebook's code names in string literals (a file, or a data folder's files) or its
        Markdown links; a literal naming a file outside the course is an error."""
        files: set[str] = set()
        base = PurePosixPath(rel).parent
        meta = nb.metadata.get("baeum") if isinstance(nb.metadata, dict) else None
        listed = meta.get("files") if isinstance(meta, dict) else None
        for literal in listed if isinstance(listed, list) else []:  # names a cell builds at run time
            found = self._locate(rel, str(literal))
            if isinstance(found, str):
                if not quiet:
                    self.out.error(rel, 1, f"metadata baeum.files: {found}")
            elif found.file.is_file():
                if not never_served(found.path):
                    files.add(found.path)
            elif found.file.is_dir():
                files |= self._folder_files(rel, found.path)
        for number, cell in enumerate(nb.cells, start=1):
            text = cell_text(cell)
            if cell.cell_type == "markdown":
                self.check_links(rel, text, 1, cell=number, into=files, quiet=quiet)
                continue
            if cell.cell_type != "code":
                continue
            for match in _STRING_RE.finditer(text):
                literal = match.group(2).replace("\\\\", "/").replace("\\", "/")
                if "://" in literal or literal.startswith("/") or not literal.strip():
                    continue
                found = self._locate(rel, literal)
                if isinstance(found, str):
                    if not quiet and os.path.isfile(self.folder / base / literal):
                        self.out.cell_error(rel, number, found)
                    continue
                if found.file.is_file():
                    if not never_served(found.path) and found.path not in self.used:
                        files.add(found.path)
                elif found.file.is_dir() and "/" in literal.strip("/") and not _contains(found.path, base):
                    files |= self._folder_files(rel, found.path, number)
        return files

    def _folder_files(self, rel: str, folder: str, cell: int | None = None, line: int = 1) -> set[str]:
        found = set()
        for sub, _path in course_files(self.folder / folder):
            path = f"{folder.rstrip('/')}/{sub}"
            if not never_served(path) and path not in self.used:
                found.add(path)
            if len(found) > MAX_FOLDER_FILES:
                message = f"{folder}: more than {MAX_FOLDER_FILES} files"
                if cell is None:
                    self.out.error(rel, line, message)
                else:
                    self.out.cell_error(rel, cell, message)
                return set()
        return found

    def _declared_assets(self) -> set[str]:
        """The optional `assets:` list: files (or folders) kept even though no published item links them."""
        value = self.m.get("assets")
        if value is None:
            return set()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.out.error(MANIFEST, line_of(self.m, "assets"), "'assets' must be a list of paths")
            return set()
        declared: set[str] = set()
        for index, entry in enumerate(value):
            line = line_of(value, index, default=line_of(self.m, "assets"))
            if not isinstance(entry, str) or not entry.strip():
                self.out.error(MANIFEST, line, "an asset must be a path in the course folder")
                continue
            found = self._locate(MANIFEST, entry.strip())
            if isinstance(found, str):
                self.out.error(MANIFEST, line, found)
            elif never_served(found.path):
                self.out.error(MANIFEST, line, f"{entry}: {_NEVER_SERVED}")
            elif found.file.is_file():
                declared.add(found.path)
            elif found.file.is_dir() and found.path:
                declared |= self._folder_files(MANIFEST, found.path, line=line)
            else:
                self.out.error(MANIFEST, line, f"asset file not found: {entry}")
        return declared

    def _assets(self, declared: set[str]) -> dict[str, bytes]:
        """The course files stored: those published content links or reads, the declared ones (both served), and
        those only exercises' hidden tests or solutions read (kept for grading, see `private_assets`)."""
        assets: dict[str, bytes] = {}
        for rel in sorted(self.referenced | declared | self.private):
            if rel in self.used or never_served(rel):
                continue
            data = _read_limited(self.folder / rel, MAX_ASSET_BYTES)
            if data is None:
                self.out.error(rel, 1, f"file is too large (at most {MAX_ASSET_BYTES // 1024} KiB)")
                continue
            assets[rel] = data
        return assets


def resolve_relative(slug: str, base: PurePosixPath, target: str) -> tuple[str, str] | None:
    """Resolve a relative link written in `slug`'s file under `base` to (course slug, path in that course)."""
    parts: list[str] = [slug, *base.parts]
    for part in PurePosixPath(target).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    if len(parts) < 2 or not SLUG_RE.match(parts[0]):
        return None
    return parts[0], "/".join(parts[1:])


def _contains(folder: str, base: PurePosixPath) -> bool:
    """Whether the course folder `folder` is the course itself, `base` or one of its parents: a notebook naming
    its own folder or one above it is not naming data."""
    return not folder or (base.as_posix() + "/").startswith(folder.rstrip("/") + "/")
