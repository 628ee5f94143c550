"""Translation helpers for rule messages, usable with or without a Flask app context."""

from portal.words import N_, render

__all__ = ["N_", "render"]
