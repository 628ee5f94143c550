"""Where the government's records disagree with what a firm declared, and how often.

Real bureaus disagree with self-declared profiles: a tax grade marked down, a court listing, a
licence revoked, a certificate that lapsed. The rates below are drawn per firm from a hash of its
credit code, independently of each other, and are documented in docs/exchange-api.md ("The shipped
exchange's data"). The demo firms are exempt, except the few given one named disagreement each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exchange.dice import Dice
from exchange.standards import make_credit_code

LOWER_TAX_GRADE_RATE = 0.06
DISHONEST_RATE = 0.015
ENFORCEMENT_RATE = 0.03
REVOKED_RATE = 0.005
CANCELLED_RATE = 0.005
QUALIFICATION_RATE = 0.04  # of firms that declare a listed qualification; half expired, half absent
CLOSED_CASE_RATE = 0.08  # a settled enforcement case in the past: history, not a disagreement

# The tax bureau's grade one step below the declared one (M, for new firms, sits between B and C).
ONE_GRADE_LOWER = {"A": "B", "B": "C", "M": "C", "C": "D"}

# The qualification lists the exchange answers for (涉农 and 绿色 have no national list).
LISTED_QUALIFICATIONS = ("specialised", "high_tech", "tech_sme")


@dataclass(frozen=True)
class Disagreements:
    """What a firm's government records say differently from its declaration."""

    lower_tax_grade: bool = False
    dishonest: bool = False  # 失信被执行人, always with an open enforcement case
    enforcement: bool = False  # open enforcement cases
    status: str = "active"  # registry status: active 存续 · cancelled 注销 · revoked 吊销
    qualification: str | None = None  # "expired" or "absent"
    qualification_kind: str | None = None  # which declared qualification


# The portal's demo firms carry codes 9 1 <city> MA2D<line number> (demo/seed.py). The
# SME demo account's firm (line 1) is fully consistent; these four disagree in one named way.
DEMO_BODY_PREFIX = "MA2D"
DEMO_DISAGREEMENTS: dict[str, tuple[str, Disagreements]] = {
    make_credit_code("9", "1", "350200", "MA2D0010"): (
        "厦门鹭岛光电科技有限公司",
        Disagreements(lower_tax_grade=True),
    ),
    make_credit_code("9", "1", "350300", "MA2D0021"): (
        "莆田城厢建筑装饰工程有限公司",
        Disagreements(dishonest=True),
    ),
    make_credit_code("9", "1", "350500", "MA2D0027"): (
        "泉州晋江鞋服科技有限公司",
        Disagreements(qualification="expired", qualification_kind="specialised"),
    ),
    make_credit_code("9", "1", "350600", "MA2D0039"): (
        "漳州芗城花卉园艺有限公司",
        Disagreements(status="revoked"),
    ),
}


def is_demo_code(code: str) -> bool:
    """Whether the code is one the portal's small demo seed gives its firms."""
    return code[8:12] == DEMO_BODY_PREFIX


def disagreements_for(code: str, declared: Sequence[str]) -> Disagreements:
    """The disagreements of the firm with this code, given its declared listed qualifications."""
    if code in DEMO_DISAGREEMENTS:
        return DEMO_DISAGREEMENTS[code][1]
    if is_demo_code(code):
        return Disagreements()
    dice = Dice(code, "disagreements")
    draws = [dice.unit() for _ in range(6)]
    qualification, kind = None, None
    if declared and draws[4] < QUALIFICATION_RATE:
        qualification = "expired" if draws[5] < 0.5 else "absent"
        kind = dice.pick(declared)
    return Disagreements(
        lower_tax_grade=draws[0] < LOWER_TAX_GRADE_RATE,
        dishonest=draws[1] < DISHONEST_RATE,
        enforcement=draws[2] < ENFORCEMENT_RATE,
        status=_status(draws[3]),
        qualification=qualification,
        qualification_kind=kind,
    )


def _status(draw: float) -> str:
    """The registry status for one draw: mostly 存续, a few 吊销 or 注销."""
    if draw < REVOKED_RATE:
        return "revoked"
    if draw < REVOKED_RATE + CANCELLED_RATE:
        return "cancelled"
    return "active"
