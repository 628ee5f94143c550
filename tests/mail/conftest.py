"""A real SMTP server on loopback for each test that sends mail, and the portal pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from demo.mail_sink import MailSink


@pytest.fixture
def sink(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail").start()
    for key, value in server.config.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def send_outbox(app: Flask, **kwargs: object) -> int:
    """Run the scheduler's mail job once, as the scheduler would."""
    from portal.mail.sender import send_due

    with app.app_context():
        return send_due(**kwargs)  # type: ignore[arg-type]
