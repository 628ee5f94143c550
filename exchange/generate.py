"""Government records for a firm, made up consistently with what the firm declared to the portal.

Everything is a pure function of the firm's declared facts, its credit code and the as-of day, so
two seeds of the same firms agree to the byte, and a test can predict what the exchange will say.
A firm is a mapping with the portal's `firms` columns: credit_code, name, region_code,
industry_code, established_on, employees, revenue and total_assets (yuan), tax_credit_grade,
qualifications and, optionally, legal_representative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from exchange.dice import Dice
from exchange.disagreements import (
    CLOSED_CASE_RATE,
    LISTED_QUALIFICATIONS,
    ONE_GRADE_LOWER,
    Disagreements,
    disagreements_for,
    is_demo_code,
)
from exchange.names import (
    BRAND_CHARACTERS,
    CITIES,
    DISTRICT_SUFFIXES,
    EXTRA_INDUSTRIES,
    GIVEN_CHARACTERS,
    SURNAMES,
)
from exchange.standards import base31, make_credit_code, make_id_number

Firm = Mapping[str, Any]
Row = dict[str, Any]

# Each table's rows for one firm, in the order they must be inserted (the registry first).
TABLES = (
    "registry_firms",
    "tax_records",
    "social_insurance_accounts",
    "social_insurance_months",
    "qualification_lists",
    "qualification_certificates",
    "court_records",
    "court_cases",
)

# Tax actually paid (VAT, income tax, surcharges) per yuan of revenue, in basis points, by GB/T
# 4754 division range: farming is largely VAT-exempt, software and catering pay the most.
_TAX_RATE_BP = (
    (range(1, 6), 30),
    (range(13, 44), 300),
    (range(47, 51), 250),
    (range(51, 52), 120),
    (range(52, 53), 150),
    (range(61, 63), 300),
    (range(63, 66), 350),
)
_DEFAULT_TAX_RATE_BP = 250

# Registered capital is a round number of 万元 (10,000 yuan).
_CAPITAL_STEPS_WAN = (10, 20, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 3000, 5000, 8000, 10000)

# How long a certificate is valid, in days: 高企 and 专精特新 three years, 科技型中小企业 one.
_VALIDITY_DAYS = {"high_tech": 1095, "specialised": 1095, "tech_sme": 365}

# Grades for a firm whose declaration names none, as the province's grades are spread.
_UNDECLARED_GRADES = "AAAABBBBBMCD"


def government_records(firm: Firm, as_of: dt.date) -> dict[str, list[Row]]:
    """Every table's rows for one firm, as the bureaus' records stand on `as_of`."""
    code = firm["credit_code"]
    declared = [kind for kind in LISTED_QUALIFICATIONS if kind in (firm["qualifications"] or ())]
    differ = disagreements_for(code, declared)
    courts, cases = court_rows(firm, as_of, differ)
    lists, certificates = qualification_rows(firm, as_of, declared, differ)
    account, months = social_insurance_rows(firm, as_of)
    return {
        "registry_firms": [registry_row(firm, as_of, differ)],
        "tax_records": [tax_row(firm, as_of, differ)],
        "social_insurance_accounts": [account],
        "social_insurance_months": months,
        "qualification_lists": [lists],
        "qualification_certificates": certificates,
        "court_records": [courts],
        "court_cases": cases,
    }


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def reference(prefix: str, region_code: str, as_of: dt.date, code: str) -> str:
    """A bureau's record number, e.g. TAX-350100-2026-04817263, stable for a code and year."""
    serial = Dice(code, f"reference/{prefix}").between(0, 99_999_999)
    return f"{prefix}-{region_code}-{as_of.year}-{serial:08d}"


def month_end_before(day: dt.date) -> dt.date:
    """The last day of the month before `day`'s: monthly records are complete up to it."""
    return day.replace(day=1) - dt.timedelta(days=1)


def add_months(first_of_month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the given first day."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end`, never negative."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(months - (end.day < start.day), 0)


def person_name(dice: Dice) -> str:
    """A Chinese personal name: a surname and one or two given characters."""
    given = dice.pick(GIVEN_CHARACTERS)
    if dice.unit() < 0.75:
        given += dice.pick(GIVEN_CHARACTERS)
    return dice.pick(SURNAMES) + given


def fen(yuan: Decimal | int | float | str) -> int:
    """Whole fen of an amount in yuan."""
    return int(Decimal(str(yuan)) * 100)


# ---------------------------------------------------------------------------
# 市场监管 market registry
# ---------------------------------------------------------------------------


def registry_row(firm: Firm, as_of: dt.date, differ: Disagreements) -> Row:
    """The registry's entry: the firm's own name, place and industry, a representative, capital."""
    code = firm["credit_code"]
    return {
        "credit_code": code,
        "name": firm["name"],
        "legal_representative": firm.get("legal_representative") or legal_representative(code),
        "legal_rep_id_number": legal_rep_id_number(code, firm["region_code"]),
        "registered_capital_fen": registered_capital_fen(code, firm["total_assets"]),
        "established_on": firm["established_on"],
        "region_code": firm["region_code"],
        "industry_code": firm["industry_code"],
        "status": differ.status,
        "as_of": as_of,
        "reference": reference("REG", firm["region_code"], as_of, code),
    }


def legal_representative(code: str) -> str:
    """The representative's name for a firm that declared none."""
    return person_name(Dice(code, "person"))


def legal_rep_id_number(code: str, region_code: str) -> str:
    """The representative's resident ID number, registered in a district of the firm's city."""
    dice = Dice(code, "identity")
    born = dt.date(dice.between(1958, 1997), 1, 1) + dt.timedelta(days=dice.between(0, 364))
    area = region_code[:4] + dice.pick(DISTRICT_SUFFIXES)
    return make_id_number(area, born, dice.between(1, 999))


def registered_capital_fen(code: str, total_assets: Decimal | int) -> int:
    """A round capital of 20–80% of the firm's assets, at least 10万元."""
    dice = Dice(code, "capital")
    target_wan = Decimal(total_assets) * dice.between(20, 80) / 100 / 10_000
    steps = [step for step in _CAPITAL_STEPS_WAN if step <= target_wan] or [10]
    return steps[-1] * 10_000 * 100


# ---------------------------------------------------------------------------
# 税务 tax
# ---------------------------------------------------------------------------


def tax_row(firm: Firm, as_of: dt.date, differ: Disagreements) -> Row:
    """The grade (maybe one step lower than declared), revenue within ±4%, tax paid."""
    code = firm["credit_code"]
    dice = Dice(code, "tax")
    month_end = month_end_before(as_of)
    revenue_fen = fen(firm["revenue"]) * dice.between(960, 1040) // 1000
    paid_12m, paid_24m = tax_paid_fen(firm, revenue_fen, month_end, dice)
    return {
        "credit_code": code,
        "credit_grade": tax_grade(firm, as_of, differ),
        "grade_year": grade_year(as_of),
        "revenue_fen": revenue_fen,
        "tax_paid_12m_fen": paid_12m,
        "tax_paid_24m_fen": paid_24m,
        "as_of": month_end,
        "reference": reference("TAX", firm["region_code"], as_of, code),
    }


def grade_year(as_of: dt.date) -> int:
    """The year of the latest grades: each year's grades are published in April of the next."""
    return as_of.year - 1 if as_of.month >= 4 else as_of.year - 2


def tax_grade(firm: Firm, as_of: dt.date, differ: Disagreements) -> str:
    """The bureau's grade: the declared one, one step lower where it disagrees."""
    declared = firm.get("tax_credit_grade")
    grade = str(getattr(declared, "value", declared) or "") or _undeclared_grade(firm, as_of)
    return ONE_GRADE_LOWER.get(grade, grade) if differ.lower_tax_grade else grade


def _undeclared_grade(firm: Firm, as_of: dt.date) -> str:
    """A grade for a firm that declared none: M when new, else as the province's are spread."""
    if months_between(firm["established_on"], as_of) < 12:
        return "M"
    return Dice(firm["credit_code"], "grade").pick(_UNDECLARED_GRADES)


def tax_paid_fen(firm: Firm, revenue_fen: int, month_end: dt.date, dice: Dice) -> tuple[int, int]:
    """Tax paid in the last 12 and 24 months, counting only months the firm was in business."""
    rate_bp = _tax_rate_bp(firm["industry_code"]) * dice.between(80, 120) // 100
    yearly = revenue_fen * rate_bp // 10_000
    active = months_between(firm["established_on"], month_end) + 1
    last_12 = yearly * min(active, 12) // 12
    earlier_12 = yearly * dice.between(85, 110) // 100 * min(max(active - 12, 0), 12) // 12
    return last_12, last_12 + earlier_12


def _tax_rate_bp(industry_code: str) -> int:
    """The tax-to-revenue rate of the firm's division, in basis points."""
    division = int(industry_code[:2])
    return next((bp for span, bp in _TAX_RATE_BP if division in span), _DEFAULT_TAX_RATE_BP)


# ---------------------------------------------------------------------------
# 社保 social insurance
# ---------------------------------------------------------------------------


def social_insurance_rows(firm: Firm, as_of: dt.date) -> tuple[Row, list[Row]]:
    """The account and its last 12 complete months: 90–100% of staff insured, ±3% a month."""
    code = firm["credit_code"]
    dice = Dice(code, "social_insurance")
    month_end = month_end_before(as_of)
    last = month_end.replace(day=1)
    employees = int(firm["employees"])
    base = max(employees * dice.between(90, 100) // 100, 1) if employees else 0
    spread = max(base * 3 // 100, 1)
    opened = firm["established_on"].replace(day=1)
    months = []
    for back in range(11, -1, -1):
        month = add_months(last, -back)
        wobble = dice.between(-spread, spread) if back else 0
        insured = max(base + wobble, 0) if month >= opened else 0
        months.append({"credit_code": code, "month": f"{month:%Y-%m}", "insured": insured})
    account = {
        "credit_code": code,
        "as_of": month_end,
        "reference": reference("SI", firm["region_code"], as_of, code),
    }
    return account, months


# ---------------------------------------------------------------------------
# 工信/科技 qualification lists
# ---------------------------------------------------------------------------


def qualification_rows(
    firm: Firm, as_of: dt.date, declared: list[str], differ: Disagreements
) -> tuple[Row, list[Row]]:
    """A certificate for each declared listed qualification, valid unless the firm disagrees."""
    code = firm["credit_code"]
    certificates = []
    for kind in declared:
        lapsed = differ.qualification_kind == kind
        if lapsed and differ.qualification == "absent":
            continue
        certificates.append(certificate(firm, kind, as_of, expired=lapsed))
    header = {
        "credit_code": code,
        "as_of": as_of,
        "reference": reference("QUAL", firm["region_code"], as_of, code),
    }
    return header, certificates


def certificate(firm: Firm, kind: str, as_of: dt.date, *, expired: bool) -> Row:
    """One certificate whose validity covers `as_of`, or ended shortly before it."""
    dice = Dice(firm["credit_code"], f"certificate/{kind}")
    days = _VALIDITY_DAYS[kind]
    if expired:
        valid_to = as_of - dt.timedelta(days=dice.between(10, 180))
        valid_from = valid_to - dt.timedelta(days=days - 1)
    else:
        valid_from = as_of - dt.timedelta(days=dice.between(30, days - 30))
        valid_to = valid_from + dt.timedelta(days=days - 1)
    return {
        "credit_code": firm["credit_code"],
        "kind": kind,
        "certificate_no": certificate_no(kind, firm["region_code"], valid_from.year, dice),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def certificate_no(kind: str, region_code: str, year: int, dice: Dice) -> str:
    """A number in each list's own style (高企 GR…, 专精特新 ZJTX…, 科技型中小企业 registration)."""
    if kind == "high_tech":
        return f"GR{year}35{dice.between(0, 999_999):06d}"
    if kind == "specialised":
        return f"ZJTX{year}{region_code[:4]}{dice.between(0, 9_999):04d}"
    return f"{year}{region_code}A{dice.between(0, 9_999_999):07d}"


# ---------------------------------------------------------------------------
# 法院 courts
# ---------------------------------------------------------------------------


def court_rows(firm: Firm, as_of: dt.date, differ: Disagreements) -> tuple[Row, list[Row]]:
    """The 失信 flag and enforcement cases: open where the firm disagrees, closed ones at times."""
    code = firm["credit_code"]
    dice = Dice(code, "courts")
    open_cases = dice.between(1, 2) if differ.enforcement else 0
    if differ.dishonest:
        open_cases = max(open_cases, 1)  # a listed debtor always has an enforcement case open
    cases = [court_case(firm, as_of, dice, is_open=True) for _ in range(open_cases)]
    # The demo firms have no court history beyond their named disagreement.
    if not is_demo_code(code) and dice.unit() < CLOSED_CASE_RATE:
        cases.append(court_case(firm, as_of, dice, is_open=False))
    record = {
        "credit_code": code,
        "dishonest": differ.dishonest,
        "as_of": as_of,
        "reference": reference("COURT", firm["region_code"], as_of, code),
    }
    return record, _unique_cases(cases)


def court_case(firm: Firm, as_of: dt.date, dice: Dice, *, is_open: bool) -> Row:
    """An enforcement case: recent and larger when open, older and smaller when closed."""
    if is_open:
        filed_on = as_of - dt.timedelta(days=dice.between(20, 720))
        amount_yuan = dice.between(50_000, 3_000_000)
    else:
        filed_on = as_of - dt.timedelta(days=dice.between(400, 1800))
        amount_yuan = dice.between(10_000, 500_000)
    court = firm["region_code"][2:4] + dice.pick(DISTRICT_SUFFIXES)
    return {
        "credit_code": firm["credit_code"],
        "case_no": f"（{filed_on.year}）闽{court}执{dice.between(1, 9999)}号",
        "amount_fen": amount_yuan * 100,
        "filed_on": filed_on,
        "status": "open" if is_open else "closed",
    }


def _unique_cases(cases: list[Row]) -> list[Row]:
    """Drop a case whose number repeats another of the same firm's (the key of court_cases)."""
    seen: dict[str, Row] = {}
    for case in cases:
        seen.setdefault(case["case_no"], case)
    return list(seen.values())


# ---------------------------------------------------------------------------
# Firms on the registry but not on the portal
# ---------------------------------------------------------------------------

# Bodies "MA9" + 5 base-31 digits; the portal's seeds use MA2D… (demo), MA3… or digits (province).
EXTRA_BODY_PREFIX = "MA9"


def extra_firm(index: int) -> dict[str, Any]:
    """The index-th registry-only firm, shaped like a portal firm so the same records follow."""
    key = f"extra/{index}"
    dice = Dice(key, "firm")
    region_code, city = dice.pick(CITIES)
    industry_code, word = dice.pick(EXTRA_INDUSTRIES)
    first = dice.between(0, len(BRAND_CHARACTERS) - 1)
    second = (first + dice.between(1, len(BRAND_CHARACTERS) - 1)) % len(BRAND_CHARACTERS)
    brand = BRAND_CHARACTERS[first] + BRAND_CHARACTERS[second]  # never the same character twice
    revenue_wan = dice.between(50, 5000)
    return {
        "credit_code": extra_credit_code(region_code, index),
        "name": f"{city}{brand}{word}有限公司",
        "region_code": region_code,
        "industry_code": industry_code,
        "established_on": dt.date(
            dice.between(2010, 2024), dice.between(1, 12), dice.between(1, 28)
        ),
        "employees": dice.between(5, 120),
        "revenue": Decimal(revenue_wan * 10_000),
        "total_assets": Decimal(revenue_wan * dice.between(50, 120) * 100),
        "tax_credit_grade": dice.pick("AAABBBB"),
        "qualifications": [],
        "legal_representative": None,
    }


def extra_credit_code(region_code: str, index: int) -> str:
    """The credit code of the index-th extra firm: valid, and apart from the portal's seeds."""
    return make_credit_code("9", "1", region_code, EXTRA_BODY_PREFIX + base31(index, 5))
