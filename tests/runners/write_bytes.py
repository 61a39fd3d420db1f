"""Fake runner: write exactly N bytes to stdout and exit 0."""

import sys

sys.stdout.buffer.write(b"y" * int(sys.argv[1]))
