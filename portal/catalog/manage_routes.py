"""Bank admins manage their institution's loan products and rules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("products", __name__, url_prefix="/bank/products")
