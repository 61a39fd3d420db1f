"""replaycase: turn a failed agent run into a regression case, and replay candidates on it."""

__version__ = "0.1.0"
