"""A local SMTP server that keeps every message it receives as an .eml file, and sends nothing on.

`flask demo run` starts one and points the portal's mail at it, so the e-mail the portal sends
(password resets, confirmations, notifications) can be opened from `instance/mail/`; the tests
start one per test to receive over real SMTP on loopback.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _KeepInDirectory:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
            name = f"{self.count:05d}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


@dataclass
class MailSink:
    """An SMTP server on 127.0.0.1 that writes what it receives to `directory`."""

    directory: Path
    port: int = 0
    _controller: Controller | None = None

    def start(self) -> MailSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        handler = _KeepInDirectory(self.directory)
        handler.count = len(list(self.directory.glob("*.eml")))
        self._controller = Controller(handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def config(self) -> dict[str, object]:
        """The portal's mail settings for this sink: plain SMTP on loopback, no login."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_SECURITY": "none"}

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in sorted(self.directory.glob("*.eml"))
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
