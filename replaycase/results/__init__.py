"""ReplayResult and what works on result files: the models here, ``compare`` and ``merge``.

``from replaycase.results import ReplayResult`` is the public import; the models live in
``_models`` so that ``compare`` and ``merge`` (which read and write files) load only when a
command needs them.
"""

from ._models import READABLE_FORMATS as READABLE_FORMATS
from ._models import RESULTS_FORMAT as RESULTS_FORMAT
from ._models import VERDICTS as VERDICTS
from ._models import DivergencePoint as DivergencePoint
from ._models import Expect as Expect
from ._models import InvalidCase as InvalidCase
from ._models import Outcome as Outcome
from ._models import OutcomeKind as OutcomeKind
from ._models import RepeatRun as RepeatRun
from ._models import ReplayResult as ReplayResult
from ._models import ResultsDocument as ResultsDocument
from ._models import RunnerInfo as RunnerInfo
from ._models import Summary as Summary
from ._models import Verdict as Verdict
from ._models import summarize as summarize

__all__ = [
    "READABLE_FORMATS",
    "RESULTS_FORMAT",
    "VERDICTS",
    "DivergencePoint",
    "Expect",
    "InvalidCase",
    "Outcome",
    "OutcomeKind",
    "RepeatRun",
    "ReplayResult",
    "ResultsDocument",
    "RunnerInfo",
    "Summary",
    "Verdict",
    "summarize",
]
