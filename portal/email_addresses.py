"""Which e-mail addresses the portal's forms accept.

Every form checks addresses with email-validator (through WTForms' `Email`), which refuses the
special-use domains of RFC 6761 — among them `.local`, which no mail server on the internet
delivers to. The demo and development servers deliver to their own SMTP sink, and every demo
account lives under `demo.local`, so there (and only there) `.local` is let through.
"""

from __future__ import annotations

import email_validator
from flask import Flask

LOCAL_DOMAIN = "local"


def configure(app: Flask) -> None:
    """Accept `.local` addresses when the configuration says so (development and tests)."""
    if app.config.get("EMAIL_ALLOW_LOCAL_DOMAIN") and (
        LOCAL_DOMAIN in email_validator.SPECIAL_USE_DOMAIN_NAMES
    ):
        # A process-wide list: the development server and the test runs hold one portal each.
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(LOCAL_DOMAIN)
