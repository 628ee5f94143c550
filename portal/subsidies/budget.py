"""A policy's budget: reserved by offers, committed by loans and claims, paid by settlements.

    remaining = budget − reserved − committed        (paid is the part of committed paid out)

Every change is one conditional UPDATE of the policy's row, so two decisions at once can never
overdraw it: a reservation or a draw that does not fit changes no row and is refused, on SQLite
and PostgreSQL alike. A policy without a budget (NULL) is never refused for money.
Callers commit; these functions only change the row within the caller's transaction.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.sql.elements import ColumnElement

from portal.catalog.models import PolicyProduct
from portal.extensions import db

ZERO = Decimal(0)
_policy = PolicyProduct.__table__.c


def _fits(amount: Decimal) -> ColumnElement[bool]:
    return _policy.budget.is_(None) | (
        _policy.budget - _policy.budget_reserved - _policy.budget_committed >= amount
    )


def _apply(policy_id: int, where: ColumnElement[bool] | None = None, **changes: object) -> bool:
    statement = update(PolicyProduct).where(PolicyProduct.id == policy_id)
    if where is not None:
        statement = statement.where(where)
    result = db.session.execute(
        statement.values(**changes).execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed:
        policy = db.session.get(PolicyProduct, policy_id)
        if policy is not None:
            db.session.refresh(policy)
    return changed


def reserve(policy_id: int, amount: Decimal) -> bool:
    """Hold `amount` for an offer; False when the budget has less than that left."""
    if amount <= 0:
        return True
    return _apply(policy_id, _fits(amount), budget_reserved=_policy.budget_reserved + amount)


def release(policy_id: int, amount: Decimal) -> None:
    """Give back what a lapsed offer held."""
    if amount > 0:
        _apply(policy_id, budget_reserved=_policy.budget_reserved - amount)


def commit(policy_id: int, reserved: Decimal, committed: Decimal) -> None:
    """Turn an offer's reservation into a loan's commitment (no more than was reserved: a
    disbursement never exceeds its offer)."""
    _apply(
        policy_id,
        budget_reserved=_policy.budget_reserved - reserved,
        budget_committed=_policy.budget_committed + min(committed, reserved),
    )


def draw(policy_id: int, amount: Decimal) -> bool:
    """Commit and pay `amount` at once (an approved compensation claim); False if it does not
    fit in what remains."""
    if amount <= 0:
        return True
    return _apply(
        policy_id,
        _fits(amount),
        budget_committed=_policy.budget_committed + amount,
        budget_paid=_policy.budget_paid + amount,
    )


def pay(policy_id: int, amount: Decimal) -> None:
    """Record a payout of money already committed (a settlement batch approved)."""
    if amount > 0:
        _apply(policy_id, budget_paid=_policy.budget_paid + amount)


def return_to_pool(policy_id: int, amount: Decimal) -> None:
    """Money paid out that comes back (a recovery on a compensated loan)."""
    if amount > 0:
        _apply(
            policy_id,
            budget_committed=_policy.budget_committed - amount,
            budget_paid=_policy.budget_paid - amount,
        )
