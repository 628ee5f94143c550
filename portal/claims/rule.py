"""The risk compensation rule (风险补偿), as pure functions: no Flask, no session.

A loan under a risk-compensation policy may be claimed once its latest monthly report classes
it 损失, or reports it overdue for at least the policy's threshold of days (a policy without a
threshold takes only 损失). The claim is the principal outstanding at default times the
policy's share, capped at the policy's most per claim. A recovery the bank makes later returns
the same share of it to the pool, never more than the claim still holds.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from portal.enums import FiveTierClass

CENT = Decimal("0.01")
ZERO = Decimal(0)

# Why a loan may be claimed.
LOSS = "loss"
OVERDUE = "overdue"


def ground(tier: FiveTierClass, days_overdue: int, threshold: int | None) -> str | None:
    """LOSS or OVERDUE when a report makes the loan claimable under the policy, else None."""
    if tier == FiveTierClass.LOSS:
        return LOSS
    if threshold is not None and days_overdue >= threshold:
        return OVERDUE
    return None


def claimed_amount(principal: Decimal, share: Decimal, cap: Decimal | None) -> Decimal:
    """Principal × share, to the fen, no more than the policy's cap per claim."""
    amount = (principal * share).quantize(CENT, rounding=ROUND_HALF_UP)
    if cap is not None:
        amount = min(amount, cap)
    return max(amount, ZERO)


def returned_amount(recovered: Decimal, share: Decimal, still_paid: Decimal) -> Decimal:
    """The pool's share of a recovery, no more than what the claim still holds of the pool."""
    amount = (recovered * share).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(min(amount, still_paid), ZERO)
