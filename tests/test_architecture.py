"""The arrows point one way (SPEC §5, STYLE.md): checked on the source, so a wrong import fails here first."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def imported_names(path: Path) -> list[tuple[str, int, bool]]:
    """(module, line, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {name}"
            for path in modules(package) for name, line, _ in imported_names(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


@pytest.mark.parametrize("package, forbidden", [
    ("search", ("portal", "reviewers", "flask", "flask_sqlalchemy")),
    ("reviewers/engine", ("portal", "reviewers.models", "reviewers.services", "reviewers.views", "flask", "sqlalchemy",
                          "flask_sqlalchemy")),
])
def test_libraries_import_nothing_of_the_app(package, forbidden):
    assert offending(package, forbidden) == []


def test_the_core_never_imports_features():
    """Only the app factory (portal/__init__.py) may know the feature packages."""
    problems = [p for p in offending("portal", ("reviewers",)) if not p.startswith("portal/__init__.py")]
    assert problems == []


def test_no_imports_inside_functions_in_the_app():
    """A function-level import hides a cycle; a cycle means a piece is in the wrong room."""
    problems = [f"{path.relative_to(ROOT)}:{line} imports {name} inside a function"
                for package in ("portal", "reviewers", "search") for path in modules(package)
                for name, line, inside in imported_names(path) if inside]
    assert problems == []
