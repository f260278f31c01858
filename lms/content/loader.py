"""Read and validate course folders into `CourseSpec`s, reporting problems as `file:line: message`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..grading.notebook import cell_text, read_notebook, validate_notebook
from .spec import (
    AUDIENCES,
    INDUSTRIES,
    ITEM_KINDS,
    LANGUAGES,
    LEVELS,
    QUESTION_TYPES,
    TRACKS,
    CompletionRule,
    CourseSpec,
    ItemSpec,
    ModuleSpec,
    Option,
    Problem,
    Question,
)
from .yamlio import LineDict, YamlError, line_of, load_yaml

# Bump when the way content is stored or rendered changes, so unchanged folders are imported again.
FORMAT_VERSION = "1"
MANIFEST = "course.yml"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_ASSET_BYTES = 5 * 1024 * 1024
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", "tools"}
# Markdown links and images, and src/href attributes of raw HTML.
_LINK_RE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:src|href)=\"([^\"]+)\"")
_EXTERNAL_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#|/)")


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


def course_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file of a course folder as (posix relative path, path), hidden and tool files left out."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") or part in _IGNORED_PARTS for part in rel.parts):
            continue
        yield rel.as_posix(), path


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for rel, path in course_files(folder):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_course(folder: Path, label: str | None = None) -> LoadResult:
    """Read one course folder; `label` is how files are named in problems (default: the folder name)."""
    slug = folder.name
    out = _Collector(label or slug)
    if not SLUG_RE.match(slug):
        out.error(MANIFEST, 1, f"the folder name {slug!r} is not a valid slug (a-z, 0-9 and '-')")
        return LoadResult(slug, None, out.problems)
    try:
        manifest = load_yaml((folder / MANIFEST).read_text(encoding="utf-8"))
    except (YamlError, UnicodeDecodeError) as exc:
        out.error(MANIFEST, getattr(exc, "line", 1), getattr(exc, "message", str(exc)))
        return LoadResult(slug, None, out.problems)
    if not isinstance(manifest, LineDict):
        out.error(MANIFEST, 1, "the manifest must be a mapping of keys to values")
        return LoadResult(slug, None, out.problems)

    reader = _CourseReader(folder, slug, manifest, out)
    course = reader.read()
    if any(p.severity == "error" for p in out.problems):
        return LoadResult(slug, None, out.problems)
    return LoadResult(slug, course, out.problems)


def load_courses(root: Path) -> list[LoadResult]:
    """Read every course folder under `root`."""
    return [load_course(folder) for folder in find_course_dirs(root)]


class _CourseReader:
    def __init__(self, folder: Path, slug: str, manifest: LineDict, out: _Collector) -> None:
        self.folder = folder
        self.slug = slug
        self.m = manifest
        self.out = out

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
        used: set[str] = {MANIFEST}
        if overview:
            rel = str(overview)
            path = self.folder / rel
            if not path.is_file():
                self.out.error(MANIFEST, line_of(self.m, "overview"), f"overview file not found: {rel}")
            else:
                used.add(rel)
                course.overview = self._read_text(rel) or ""
                self._check_links(rel, course.overview, 1)
        course.modules = self._outline(used)
        course.assets = self._assets(used)
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
    def _outline(self, used: set[str]) -> list[ModuleSpec]:
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
                used.add(item.path)
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
        kind = ITEM_KINDS.get(PurePosixPath(rel).suffix.lower())
        if kind is None:
            self.out.error(MANIFEST, line, f"{rel}: unknown item type (use .md, .yml or .ipynb)")
            return None
        if not (self.folder / rel).is_file():
            self.out.error(MANIFEST, line, f"item file not found: {rel}")
            return None
        slug = PurePosixPath(rel).stem
        if not SLUG_RE.match(slug.lower()) or slug != slug.lower():
            self.out.error(MANIFEST, line, f"{rel}: file names must be lowercase a-z, 0-9 and '-'")
            return None
        reader = {"lesson": self._lesson, "quiz": self._quiz, "exercise": self._exercise}[kind]
        item = reader(rel, slug)
        if item is None:
            return None
        if "title" in overrides:
            item.title = str(overrides["title"])
        if "minutes" in overrides:
            item.minutes = self._minutes(overrides["minutes"], MANIFEST, line)
        if "required" in overrides:
            item.required = bool(overrides["required"])
        if not item.title:
            self.out.error(rel, 1, "a title is required")
        return item

    def _minutes(self, value: Any, rel: str, line: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.out.error(rel, line, "'minutes' must be a positive number")
            return 0
        return int(value)

    def _read_text(self, rel: str) -> str | None:
        try:
            return (self.folder / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.out.error(rel, 1, f"not UTF-8 text ({exc.reason})")
            return None

    def _lesson(self, rel: str, slug: str) -> ItemSpec | None:
        text = self._read_text(rel)
        if text is None:
            return None
        meta, body, body_line = self._front_matter(rel, text)
        if meta is None:
            return None
        item = ItemSpec(
            slug=slug,
            kind="lesson",
            path=rel,
            title=str(meta.get("title") or "").strip(),
            minutes=self._minutes(meta.get("minutes"), rel, line_of(meta, "minutes", 1)),
            required=bool(meta.get("required", True)),
            body=body,
            objectives=[str(o) for o in (meta.get("objectives") or [])],
            tags=[str(t) for t in (meta.get("tags") or [])],
        )
        self._check_links(rel, body, body_line)
        return item

    def _front_matter(self, rel: str, text: str) -> tuple[LineDict | None, str, int]:
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

    def _quiz(self, rel: str, slug: str) -> ItemSpec | None:
        text = self._read_text(rel)
        if text is None:
            return None
        try:
            data = load_yaml(text)
        except YamlError as exc:
            self.out.error(rel, exc.line, exc.message)
            return None
        if not isinstance(data, LineDict):
            self.out.error(rel, 1, "a quiz must be a mapping with 'title', 'minutes' and 'questions'")
            return None
        item = ItemSpec(
            slug=slug,
            kind="quiz",
            path=rel,
            title=str(data.get("title") or "").strip(),
            minutes=self._minutes(data.get("minutes"), rel, line_of(data, "minutes")),
            required=bool(data.get("required", True)),
            pass_score=int(data.get("pass_score", 60)),
        )
        questions = data.get("questions")
        if not isinstance(questions, list) or not questions:
            self.out.error(rel, line_of(data, "questions"), "a quiz needs at least one question")
            return item
        ids: set[str] = set()
        for n, raw in enumerate(questions, start=1):
            question = self._question(rel, raw, n, line_of(questions, n - 1))
            if question is None:
                continue
            if question.id in ids:
                self.out.error(rel, line_of(raw), f"duplicate question id {question.id!r}")
            ids.add(question.id)
            item.questions.append(question)
        return item

    def _question(self, rel: str, raw: Any, n: int, line: int) -> Question | None:
        if not isinstance(raw, dict):
            self.out.error(rel, line, f"question {n} must be a mapping")
            return None
        line = line_of(raw, default=line)
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            self.out.error(rel, line_of(raw, "type", line), f"question {n}: 'type' must be single, multiple or short")
            return None
        prompt = str(raw.get("prompt") or "").strip()
        if not prompt:
            self.out.error(rel, line, f"question {n}: 'prompt' is required")
        points = raw.get("points", 1)
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            self.out.error(rel, line_of(raw, "points", line), f"question {n}: 'points' must be a positive number")
            points = 1
        question = Question(
            id=str(raw.get("id") or f"q{n}"),
            type=qtype,
            prompt=prompt,
            explanation=str(raw.get("explanation") or "").strip(),
            points=float(points),
        )
        self._check_links(rel, prompt, line)
        if qtype == "short":
            answers = raw.get("answers")
            if isinstance(answers, str | int | float):
                answers = [answers]
            if not isinstance(answers, list) or not [a for a in answers if str(a).strip()]:
                self.out.error(rel, line_of(raw, "answers", line), f"question {n}: a short question needs 'answers'")
            else:
                question.answers = [str(a).strip() for a in answers if str(a).strip()]
        else:
            options = raw.get("options")
            if not isinstance(options, list) or len(options) < 2:
                self.out.error(rel, line_of(raw, "options", line), f"question {n}: needs two or more 'options'")
                return question
            for index, opt in enumerate(options):
                if isinstance(opt, dict) and str(opt.get("text", "")).strip():
                    question.options.append(Option(str(opt["text"]).strip(), opt.get("correct") is True))
                else:
                    self.out.error(rel, line_of(options, index), f"question {n}: an option needs 'text'")
            correct = sum(o.correct for o in question.options)
            if qtype == "single" and correct != 1:
                self.out.error(
                    rel,
                    line_of(raw, "options", line),
                    f"question {n}: a single-answer question needs exactly one correct option (found {correct})",
                )
            if qtype == "multiple" and correct < 1:
                self.out.error(rel, line_of(raw, "options", line), f"question {n}: mark at least one option correct")
        if not question.explanation:
            self.out.warn(rel, line, f"question {n}: no 'explanation' to show after submission")
        return question

    def _exercise(self, rel: str, slug: str) -> ItemSpec | None:
        raw = (self.folder / rel).read_bytes()
        problems = validate_notebook(raw, rel)
        for problem in problems:
            self.out.cell_error(rel, problem.cell, problem.message)
        if problems:
            return None
        nb = read_notebook(raw, rel)
        from_meta = (nb.metadata.get("baeum") or {}) if isinstance(nb.metadata, dict) else {}
        title = str(from_meta.get("title") or _first_heading(nb) or "")
        minutes = from_meta.get("minutes", 30)
        return ItemSpec(
            slug=slug,
            kind="exercise",
            path=rel,
            title=title,
            minutes=self._minutes(minutes, rel, 1),
            notebook=json.loads(json.dumps(nb)),
        )

    # -- links and assets ------------------------------------------------------------------------
    def _check_links(self, rel: str, text: str, first_line: int) -> None:
        in_fence = False
        base = PurePosixPath(rel).parent
        courses_root = self.folder.parent
        for offset, line_text in enumerate(text.split("\n")):
            if line_text.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence:
                continue
            for match in _LINK_RE.finditer(line_text):
                target = (match.group(1) or match.group(2) or "").split("#")[0].split("?")[0]
                if not target or _EXTERNAL_RE.match(target):
                    continue
                resolved = resolve_relative(self.slug, base, target)
                ok = resolved is not None and (courses_root / resolved[0] / resolved[1]).is_file()
                if not ok:
                    self.out.error(rel, first_line + offset, f"link target not found: {target}")

    def _assets(self, used: set[str]) -> dict[str, bytes]:
        assets: dict[str, bytes] = {}
        for rel, path in course_files(self.folder):
            if rel in used or rel.endswith(".ipynb"):
                continue
            size = path.stat().st_size
            if size > MAX_ASSET_BYTES:
                self.out.error(rel, 1, f"file is too large ({size // 1024} KiB; at most {MAX_ASSET_BYTES // 1024} KiB)")
                continue
            assets[rel] = path.read_bytes()
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


def _first_heading(nb: Any) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell_text(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None
