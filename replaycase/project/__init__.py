"""The project: its ``[tool.replaycase]`` configuration (``config``) and ``replaycase init``."""
