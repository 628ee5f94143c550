"""Sharing a guaranteed loan's loss and its recoveries (portal.guarantees.sharing): exact sums to
the fen, no negative part, the bank's share kept, the letter's cover and the caps respected."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.guarantees.sharing import (
    BANK,
    CLAIMED_ONWARD,
    GOVERNMENT,
    GUARANTOR,
    PARTIES,
    REGUARANTEE,
    as_money,
    as_text,
    paid_to_bank,
    sole_terms,
    split_loss,
    split_recovery,
)

D = Decimal
WAN = D(10000)
FEN = D("0.01")
HUNDRED = D(100)
# Shares are stored as Numeric(7, 4): whole ten-thousandths of a percent.
SHARE_UNIT = D("0.0001")
ALL_OF_IT = 1_000_000  # 100% in share units

FOUR_3_2_1 = {
    "shares": {GUARANTOR: "40", REGUARANTEE: "30", BANK: "20", GOVERNMENT: "10"},
    "caps": {REGUARANTEE: None, GOVERNMENT: None},
    "trigger_overdue_days": 90,
}

money = st.decimals(min_value=D("0.01"), max_value=D("1000000000"), places=2)


@st.composite
def share_vectors(draw: Any) -> dict[str, str]:
    """Four shares summing to exactly 100%, the guarantor's above 0."""
    guarantor = draw(st.integers(1, ALL_OF_IT))
    reguarantee = draw(st.integers(0, ALL_OF_IT - guarantor))
    bank = draw(st.integers(0, ALL_OF_IT - guarantor - reguarantee))
    government = ALL_OF_IT - guarantor - reguarantee - bank
    units = {GUARANTOR: guarantor, REGUARANTEE: reguarantee, BANK: bank, GOVERNMENT: government}
    return {party: str(n * SHARE_UNIT) for party, n in units.items()}


caps = st.none() | st.decimals(min_value=D("0"), max_value=D("1000000000"), places=2)


@st.composite
def cases(draw: Any) -> tuple[Decimal, dict[str, Any], Decimal]:
    """A loss, risk terms and the letter's covered amount: either a letter on a principal of at
    least the loss at the guarantor's coverage (as issued), or any amount at all."""
    loss = draw(money)
    shares = draw(share_vectors())
    terms = {
        "shares": shares,
        "caps": {party: _text(draw(caps)) for party in CLAIMED_ONWARD},
        "trigger_overdue_days": None,
    }
    coverage = HUNDRED - D(shares[BANK])
    principal = loss + draw(st.decimals(min_value=D("0"), max_value=D("1000000000"), places=2))
    as_issued = _round(principal * coverage / HUNDRED)
    covered = draw(st.just(as_issued) | money)
    return loss, terms, covered


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, ROUND_HALF_UP)


# --- the loss ----------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(cases())
def test_the_parts_of_a_loss_sum_to_it_and_none_is_negative(case) -> None:
    """Every part is in fen, none below 0, and together they are the loss exactly."""
    loss, terms, covered = case
    split = split_loss(loss, terms, covered)
    assert set(split) == set(PARTIES)
    assert sum(split.values(), D(0)) == loss
    for part in split.values():
        assert part >= 0
        assert part == part.quantize(FEN)


@settings(max_examples=500, deadline=None)
@given(cases())
def test_the_bank_keeps_at_least_its_share(case) -> None:
    """The bank bears its share of the loss (to the fen), and more only where the letter ends."""
    loss, terms, covered = case
    split = split_loss(loss, terms, covered)
    assert split[BANK] >= _round(loss * D(terms["shares"][BANK]) / HUNDRED)


@settings(max_examples=500, deadline=None)
@given(cases())
def test_the_guarantor_pays_the_bank_no_more_than_the_letter_covers(case) -> None:
    """What the guarantor pays is the loss less the bank's part, and within the cover."""
    loss, terms, covered = case
    split = split_loss(loss, terms, covered)
    paid = paid_to_bank(split)
    assert paid == loss - split[BANK]
    assert paid <= covered


@settings(max_examples=500, deadline=None)
@given(cases())
def test_onward_parts_never_exceed_their_caps_or_their_shares(case) -> None:
    """The re-guarantee and government parts stay within their caps and their shares."""
    loss, terms, covered = case
    split = split_loss(loss, terms, covered)
    for party in CLAIMED_ONWARD:
        cap = terms["caps"][party]
        if cap is not None:
            assert split[party] <= D(cap)
        assert split[party] <= _round(loss * D(terms["shares"][party]) / HUNDRED)


@settings(max_examples=300, deadline=None)
@given(money, share_vectors())
def test_an_ample_letter_without_caps_splits_by_the_shares(loss, shares) -> None:
    """With cover for everything but the bank's share and no caps, the bank's part is its share
    to the fen and every other part is within a fen and a half of its share (three roundings
    land on the guarantor, who takes what the others leave)."""
    terms = {"shares": shares, "caps": {}, "trigger_overdue_days": None}
    split = split_loss(loss, terms, covered=loss)
    assert split[BANK] == _round(loss * D(shares[BANK]) / HUNDRED)
    for party in PARTIES:
        assert abs(split[party] - loss * D(shares[party]) / HUNDRED) <= D("0.015"), party


def test_the_4321_example() -> None:
    """100 万元 lost on a 100 万元 loan covered at 80%: 40/30/20/10 万元, 80 万元 paid the bank."""
    split = split_loss(D("1000000"), FOUR_3_2_1, covered=D("800000"))
    assert split == {
        GUARANTOR: 40 * WAN,
        REGUARANTEE: 30 * WAN,
        BANK: 20 * WAN,
        GOVERNMENT: 10 * WAN,
    }
    assert paid_to_bank(split) == 80 * WAN


def test_the_letter_ends_the_guarantors_payment() -> None:
    """Covered 60 万元 of a 100 万元 loss: the bank bears the other 40 万元; onward parts stay."""
    split = split_loss(D("1000000"), FOUR_3_2_1, covered=60 * WAN)
    assert split == {
        GUARANTOR: 20 * WAN,
        REGUARANTEE: 30 * WAN,
        BANK: 40 * WAN,
        GOVERNMENT: 10 * WAN,
    }


def test_a_cap_leaves_the_rest_with_the_guarantor() -> None:
    """The re-guarantee capped at 20 万元 a loan: the guarantor bears the other 10 万元."""
    capped = {**FOUR_3_2_1, "caps": {REGUARANTEE: "200000", GOVERNMENT: None}}
    split = split_loss(D("1000000"), capped, covered=80 * WAN)
    assert split == {
        GUARANTOR: 50 * WAN,
        REGUARANTEE: 20 * WAN,
        BANK: 20 * WAN,
        GOVERNMENT: 10 * WAN,
    }


def test_without_an_agreement_the_guarantor_bears_its_coverage_alone() -> None:
    """sole_terms(80): the guarantor 80%, the bank 20%, nobody else."""
    split = split_loss(D("1000000"), sole_terms(D("80")), covered=80 * WAN)
    assert split == {GUARANTOR: 80 * WAN, REGUARANTEE: 0, BANK: 20 * WAN, GOVERNMENT: 0}


def test_a_split_survives_storage() -> None:
    """as_text then as_money gives the same amounts."""
    split = split_loss(D("123456.78"), FOUR_3_2_1, covered=D("100000"))
    assert as_money(as_text(split)) == split


# --- recoveries --------------------------------------------------------------------------------


@st.composite
def recoveries(draw: Any) -> tuple[Decimal, dict[str, Decimal]]:
    """A loss split as a letter would split it, and an amount recovered of at most the loss."""
    loss, terms, covered = draw(cases())
    split = split_loss(loss, terms, covered)
    recovered = draw(st.decimals(min_value=D("0.01"), max_value=loss, places=2))
    return recovered, split


@settings(max_examples=500, deadline=None)
@given(recoveries())
def test_a_recovery_is_shared_back_exactly_and_in_proportion(case) -> None:
    """The parts sum to the recovery, are in fen, none is negative, and each is its party's
    proportion of the recovery within a fen."""
    recovered, split = case
    loss = sum(split.values(), D(0))
    parts = split_recovery(recovered, split)
    assert set(parts) == set(PARTIES)
    assert sum(parts.values(), D(0)) == recovered
    for party, part in parts.items():
        assert part == part.quantize(FEN)
        assert part >= 0
        assert abs(part - recovered * split[party] / loss) <= FEN, party


def test_the_4321_recovery() -> None:
    """10 万元 recovered on a 4321 loss comes back 4/3/2/1 万元."""
    split = split_loss(D("1000000"), FOUR_3_2_1, covered=80 * WAN)
    assert split_recovery(10 * WAN, split) == {
        GUARANTOR: 4 * WAN,
        REGUARANTEE: 3 * WAN,
        BANK: 2 * WAN,
        GOVERNMENT: 1 * WAN,
    }
