"""In-portal notifications (deadlines, decisions, reminders)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal import messages
from portal.db import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The title and body in Chinese, as written (search, exports, rows from before messages);
    # what a reader sees is the stored message rendered in their language (portal/messages.py).
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    title_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    body_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(255))
    # Jobs that may run twice use this key so a reminder is sent once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[dt.datetime | None]

    @property
    def shown_title(self) -> str:
        """The title in the reader's language."""
        return messages.render(self.title_message) if self.title_message else self.title

    @property
    def shown_body(self) -> str:
        """The body in the reader's language."""
        return messages.render(self.body_message) if self.body_message else self.body
