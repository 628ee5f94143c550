"""Sharing a loss on a guaranteed loan (风险分担), as pure functions: no Flask, no session.

A guarantee's risk terms (RiskShareAgreement.terms, kept on the letter at issue) give each
party a share of the loss in percent: the guarantor, the national and provincial re-guarantee,
the bank and the local government (the national "4321" is 40/30/20/10). On default:

- the guarantor compensates the bank (代偿) for everything but the bank's share, never more
  than the letter covers (its covered amount); what the letter does not cover stays the bank's;
- the guarantor then claims the re-guarantee's and the government's shares, each up to its
  cap per loan; what a cap leaves out the guarantor bears.

Every split is in yuan to the fen and sums to the loss exactly: the guarantor's part is what
the others leave, so rounding never makes money appear or vanish. A recovery is shared back in
the proportions of the loss, each part within a fen of its proportion, summing to the recovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

GUARANTOR, REGUARANTEE, BANK, GOVERNMENT = "guarantor", "reguarantee", "bank", "government"
PARTIES = (GUARANTOR, REGUARANTEE, BANK, GOVERNMENT)
# The guarantor claims these from others once it has paid the bank.
CLAIMED_ONWARD = (REGUARANTEE, GOVERNMENT)


def sole_terms(coverage_share: Decimal) -> dict[str, Any]:
    """Risk terms of a letter without an agreement: the guarantor bears its coverage share,
    the bank the rest; only a loan classed 损失 may be claimed."""
    return {
        "shares": {
            GUARANTOR: str(coverage_share),
            REGUARANTEE: "0",
            BANK: str(HUNDRED - coverage_share),
            GOVERNMENT: "0",
        },
        "caps": {REGUARANTEE: None, GOVERNMENT: None},
        "trigger_overdue_days": None,
    }


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _part(loss: Decimal, share: Decimal) -> Decimal:
    return _money(loss * share / HUNDRED)


def split_loss(loss: Decimal, terms: Mapping[str, Any], covered: Decimal) -> dict[str, Decimal]:
    """Each party's part of the loss under the terms; the parts sum to the loss.

    `covered` is the most the letter makes the guarantor pay the bank.
    """
    shares = {party: Decimal(terms["shares"][party]) for party in PARTIES}
    caps = terms.get("caps") or {}
    paid = min(loss - _part(loss, shares[BANK]), covered)
    split = {BANK: loss - paid}
    remaining = paid  # the guarantor cannot pass on more than it paid
    for party in CLAIMED_ONWARD:
        part = _part(loss, shares[party])
        cap = caps.get(party)
        if cap is not None:
            part = min(part, Decimal(cap))
        split[party] = min(part, remaining)
        remaining -= split[party]
    split[GUARANTOR] = remaining
    return {party: split[party] for party in PARTIES}


def paid_to_bank(split: Mapping[str, Decimal]) -> Decimal:
    """What the guarantor pays the bank: every part but the bank's own."""
    return sum((Decimal(split[p]) for p in PARTIES if p != BANK), ZERO)


def split_recovery(recovered: Decimal, loss_split: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """A recovery shared back in the proportions of the loss; the parts sum to the recovery."""
    loss = sum((Decimal(v) for v in loss_split.values()), ZERO)
    if loss <= 0:
        return {party: ZERO for party in PARTIES} | {GUARANTOR: recovered}
    exact = {party: recovered * Decimal(loss_split[party]) / loss for party in PARTIES}
    parts = {party: exact[party].quantize(CENT, ROUND_DOWN) for party in PARTIES}
    # Rounding every part down leaves a few fen: one each to the largest remainders (the
    # guarantor first on a tie). Handing one party whatever the others' rounding leaves could
    # put that party more than a fen off its proportion, or below zero.
    left_fen = int((recovered - sum(parts.values(), ZERO)) / CENT)
    by_remainder = sorted(PARTIES, key=lambda party: exact[party] - parts[party], reverse=True)
    for party in by_remainder[:left_fen]:
        parts[party] += CENT
    return parts


def as_text(split: Mapping[str, Decimal]) -> dict[str, str]:
    """A split as stored (JSON): amounts as strings."""
    return {party: str(Decimal(split[party])) for party in PARTIES}


def as_money(stored: Mapping[str, str]) -> dict[str, Decimal]:
    """A stored split read back as amounts."""
    return {party: Decimal(stored.get(party, "0")) for party in PARTIES}
