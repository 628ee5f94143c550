"""The bank's lead inbox."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("leads", __name__, url_prefix="/bank/leads")
