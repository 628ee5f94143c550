"""Government staff draft, publish, edit and close their agency's policy products."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("gov_policies", __name__, url_prefix="/gov/policies")
