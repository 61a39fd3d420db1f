"""Plain functions frozen where they are looked up: the attribute on its module.

A tool ``name = "package.module:function"`` (or ``module:Class.method``) is replaced on its
module as soon as the module is imported (a ``sys.meta_path`` finder wraps the module's
loader and patches once the module ran), or at once when it was imported already. So
``import module; module.function(...)`` and ``from module import function`` run after that
import both get the frozen function. A reference taken before (another module that bound
the original while the freeze was not installed, a registry that stored the function object
at definition time, a call inside the module to a name it holds itself) keeps the original:
the import-binding caveat of docs/freeze-tools.md. Already-imported modules are patched in
``__main__`` too, wherever it holds the original.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

FrozenCall = Callable[[str, Any], Any]
SKIPPED_FIRST = ("self", "cls")


class ToolSpecError(ValueError):
    """A tool target that is not ``module:attribute``."""


def parse_target(target: str) -> tuple[str, list[str]]:
    """``"pkg.mod:Class.func"`` -> ``("pkg.mod", ["Class", "func"])``."""
    module, sep, attribute = target.partition(":")
    parts = attribute.split(".")
    if not sep or not module or not all(p.isidentifier() for p in parts) or \
            not all(p.isidentifier() for p in module.split(".")):
        raise ToolSpecError(f"{target!r}: expected module:function (e.g. shop.tools:get_order)")
    return module, parts


def call_arguments(signature: inspect.Signature | None, args: Sequence[Any],
                   kwargs: Mapping[str, Any]) -> Any:
    """The arguments of one call as the trace records them: a dict by parameter name (the
    ones given, defaults left out; ``**kwargs`` merged in; ``self``/``cls`` dropped)."""
    if signature is None:
        return {**({"args": list(args)} if args else {}), **kwargs}
    bound = signature.bind(*args, **kwargs)
    params = signature.parameters
    out: dict[str, Any] = {}
    for index, (name, value) in enumerate(bound.arguments.items()):
        kind = params[name].kind
        if index == 0 and name in SKIPPED_FIRST and kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            out[name] = list(value)
        else:
            out[name] = value
    return out


def frozen_function(name: str, original: Callable[..., Any],
                    frozen_call: FrozenCall) -> Callable[..., Any]:
    """A stand-in for ``original`` that answers from the fixtures (async if it is)."""
    try:
        signature: inspect.Signature | None = inspect.signature(original)
    except (TypeError, ValueError):
        signature = None

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def frozen_async(*args: Any, **kwargs: Any) -> Any:
            return frozen_call(name, call_arguments(signature, args, kwargs))
        stand_in: Callable[..., Any] = frozen_async
    else:
        @functools.wraps(original)
        def frozen(*args: Any, **kwargs: Any) -> Any:
            return frozen_call(name, call_arguments(signature, args, kwargs))
        stand_in = frozen
    stand_in.__replaycase_frozen__ = name  # type: ignore[attr-defined]
    return stand_in


def patch_module(module: types.ModuleType, tools: Mapping[str, list[str]],
                 frozen_call: FrozenCall) -> list[str]:
    """Replace each tool's attribute on ``module``; the names patched."""
    done = []
    for name, parts in tools.items():
        owner: Any = module
        for part in parts[:-1]:
            owner = getattr(owner, part, None)
        original = getattr(owner, parts[-1], None) if owner is not None else None
        if original is None or not callable(original):
            print(f"replaycase --freeze-tools: {module.__name__}:{'.'.join(parts)} "
                  f"(tool {name!r}) is not a function; not frozen", file=sys.stderr)
            continue
        if getattr(original, "__replaycase_frozen__", None):
            done.append(name)
            continue
        stand_in = frozen_function(name, original, frozen_call)
        if isinstance(inspect.getattr_static(owner, parts[-1], None), staticmethod):
            stand_in = staticmethod(stand_in)
        setattr(owner, parts[-1], stand_in)
        _rebind_main(original, stand_in)
        done.append(name)
    return done


def _rebind_main(original: Any, stand_in: Any) -> None:
    """``from module import function`` run in ``__main__`` before the patch: rebind it."""
    main = sys.modules.get("__main__")
    if main is None or main.__dict__ is None:
        return
    for key, value in list(vars(main).items()):
        if value is original:
            setattr(main, key, stand_in)


class _PatchingLoader(importlib.abc.Loader):
    """The module's own loader; its tools patched once it ran."""

    def __init__(self, loader: Any, after: Callable[[types.ModuleType], None]) -> None:
        self._loader = loader
        self._after = after

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._after(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, is_package, ...
        return getattr(self._loader, name)


class PatchFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a module that holds tools to freeze."""

    def __init__(self, by_module: Mapping[str, Mapping[str, list[str]]],
                 frozen_call: FrozenCall) -> None:
        self.by_module = by_module
        self.frozen_call = frozen_call
        self.patched: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        tools = self.by_module.get(fullname)
        if tools is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(
            spec.loader, lambda module: self.patched.extend(
                patch_module(module, tools, self.frozen_call)))
        return spec


def install(targets: Mapping[str, str], frozen_call: FrozenCall) -> PatchFinder:
    """Freeze the tools ``{name: "module:function"}``: those of imported modules now, the
    others when their module is imported. ToolSpecError for a malformed target."""
    by_module: dict[str, dict[str, list[str]]] = {}
    for name, target in targets.items():
        module, parts = parse_target(target)
        by_module.setdefault(module, {})[name] = parts
    finder = PatchFinder(by_module, frozen_call)
    sys.meta_path.insert(0, finder)
    for module_name, tools in by_module.items():
        loaded = sys.modules.get(module_name)
        if loaded is not None:
            finder.patched.extend(patch_module(loaded, tools, frozen_call))
    return finder
