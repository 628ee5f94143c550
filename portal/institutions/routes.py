"""Bank onboarding (准入): institutions apply, government staff decide."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("institutions", __name__)
