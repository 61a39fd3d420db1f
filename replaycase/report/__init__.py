"""Renderers of replay results: terminal, JSON (and later JUnit, Markdown, HTML)."""
