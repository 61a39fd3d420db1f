"""Candidate runner: the fixed support agent (1.4.0), the one every case should pass with.

    replaycase replay examples/runner-api/cases/ --runner-cmd "python runners/fixed.py"
"""

from __future__ import annotations

import sys

from _candidate import main
from support_agent import FIXED

if __name__ == "__main__":
    sys.exit(main(FIXED, "runners/fixed.py"))
