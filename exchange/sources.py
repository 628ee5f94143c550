"""Reading each source's records into the API's envelopes, for one code or a thousand at once.

Every reader takes a list of codes and answers with a few IN queries (the source's own table and
its detail rows), so `GET /v1/firms/{code}/tax` and `POST /v1/bulk` share one code path.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from exchange.models import (
    CourtCase,
    CourtRecord,
    QualificationCertificate,
    QualificationList,
    RegistryFirm,
    SocialInsuranceAccount,
    SocialInsuranceMonth,
    TaxRecord,
)

Envelope = dict[str, Any]
Reader = Callable[[Connection, Sequence[str]], dict[str, Envelope]]


def yuan(fen: int) -> str:
    """Whole fen as a yuan decimal string with two places, e.g. 123456 → "1234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _envelope(source: str, code: str, as_of: dt.date, reference: str, data: dict) -> Envelope:
    """The shape every source answers with."""
    return {
        "source": source,
        "credit_code": code,
        "as_of": as_of.isoformat(),
        "reference": reference,
        "data": data,
    }


def _by_code(rows: Sequence[Any]) -> dict[str, list[Any]]:
    """Detail rows grouped by credit code."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.credit_code].append(row)
    return grouped


def read_registry(conn: Connection, codes: Sequence[str]) -> dict[str, Envelope]:
    """市场监管: name, representative, capital, dates, place, industry and status."""
    table = RegistryFirm.__table__
    rows = conn.execute(select(table).where(table.c.credit_code.in_(codes)))
    return {
        row.credit_code: _envelope(
            "registry",
            row.credit_code,
            row.as_of,
            row.reference,
            {
                "name": row.name,
                "legal_representative": row.legal_representative,
                "registered_capital": yuan(row.registered_capital_fen),
                "established_on": row.established_on.isoformat(),
                "region_code": row.region_code,
                "industry_code": row.industry_code,
                "status": row.status,
            },
        )
        for row in rows
    }


def read_tax(conn: Connection, codes: Sequence[str]) -> dict[str, Envelope]:
    """税务: grade and its year, revenue from returns, tax paid over 12 and 24 months."""
    table = TaxRecord.__table__
    rows = conn.execute(select(table).where(table.c.credit_code.in_(codes)))
    return {
        row.credit_code: _envelope(
            "tax",
            row.credit_code,
            row.as_of,
            row.reference,
            {
                "credit_grade": row.credit_grade,
                "grade_year": row.grade_year,
                "revenue": yuan(row.revenue_fen),
                "tax_paid_12m": yuan(row.tax_paid_12m_fen),
                "tax_paid_24m": yuan(row.tax_paid_24m_fen),
            },
        )
        for row in rows
    }


def read_social_insurance(conn: Connection, codes: Sequence[str]) -> dict[str, Envelope]:
    """社保: insured employees in each of the last 12 months, oldest first."""
    accounts = SocialInsuranceAccount.__table__
    months = SocialInsuranceMonth.__table__
    found = conn.execute(select(accounts).where(accounts.c.credit_code.in_(codes))).all()
    details = _by_code(
        conn.execute(
            select(months).where(months.c.credit_code.in_(codes)).order_by(months.c.month)
        ).all()
    )
    return {
        row.credit_code: _envelope(
            "social-insurance",
            row.credit_code,
            row.as_of,
            row.reference,
            {
                "months": [
                    {"month": month.month, "insured": month.insured}
                    for month in details[row.credit_code]
                ]
            },
        )
        for row in found
    }


def read_qualifications(conn: Connection, codes: Sequence[str]) -> dict[str, Envelope]:
    """工信/科技: every certificate the lists hold for the firm, expired ones included."""
    lists = QualificationList.__table__
    certificates = QualificationCertificate.__table__
    found = conn.execute(select(lists).where(lists.c.credit_code.in_(codes))).all()
    details = _by_code(
        conn.execute(
            select(certificates)
            .where(certificates.c.credit_code.in_(codes))
            .order_by(certificates.c.kind)
        ).all()
    )
    return {
        row.credit_code: _envelope(
            "qualifications",
            row.credit_code,
            row.as_of,
            row.reference,
            {"items": [_certificate(item) for item in details[row.credit_code]]},
        )
        for row in found
    }


def _certificate(row: Any) -> dict[str, str]:
    """One certificate as the API lists it."""
    return {
        "kind": row.kind,
        "certificate_no": row.certificate_no,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat(),
    }


def read_courts(conn: Connection, codes: Sequence[str]) -> dict[str, Envelope]:
    """法院: the 失信被执行人 flag and enforcement cases, newest first."""
    records = CourtRecord.__table__
    cases = CourtCase.__table__
    found = conn.execute(select(records).where(records.c.credit_code.in_(codes))).all()
    details = _by_code(
        conn.execute(
            select(cases).where(cases.c.credit_code.in_(codes)).order_by(cases.c.filed_on.desc())
        ).all()
    )
    return {
        row.credit_code: _envelope(
            "courts",
            row.credit_code,
            row.as_of,
            row.reference,
            {
                "dishonest": row.dishonest,
                "cases": [_case(case) for case in details[row.credit_code]],
            },
        )
        for row in found
    }


def _case(row: Any) -> dict[str, str]:
    """One enforcement case as the API lists it."""
    return {
        "case_no": row.case_no,
        "amount": yuan(row.amount_fen),
        "filed_on": row.filed_on.isoformat(),
        "status": row.status,
    }


READERS: dict[str, Reader] = {
    "registry": read_registry,
    "tax": read_tax,
    "social-insurance": read_social_insurance,
    "qualifications": read_qualifications,
    "courts": read_courts,
}


def legal_representative(conn: Connection, code: str) -> tuple[str, str] | None:
    """The registry's representative name and ID number for a code, or None when unknown."""
    table = RegistryFirm.__table__
    row = conn.execute(
        select(table.c.legal_representative, table.c.legal_rep_id_number).where(
            table.c.credit_code == code
        )
    ).first()
    return (row[0], row[1]) if row else None
