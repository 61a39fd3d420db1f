"""Fake runner: write MEGABYTES of output in 1 MB chunks to STREAM (stdout or stderr)."""

import sys

stream = sys.stdout if sys.argv[1] == "stdout" else sys.stderr
chunk = b"x" * 1023 + b"\n"
block = chunk * 1024
for _ in range(int(sys.argv[2])):
    stream.buffer.write(block)
stream.buffer.flush()
