"""Two runs compared (``replaycase diff``): first divergence, tool calls, metrics, outputs.

``runs`` loads and compares the runs, ``divergence`` finds where their events part,
``models`` is the document it all fills in, ``prices`` the cost of a run.
"""

from .divergence import compared_events as compared_events
from .divergence import event_key as event_key
from .divergence import first_divergence as first_divergence
from .divergence import plan_comparison as plan_comparison
from .models import RunDiff as RunDiff
from .models import RunSide as RunSide
from .runs import diff_outputs as diff_outputs
from .runs import diff_runs as diff_runs
from .runs import diff_tool_calls as diff_tool_calls
from .runs import load_run as load_run
from .structured import parse_structured as parse_structured

__all__ = [
    "RunDiff",
    "RunSide",
    "compared_events",
    "diff_outputs",
    "diff_runs",
    "diff_tool_calls",
    "event_key",
    "first_divergence",
    "load_run",
    "parse_structured",
    "plan_comparison",
]
