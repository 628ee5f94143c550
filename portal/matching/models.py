"""The matcher's stored results: one row per need and product, with its explanation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, Rate, utcnow


class MatchResult(Base):
    __tablename__ = "match_results"
    __table_args__ = (UniqueConstraint("need_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("bank_products.id"), index=True)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("rule_versions.id"))
    eligible: Mapped[bool]
    instant_approved: Mapped[bool] = mapped_column(default=False)
    pre_approval_ref: Mapped[str | None] = mapped_column(String(32), unique=True)
    limit_amount: Mapped[Decimal | None]
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    adjusted_rate: Mapped[Decimal | None] = mapped_column(Rate)
    # Rate after the best interest subsidy plus the guarantee fee after its subsidy (% a year).
    annual_cost: Mapped[Decimal | None] = mapped_column(Rate)
    rank: Mapped[int | None]
    # The guarantee product the matcher paired with the product, when the need offers a
    # guarantee institution's guarantee; its fee is in annual_cost.
    guarantee_product_id: Mapped[int | None] = mapped_column(ForeignKey("guarantee_products.id"))
    # Failed clauses, applied policies and hints, as rendered for the firm at match time.
    explanation: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
