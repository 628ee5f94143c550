"""The public catalogue: bank products and policy products anyone may browse."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalog", __name__)
