"""The archive of monthly PDF reports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("monthly_reports", __name__, url_prefix="/reports")
