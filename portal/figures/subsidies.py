"""Policy-subsidy figures for supervision: what each interest-subsidy and guarantee-fee-subsidy
policy committed and paid in a cut (risk-compensation pools pay claims, not subsidies: they are
in the claims pages).

For a cut of the data (`Filters`: months, region, industry, size class, bank, product), per
policy and in all (a loan under two policies counts once in the total's loans and principal):

- committed (新增贴息贷款): the loans disbursed in the months that carry a committed grant of the
  policy, their principal, and the subsidy the grants expect over the loans' terms;
- settled (结算贴息): the lines of the policy's settlement batches for the months, at their
  adjusted amount where staff adjusted one; approved (已审核) and paid (已拨付) batches count,
  and drafts are shown apart as 待审核, since staff may still change them.

A settled month belongs to its batch's period (the month whose interest it pays), not to the day
it was approved or paid. Government staff read these for their own region, banks for their own
loans, as the scoping of the dashboard decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from portal.catalog.models import PolicyProduct
from portal.enums import GrantStatus, PolicyKind, SettlementStatus
from portal.extensions import db
from portal.figures.live import Filters, cut_loans
from portal.leads.models import Loan
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant

ZERO = Decimal(0)
SUBSIDY_KINDS = (PolicyKind.INTEREST_SUBSIDY, PolicyKind.GUARANTEE_FEE_SUBSIDY)


@dataclass
class PolicyFigures:
    """One policy's figures in the cut (or all policies', as the total)."""

    policy_id: int | None
    name: str
    loans: int = 0
    principal: Decimal = ZERO
    expected: Decimal = ZERO
    settled: Decimal = ZERO  # approved or paid batches
    paid: Decimal = ZERO  # of which paid
    pending: Decimal = ZERO  # draft batches, not yet approved


@dataclass
class SubsidyFigures:
    policies: list[PolicyFigures] = field(default_factory=list)
    # The distinct subsidised loans and their principal: one loan may carry two policies.
    loans: int = 0
    principal: Decimal = ZERO

    @property
    def total(self) -> PolicyFigures:
        total = PolicyFigures(None, "", loans=self.loans, principal=self.principal)
        for row in self.policies:
            total.expected += row.expected
            total.settled += row.settled
            total.paid += row.paid
            total.pending += row.pending
        return total


def figures(filters: Filters) -> SubsidyFigures:
    """Every policy with a committed loan or a settled month in the cut, largest first."""
    rows: dict[int, PolicyFigures] = {}
    names = dict(db.reporting.execute(select(PolicyProduct.id, PolicyProduct.title)).all())

    def policy(policy_id: int) -> PolicyFigures:
        if policy_id not in rows:
            rows[policy_id] = PolicyFigures(policy_id, names.get(policy_id, str(policy_id)))
        return rows[policy_id]

    for policy_id, loans, principal, expected in db.reporting.execute(_committed(filters)):
        row = policy(policy_id)
        row.loans, row.principal = loans, Decimal(principal or 0)
        row.expected = Decimal(expected or 0)
    for policy_id, settled, paid, pending in db.reporting.execute(_settled(filters)):
        row = policy(policy_id)
        row.settled, row.paid = Decimal(settled or 0), Decimal(paid or 0)
        row.pending = Decimal(pending or 0)
    ordered = sorted(rows.values(), key=lambda r: (-r.settled, -r.expected, r.name))
    loans, principal = db.reporting.execute(_distinct_loans(filters)).one()
    return SubsidyFigures(ordered, loans, Decimal(principal or 0))


def _cut(statement: Any, loan_id: Any, filters: Filters) -> Any:
    """The filters' firm, bank and product conditions, through the loan the row is about."""
    return cut_loans(statement.join(Loan, Loan.id == loan_id), filters)


def _grants(filters: Filters, *columns: Any) -> Any:
    """Committed grants of subsidy policies on loans disbursed in the cut."""
    grant = SubsidyGrant
    statement = (
        select(*columns)
        .select_from(grant)
        .join(PolicyProduct, PolicyProduct.id == grant.policy_id)
        .where(grant.status == GrantStatus.COMMITTED, PolicyProduct.kind.in_(SUBSIDY_KINDS))
    )
    statement = _cut(statement, grant.loan_id, filters)
    return statement.where(
        Loan.disbursed_on >= filters.start, Loan.disbursed_on < filters.period_end
    )


def _committed(filters: Filters) -> Any:
    grant = SubsidyGrant
    return _grants(
        filters,
        grant.policy_id,
        func.count(func.distinct(grant.loan_id)),
        func.sum(Loan.amount),
        func.sum(grant.expected_amount),
    ).group_by(grant.policy_id)


def _distinct_loans(filters: Filters) -> Any:
    loans = _grants(filters, Loan.id.label("loan_id"), Loan.amount.label("amount")).distinct()
    loans = loans.subquery()
    return select(func.count(loans.c.loan_id), func.sum(loans.c.amount))


def _settled(filters: Filters) -> Any:
    line, batch = SettlementLine, SettlementBatch
    amount = func.coalesce(line.adjusted_amount, line.computed_amount)
    done = batch.status.in_((SettlementStatus.APPROVED, SettlementStatus.PAID))
    statement = (
        select(
            batch.policy_id,
            func.sum(case((done, amount), else_=0)),
            func.sum(case((batch.status == SettlementStatus.PAID, amount), else_=0)),
            func.sum(case((batch.status == SettlementStatus.DRAFT, amount), else_=0)),
        )
        .select_from(line)
        .join(batch, batch.id == line.batch_id)
        .join(PolicyProduct, PolicyProduct.id == batch.policy_id)
        .where(batch.period >= filters.start, batch.period <= filters.end)
        .where(PolicyProduct.kind.in_(SUBSIDY_KINDS))
    )
    return _cut(statement, line.loan_id, filters).group_by(batch.policy_id)
