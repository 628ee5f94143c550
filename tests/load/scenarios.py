"""Data for the scheduler fault tests, made in a process of its own:

    python -m tests.load.scenarios overdue-leads 300 --database-url URL
    python -m tests.load.scenarios due-reports --database-url URL

Each migrates the database first. A separate process keeps the suite's own app and session
bound to the suite's database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal

from sqlalchemy import update

from portal import create_app, migrate
from portal.config import normalise_database_url
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs import services as needs
from tests.factories import InstitutionFactory, UserFactory, published_product

BANKS = 3


def overdue_leads(count: int) -> None:
    """`count` firms, each with a need routed to its best bank and left unanswered too long.

    Every need has two more eligible banks, so the deadline job reroutes each exactly once.
    """
    for n in range(BANKS):
        bank = InstitutionFactory()
        published_product(bank, f"信用贷{n}", f"3.{n}0", eligibility='size_class != "large"')
        UserFactory(role=Role.BANK_OFFICER, institution=bank)
    db.session.commit()
    invalidate_catalogue_cache()
    for _ in range(count):
        firm_user = UserFactory(role=Role.SME, firm__revenue=Decimal("20000000"))
        firm = db.session.get(Firm, firm_user.firm_id)
        data = needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None)
        need = needs.submit_need(firm_user, firm, data, f"overdue-{firm.id}")
        leads.route_best(firm_user, need, count=1)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    db.session.execute(update(Lead).values(deadline_at=long_ago))
    db.session.commit()


def due_reports() -> None:
    """Regulators to be told, and banks: last month's reports are due and none exist yet."""
    for _ in range(2):
        UserFactory(role=Role.REGULATOR)
    for _ in range(BANKS):
        InstitutionFactory()
    db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=("overdue-leads", "due-reports"))
    parser.add_argument("count", type=int, nargs="?", default=100)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    app = create_app("development", DATABASE_URL=normalise_database_url(args.database_url))
    with app.app_context():
        migrate.upgrade("head")
        if args.scenario == "overdue-leads":
            overdue_leads(args.count)
        else:
            due_reports()
    return 0


if __name__ == "__main__":
    sys.exit(main())
