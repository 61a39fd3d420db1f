"""Candidate runner: the buggy support agent (1.3.0, as production ran it); reproduces failures.

    replaycase replay examples/runner-api/cases/ --runner-cmd "python runners/buggy.py"
"""

from __future__ import annotations

import sys

from _candidate import main
from support_agent import BUGGY

if __name__ == "__main__":
    sys.exit(main(BUGGY, "runners/buggy.py"))
