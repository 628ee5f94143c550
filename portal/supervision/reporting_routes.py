"""Banks report each loan's monthly status: a form per loan, or a CSV/XLSX upload."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("loan_reports", __name__, url_prefix="/bank/loan-reports")
