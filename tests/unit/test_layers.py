"""The layers as drawn (README, "Design"): read every module's imports (ast, without importing anything) and fail on
an arrow from the Flask-free libraries up to the database or the web, or on an import loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lms"
# Flask-free, database-free libraries: what they may import of the platform, and what of outside they may not.
LIBRARIES = ("lms.content", "lms.grading")
FORBIDDEN_OUTSIDE = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "sqlalchemy")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if "migrations" not in path.parts}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> set[str]:
    """Everything `name` imports when it runs (imports under `if TYPE_CHECKING:` are for the type checker only)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    # `from . import exercise` names a module; `from .spec import ItemSpec` names its module.
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_libraries_import_neither_the_database_nor_the_web(library):
    wrong = []
    for name, imported in GRAPH.items():
        if not _within(name, library):
            continue
        for target in sorted(imported):
            platform_outside = _within(target, "lms") and not any(_within(target, lib) for lib in LIBRARIES)
            if platform_outside or any(_within(target, lib) for lib in FORBIDDEN_OUTSIDE):
                wrong.append(f"{name} -> {target}")
    assert wrong == [], "a Flask-free library imports the platform above it or Flask/SQLAlchemy"


def _area(name: str) -> str:
    """The part of the platform a module belongs to: `lms.content`, `lms.services`, `lms.models`..."""
    return ".".join(name.split(".")[:2])


def _loops(graph: dict[str, set[str]]) -> list[str]:
    loops = set()

    def walk(name: str, trail: list[str], done: set[str]) -> None:
        if name in trail:
            loop = trail[trail.index(name) :]
            start = loop.index(min(loop))
            loops.add(" -> ".join(loop[start:] + loop[:start] + [min(loop)]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            walk(target, [*trail, name], done)
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        walk(name, [], done)
    return sorted(loops)


def test_no_import_loop_between_modules():
    """A module never needs itself back through the modules it imports."""
    graph = {name: {t for t in targets if t in MODULES and t != name} for name, targets in GRAPH.items()}
    assert _loops(graph) == []


def test_no_import_loop_between_areas():
    """Nor does a part of the platform (a package or a top module of `lms`) need itself back through another."""
    graph: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        graph.setdefault(_area(name), set()).update(
            _area(t) for t in targets if t in MODULES and _area(t) != _area(name)
        )
    assert _loops(graph) == []


def test_the_walk_sees_the_arrows():
    """The checks above read real imports: the import service stores through the models and the kinds."""
    assert {"lms.models", "lms.content.kinds", "lms.search.index"} <= GRAPH["lms.services.courses"]
    assert "lms.content.kinds.base" in GRAPH["lms.content.kinds"]


# The blueprints: they parse input, call services and render; every query lives in `lms/services/`.
VIEWS = ("lms.main", "lms.auth", "lms.catalog", "lms.learn", "lms.dashboard", "lms.teach", "lms.admin", "lms.author")
QUERYING = {"execute", "scalar", "scalars", "get", "query"}


def _queries(path: Path) -> list[str]:
    """Calls of `<...>.session.<execute|scalar|scalars|get|query>` in a module, as `line: call`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERYING
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: session.{node.func.attr}")
    return found


def test_views_build_no_sql():
    views = {name: path for name, path in MODULES.items() if any(_within(name, v) for v in VIEWS)}
    imports = [f"{name} -> {t}" for name in views for t in sorted(GRAPH[name]) if _within(t, "sqlalchemy")]
    calls = [call for path in views.values() for call in _queries(path)]
    assert imports == [] and calls == [], "a view imports SQLAlchemy or queries the session: move it to a service"


def test_the_query_check_sees_queries():
    assert _queries(PACKAGE / "tasks" / "cli.py")  # its grade command finds the exercise with db.session.scalar
