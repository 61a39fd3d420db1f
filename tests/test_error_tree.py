"""The exception tree of replaycase.errors is the whole truth: every ``ReplaycaseError``
subclass of the package is drawn in its docstring, and only the leaves are ever raised."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import replaycase
from replaycase import errors
from replaycase.errors import ReplaycaseError

PACKAGE = Path(replaycase.__file__).resolve().parent


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _all_error_classes() -> dict[str, type]:
    for module in pkgutil.walk_packages(replaycase.__path__, "replaycase."):
        if module.name != "replaycase.__main__":
            importlib.import_module(module.name)
    classes = {cls.__name__: cls for cls in _subclasses(ReplaycaseError)
               if cls.__module__.startswith("replaycase.")}
    return {"ReplaycaseError": ReplaycaseError, **classes}


def _drawn() -> dict[str, str]:
    """Each class of the drawn tree, by name, with the name of its parent."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^(\s*(?:[│ ]\s*)*(?:[├└]── )?)([A-Z]\w+)\s{2,}", line)
        if match is None:
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else ""
        stack.append((depth, name))
    return parents


def _raised_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                names.append((node.lineno, target.id))
            elif isinstance(target, ast.Attribute):
                names.append((node.lineno, target.attr))
    return names


def test_every_error_class_is_drawn_under_its_parent() -> None:
    classes, drawn = _all_error_classes(), _drawn()
    assert set(drawn) == set(classes), "errors.py's tree and the package's classes differ"
    for name, cls in classes.items():
        if cls is not ReplaycaseError:
            assert drawn[name] == cls.__bases__[0].__name__, name


def test_only_leaves_are_raised() -> None:
    classes = _all_error_classes()
    inner = {name for name, cls in classes.items() if cls.__subclasses__()}
    assert {"ReplaycaseError", "InputError", "RunnerHelperError"} <= inner
    offenders = [f"{path.relative_to(PACKAGE)}:{line}: raise {name}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for line, name in _raised_names(ast.parse(path.read_text(encoding="utf-8")))
                 if name in inner]
    assert offenders == []


def test_the_scan_sees_a_planted_raise_of_an_inner_class() -> None:
    planted = ast.parse("def f():\n    raise InputError(None, 'x')\n"
                        "def g():\n    raise errors.ReplaycaseError('y')\n")
    assert _raised_names(planted) == [(2, "InputError"), (4, "ReplaycaseError")]
