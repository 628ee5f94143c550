"""The monthly supervision report archive: every edition as issued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.enums import ReportEdition, db_enum


class MonthlyReport(Base):
    """One edition of a monthly supervision report (PDF), archived as issued.

    Editions of a month and scope are numbered 1, 2, … and never replaced: a provisional
    edition (made before the reporting deadline) says so on every page, the final edition is
    made after the deadline, and a later report or correction to the month makes a revised one.
    """

    __tablename__ = "monthly_reports"
    __table_args__ = (
        UniqueConstraint("period", "scope", "version", name="uq_monthly_reports_period_scope_v"),
        Index("ix_monthly_reports_period_scope", "period", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date]
    # "province", "region:350100" or "bank:12"
    scope: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    edition: Mapped[ReportEdition] = mapped_column(
        db_enum(ReportEdition, "report_edition"), default=ReportEdition.FINAL
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    # The same edition in English, rendered from the same figures; NULL for editions made
    # before reports were issued in English (migration 0027).
    pdf_en: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256_en: Mapped[str | None] = mapped_column(String(64))
    generated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The month's key figures as printed ({name: text}) and the reporting coverage behind them
    # ({"due", "reported", "banks": [[id, name, due, reported], …]}): what a later edition is
    # compared with, and what the archive shows.
    figures: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    coverage: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # What changed from the edition before ([{"figure", "before", "after"}, …]).
    changes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # When this edition's figures were last compared with the data (a revision check).
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
