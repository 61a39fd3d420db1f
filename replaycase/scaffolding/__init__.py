"""Scaffold: a failed trace becomes a committed case folder."""
