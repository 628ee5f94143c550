"""The audit log: append-only record of state changes and views of firm data.

Migration 0006 adds database triggers that refuse UPDATE and DELETE on this table (and TRUNCATE
on PostgreSQL): rows are only ever inserted. In production the application's database role may
only SELECT and INSERT here (`flask --app wsgi db grant-app-role`), so it cannot lift them; and
each entry is chained to the one before by a hash (migration 0009, portal/audit/chain.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    # The admin search filters on these too (actor, action, firm and time have their own).
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_remote_addr", "remote_addr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(24))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The firm whose data this concerns, so a firm can list who viewed its profile.
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # The hash chain (portal/audit/chain.py, filled in at commit): the previous entry's hash, and
    # SHA-256 over this entry's fields and prev_hash. Unique: no two entries follow the same one.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
