"""The case folder: ReplayCase, load, dump, discover; lint and the JSON Schema beside (DESIGN 3).

case.yaml is written by people, so it is read strictly: unknown keys are errors and every
error names the line. YAML is read with a safe loader that also refuses aliases (no alias
bombs), duplicate keys and non-standard tags.
"""

from .discover import discover_cases
from .dump import dump_case_yaml
from .load import load_case
from .models import (
    CASE_FILE,
    CASE_FORMAT,
    FIXTURES,
    NOTES,
    SOURCE_TRACE,
    CaseSource,
    CaseSpec,
    ModelTapeSettings,
    ReplayCase,
    RunnerDefaults,
    Scenario,
)

__all__ = ["CASE_FILE", "CASE_FORMAT", "FIXTURES", "NOTES", "SOURCE_TRACE", "CaseSource",
           "CaseSpec", "ModelTapeSettings", "ReplayCase", "RunnerDefaults", "Scenario",
           "discover_cases", "dump_case_yaml", "load_case"]
