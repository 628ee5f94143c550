"""Firms the registration tests register, the exchange that knows them, and the form they post.

Codes are picked by the exchange's own disagreement draws (exchange/disagreements.py), so each
firm is what its name says: clean (every record as declared), revoked, cancelled; one is issued
by 厦门's authority but registered in 福州; one the tax and social-insurance bureaus do not know
yet (their rows are deleted from the exchange's database after seeding); one no one knows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from exchange.disagreements import Disagreements, disagreements_for
from exchange.generate import legal_rep_id_number
from portal.datasources.identity import id_check_char
from portal.firms.standards import make_credit_code
from tests.exchange_server import ExchangeServer, running_exchange

PASSWORD = "a long enough password"
PDF = b"%PDF-1.4\n% letter of authorisation\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _code(region: str, body: str, wanted: Disagreements, declared: tuple[str, ...] = ()) -> str:
    """The first code of `body`+number in `region` whose records disagree exactly as wanted."""
    for n in range(20_000):
        code = make_credit_code("9", "1", region, f"{body}{n:04d}")
        if disagreements_for(code, list(declared)) == wanted:
            return code
    raise AssertionError("no such code")


def _first_with_status(region: str, body: str, status: str) -> str:
    for n in range(20_000):
        code = make_credit_code("9", "1", region, f"{body}{n:04d}")
        if disagreements_for(code, []).status == status:
            return code
    raise AssertionError(f"no {status} code")


CLEAN = _code("350100", "MA7A", Disagreements(), ("specialised",))
REVOKED = _first_with_status("350200", "MA7B", "revoked")
CANCELLED = _first_with_status("350300", "MA7C", "cancelled")
# Issued by 厦门's authority (350200), but the registry has the firm in 福州.
ELSEWHERE = _code("350200", "MA7D", Disagreements())
NEW = _code("350500", "MA7E", Disagreements())  # registered, no tax or social-insurance record yet
UNKNOWN = make_credit_code("9", "1", "350100", "MA7F0001")


def _firm(code: str, name: str, region: str, **changes: Any) -> dict[str, Any]:
    firm = {
        "credit_code": code,
        "name": name,
        "region_code": region,
        "industry_code": "34",
        "established_on": dt.date(2016, 4, 18),
        "employees": 45,
        "revenue": Decimal("18000000"),
        "total_assets": Decimal("26000000"),
        "tax_credit_grade": "A",
        "qualifications": [],
        "legal_representative": "林海",
    }
    return firm | changes


FIRMS = [
    _firm(CLEAN, "福州闽侯精工机械有限公司", "350100", qualifications=["specialised"]),
    _firm(REVOKED, "厦门海沧吊销测试有限公司", "350200"),
    _firm(CANCELLED, "莆田荔城注销测试有限公司", "350300"),
    _firm(ELSEWHERE, "福州仓山异地代码有限公司", "350100"),
    _firm(NEW, "泉州丰泽新设科技有限公司", "350500", established_on=dt.date.today()),
]
REGIONS = {firm["credit_code"]: firm["region_code"] for firm in FIRMS}


def valid_id(first17: str) -> str:
    """An ID number with these 17 digits and the right check character."""
    return first17 + id_check_char(first17)


def id_number(code: str) -> str:
    """The legal representative's ID number as the registry holds it."""
    return legal_rep_id_number(code, REGIONS[code])


@contextmanager
def identity_exchange(directory: Path) -> Iterator[ExchangeServer]:
    """The exchange with FIRMS, the NEW firm's tax and social-insurance records removed."""
    with running_exchange(FIRMS, directory) as server:
        engine = server.app.extensions["exchange"].engine
        with engine.begin() as conn:
            for table in ("tax_records", "social_insurance_months", "social_insurance_accounts"):
                conn.execute(text(f"DELETE FROM {table} WHERE credit_code = :c"), {"c": NEW})  # noqa: S608
        yield server


def registration(code: str = CLEAN, **overrides: Any) -> dict[str, Any]:
    """The registration form as the legal representative fills it in."""
    form = {
        "credit_code": code,
        "legal_rep_name": "林海",
        "legal_rep_id_number": id_number(code)
        if code in REGIONS
        else valid_id("35010219900101123"),
        "total_assets_wan": "2600",
        "qualifications": ["agricultural"],
        "full_name": "林晓",
        "email": "lin.xiao@minhou.example.com",
        "phone": "13800000000",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "consent": "y",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def point_app_at(app: Any, server: ExchangeServer | None) -> dict[str, Any]:
    """Configure the app for the exchange (None: no exchange); returns what to restore."""
    keys = ("EXCHANGE_URL", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET")
    saved = {key: app.config.get(key) for key in keys}
    if server is None:
        app.config.update(dict.fromkeys(keys, ""))
    else:
        app.config.update(
            EXCHANGE_URL=server.url,
            EXCHANGE_CLIENT_ID=server.client_id,
            EXCHANGE_CLIENT_SECRET=server.client_secret,
        )
    return saved
