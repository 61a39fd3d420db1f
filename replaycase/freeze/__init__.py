"""Freezing an unmodified agent's tools: answer each call from the case's recording (DESIGN 8)."""
