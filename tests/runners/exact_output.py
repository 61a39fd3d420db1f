"""Fake runner: write known bytes (not all UTF-8, no final newline) to both streams, exit 0."""

import sys

for i in range(2000):
    sys.stdout.buffer.write(b"out %d \x00\xff\xfe caf\xc3\xa9\n" % i)
    sys.stderr.buffer.write(b"err %d\n" % i)
sys.stdout.buffer.write(b"no newline at the end")
