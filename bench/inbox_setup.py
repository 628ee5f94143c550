"""Give one bank 5,000 open leads on the province database, for the lead inbox benchmark.

The province seed leaves each bank a few open leads at most. This adds new needs from
province firms, each routed to the bank as an open lead with a deadline two business days
after it arrived, the way `portal.leads.services` writes them (ORM objects, so the models'
defaults apply). It tops up to the count, so running it again adds nothing; the needs it adds
carry idempotency keys starting with `bench-inbox-`.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.db import utcnow
from portal.enums import GuaranteeType, LeadOrigin, LeadStatus, NeedStatus, ProductStatus, Role
from portal.extensions import db
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed
from portal.workdays import add_business_days

KEY_PREFIX = "bench-inbox-"


def busiest_bank() -> int:
    """The bank with the most leads: the inbox that grows largest."""
    return db.session.scalar(
        select(Lead.institution_id)
        .where(Lead.institution_id.is_not(None))
        .group_by(Lead.institution_id)
        .order_by(func.count().desc(), Lead.institution_id)
        .limit(1)
    )


def officer_email(bank_id: int) -> str:
    """The first officer account of the bank."""
    return db.session.scalar(
        select(User.email)
        .where(User.role == Role.BANK_OFFICER, User.institution_id == bank_id)
        .order_by(User.id)
        .limit(1)
    )


def ensure_open_leads(bank_id: int, count: int, seed: int = 2026) -> int:
    """Top the bank's open leads up to `count`; returns how many were added."""
    have = db.session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.institution_id == bank_id, Lead.status == LeadStatus.OPEN)
    )
    missing = count - (have or 0)
    if missing <= 0:
        return 0
    rng = random.Random(seed + (have or 0))  # noqa: S311 - sample data, not secrets
    products = db.session.scalars(
        select(BankProduct.id).where(
            BankProduct.institution_id == bank_id, BankProduct.status == ProductStatus.PUBLISHED
        )
    ).all()
    firms = db.session.execute(
        select(User.firm_id, User.id).where(User.role == Role.SME).order_by(User.id)
    ).all()
    already = db.session.scalar(
        select(func.count())
        .select_from(FinancingNeed)
        .where(FinancingNeed.idempotency_key.like(f"{KEY_PREFIX}%"))
    )
    now = utcnow()
    for n in range(missing):
        firm_id, user_id = rng.choice(firms)
        arrived = now - dt.timedelta(minutes=rng.randint(0, 36 * 60))
        need = FinancingNeed(
            firm_id=firm_id,
            submitted_by_id=user_id,
            amount=Decimal(rng.choice((50, 100, 200, 300, 500))) * 10_000,
            term_months=rng.choice((6, 12, 24, 36)),
            purpose="采购原材料",
            guarantee_type=rng.choice(list(GuaranteeType)),
            consent_at=arrived,
            consent_scope="routed_banks_profile",
            status=NeedStatus.ROUTED,
            idempotency_key=f"{KEY_PREFIX}{already + n}",
            created_at=arrived,
        )
        db.session.add(need)
        db.session.add(
            Lead(
                need=need,
                institution_id=bank_id,
                product_id=rng.choice(products) if products else None,
                status=LeadStatus.OPEN,
                origin=LeadOrigin.APPLIED,
                deadline_at=max(add_business_days(arrived, 2), now + dt.timedelta(hours=1)),
                created_at=arrived,
            )
        )
    db.session.commit()
    return missing
