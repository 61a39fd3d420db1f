"""replaycase's sitecustomize: first on a replayed Python runner's PYTHONPATH.

Active only when replaycase asked (``REPLAYCASE_FREEZE_TOOLS=1`` or ``REPLAYCASE_OFFLINE=1``);
then it freezes the tools and refuses the network (``replaycase.freeze.activate``). In every
case it then runs the ``sitecustomize`` that would have run without it (the next one on
``sys.path``), so a user's own keeps working. Child processes inherit it via PYTHONPATH.
"""

import os
import sys


def _activate() -> None:
    if os.environ.get("REPLAYCASE_FREEZE_TOOLS") != "1" and \
            os.environ.get("REPLAYCASE_OFFLINE") != "1":
        return
    try:
        import replaycase.freeze.activate as activate
    except ImportError:  # the runner's Python lacks replaycase: use replay's copy
        home = os.environ.get("REPLAYCASE_FREEZE_HOME")
        if not home:
            raise
        sys.modules.pop("replaycase", None)
        sys.path.append(home)
        import replaycase.freeze.activate as activate
    activate.activate()


def _chain() -> None:
    """Import the sitecustomize this one hides (if any), with this folder off the path."""
    import importlib

    here = os.path.dirname(os.path.abspath(__file__))
    ours = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        importlib.import_module("sitecustomize")
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
    finally:
        sys.path[:] = saved
        if ours is not None:
            sys.modules.setdefault("sitecustomize", ours)


try:
    _activate()
except Exception as _exc:  # never stop the runner from starting: replay reports it
    print(f"replaycase: the freeze could not be loaded: {type(_exc).__name__}: {_exc}",
          file=sys.stderr)
_chain()
