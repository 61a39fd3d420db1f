"""Run a patch right after a module is imported, or at once when it already is.

A ``sys.meta_path`` finder asks the finders after it for the spec of a watched module only, and
wraps that spec's loader so ``exec_module`` runs the patch once the module's code has run. Any
other import costs one dictionary lookup.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

Patch = Callable[[ModuleType], None]


class _PatchingLoader(importlib.abc.Loader):
    """Delegates to the real loader, then applies the module's patches."""

    def __init__(self, loader: Any, patches: list[Patch]) -> None:
        self._loader = loader
        self._patches = patches

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        if module.__spec__ is not None:  # the module keeps its own loader, not this proxy
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        for patch in self._patches:
            _apply(patch, module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a watched module found by the next finders."""

    def __init__(self) -> None:
        self.patches: dict[str, list[Patch]] = {}
        self._busy = threading.local()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        patches = self.patches.get(fullname)
        if not patches or getattr(self._busy, "name", None) == fullname:
            return None
        self._busy.name = fullname
        try:
            spec = _find_after(self, fullname, path, target)
        finally:
            self._busy.name = None
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        del self.patches[fullname]
        spec.loader = _PatchingLoader(spec.loader, patches)
        return spec


def _find_after(
    me: object, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> importlib.machinery.ModuleSpec | None:
    finders = list(sys.meta_path)
    for finder in finders[finders.index(me) + 1 :] if me in finders else finders:
        find = getattr(finder, "find_spec", None)
        spec = find(fullname, path, target) if find is not None else None
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


_FINDER = _PostImportFinder()

FAILURES: list[str] = []
"""One line per patch that raised (a framework version the hook does not know): the module still
imports, its tools are not frozen, and the line is printed to stderr for the evidence."""


def _apply(patch: Patch, module: ModuleType) -> None:
    try:
        patch(module)
    except Exception as error:
        line = f"replaycase: could not freeze the tools of {module.__name__}: {error!r}"
        FAILURES.append(line)
        print(line, file=sys.stderr)


def when_imported(module_name: str, patch: Patch) -> None:
    """Apply ``patch`` to ``module_name`` now if it is imported, else right after its import."""
    module = sys.modules.get(module_name)
    if module is not None:
        _apply(patch, module)
        return
    _FINDER.patches.setdefault(module_name, []).append(patch)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
