"""Fake runner: die on an uncaught exception (exit 1, traceback on stderr)."""


def run() -> None:
    raise RuntimeError("boom from the fake runner")


run()
