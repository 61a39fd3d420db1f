"""Fake runner: print a line on each stream and exit with the code given as argument."""

import sys

print("about to exit")
print("failing on purpose", file=sys.stderr)
sys.exit(int(sys.argv[1]))
