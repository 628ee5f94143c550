"""The firm's financing needs: submit, see matches, apply, compare offers, withdraw."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/firm/needs")
