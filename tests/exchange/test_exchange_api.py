"""The stand-in government data exchange, through real HTTP, against docs/exchange-api.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, event, func, insert, select

from exchange.config import from_environment
from exchange.disagreements import (
    DEMO_DISAGREEMENTS,
    DISHONEST_RATE,
    ENFORCEMENT_RATE,
    LOWER_TAX_GRADE_RATE,
    QUALIFICATION_RATE,
    disagreements_for,
)
from exchange.generate import extra_firm, government_records
from exchange.models import Base, RegistryFirm
from exchange.signing import canonical_request, sign, signed_headers
from exchange.standards import make_credit_code as exchange_make_credit_code
from portal.firms.models import Firm
from portal.firms.standards import make_credit_code, validate_credit_code
from tests.exchange.conftest import AS_OF
from tests.exchange_server import ExchangeServer, demo_firms, seed_exchange

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("registry", "tax", "social-insurance", "qualifications", "courts")
DEMO = {firm["name"]: firm for firm in demo_firms()}
SME = DEMO["福州闽江精密机械有限公司"]  # the firm of sme@demo.local
UNKNOWN_CODE = make_credit_code("9", "1", "350100", "MA2D9999")


def _code(name: str) -> str:
    return DEMO[name]["credit_code"]


def _envelope(exchange: ExchangeServer, code: str, source: str) -> dict[str, Any]:
    response = exchange.get(f"/v1/firms/{code}/{source}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"source", "credit_code", "as_of", "reference", "data"}
    assert (body["source"], body["credit_code"]) == (source, code)
    return body


# ---------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------


def test_registry_envelope_agrees_with_the_declaration(exchange: ExchangeServer) -> None:
    """The registry gives the firm's own name, place, industry and representative, 存续."""
    body = _envelope(exchange, SME["credit_code"], "registry")
    data = body["data"]
    assert body["as_of"] == AS_OF.isoformat()
    assert body["reference"].startswith("REG-350100-2026-")
    assert data["name"] == SME["name"]
    assert data["legal_representative"] == "陈国栋"
    assert (data["region_code"], data["industry_code"]) == ("350100", "34")
    assert data["established_on"] == "2015-04-18"
    assert data["status"] == "active"
    assert Decimal(data["registered_capital"]) >= Decimal("100000.00")
    assert data["registered_capital"].endswith(".00")
    assert "legal_rep_id_number" not in data


def test_tax_envelope(exchange: ExchangeServer) -> None:
    """Tax: the declared grade, last year's grades, revenue within 4% of the declared one."""
    body = _envelope(exchange, SME["credit_code"], "tax")
    data = body["data"]
    assert body["as_of"] == "2026-11-30"  # returns are complete up to last month's end
    assert data["credit_grade"] == "A"
    assert data["grade_year"] == 2025
    revenue = Decimal(data["revenue"])
    assert abs(revenue - SME["revenue"]) <= SME["revenue"] * Decimal("0.04")
    assert Decimal("0") < Decimal(data["tax_paid_12m"]) < Decimal(data["tax_paid_24m"])


def test_social_insurance_envelope(exchange: ExchangeServer) -> None:
    """Twelve months, oldest first, ending last month, about the declared headcount."""
    data = _envelope(exchange, SME["credit_code"], "social-insurance")["data"]
    months = [item["month"] for item in data["months"]]
    assert months == [f"2025-{12:02d}"] + [f"2026-{m:02d}" for m in range(1, 12)]
    for item in data["months"]:
        assert SME["employees"] * 0.85 <= item["insured"] <= SME["employees"] * 1.03


def test_qualifications_envelope(exchange: ExchangeServer) -> None:
    """Every declared listed qualification has a certificate valid on the as-of day."""
    data = _envelope(exchange, SME["credit_code"], "qualifications")["data"]
    assert {item["kind"] for item in data["items"]} == {"specialised", "high_tech"}
    for item in data["items"]:
        assert item["valid_from"] <= AS_OF.isoformat() <= item["valid_to"]
        assert item["certificate_no"]


def test_courts_envelope(exchange: ExchangeServer) -> None:
    """The SME demo firm has no 失信 record and no case at all."""
    data = _envelope(exchange, SME["credit_code"], "courts")["data"]
    assert data == {"dishonest": False, "cases": []}


def test_named_demo_disagreements(exchange: ExchangeServer) -> None:
    """The four demo firms the doc names each disagree in their one named way."""
    tax = _envelope(exchange, _code("厦门鹭岛光电科技有限公司"), "tax")["data"]
    assert tax["credit_grade"] == "B"  # declared A
    courts = _envelope(exchange, _code("莆田城厢建筑装饰工程有限公司"), "courts")["data"]
    assert courts["dishonest"] is True
    assert any(case["status"] == "open" for case in courts["cases"])
    items = _envelope(exchange, _code("泉州晋江鞋服科技有限公司"), "qualifications")["data"]
    assert [item["kind"] for item in items["items"]] == ["specialised"]
    assert items["items"][0]["valid_to"] < AS_OF.isoformat()
    registry = _envelope(exchange, _code("漳州芗城花卉园艺有限公司"), "registry")["data"]
    assert registry["status"] == "revoked"


def test_other_demo_firms_agree(exchange: ExchangeServer) -> None:
    """Apart from the named four, every demo firm is 存续 with its declared grade and no cases."""
    named = set(DEMO_DISAGREEMENTS)
    codes = [firm["credit_code"] for firm in DEMO.values() if firm["credit_code"] not in named]
    results = exchange.post(
        "/v1/bulk", {"codes": codes, "sources": ["registry", "tax", "courts"]}
    ).json()["results"]
    for firm in DEMO.values():
        if firm["credit_code"] in named:
            continue
        entry = results[firm["credit_code"]]
        assert entry["registry"]["data"]["status"] == "active"
        assert entry["tax"]["data"]["credit_grade"] == firm["tax_credit_grade"]
        assert entry["courts"]["data"] == {"dishonest": False, "cases": []}


def test_demo_codes_match_the_portal_demo_seed() -> None:
    """The exchange's list of named demo firms names firms the portal's demo seed really has."""
    for code, (name, _) in DEMO_DISAGREEMENTS.items():
        assert DEMO[name]["credit_code"] == code


def test_unknown_code_and_source_are_not_found(exchange: ExchangeServer) -> None:
    """A code the registry does not know, or a source that does not exist, answers 404 JSON."""
    for path in (f"/v1/firms/{UNKNOWN_CODE}/tax", f"/v1/firms/{SME['credit_code']}/banks"):
        response = exchange.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "not_found"}


# ---------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------


def _raw_get(
    exchange: ExchangeServer, path: str, headers: dict[str, str], query: str = ""
) -> requests.Response:
    url = exchange.url + path + (f"?{query}" if query else "")
    return requests.get(url, headers=headers, timeout=10)


def _headers(
    exchange: ExchangeServer,
    path: str,
    *,
    client: str = "portal",
    secret: str | None = None,
    timestamp: int | None = None,
    query: str = "",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    canonical = canonical_request("GET", path, query, stamp, b"")
    signature = sign(secret or exchange.client_secret, canonical)
    return {"X-Client-Id": client, "X-Timestamp": stamp, "X-Signature": signature}


def test_canonical_request_matches_the_doc_example() -> None:
    """The canonical string is the five lines the contract shows."""
    canonical = canonical_request("get", "/v1/firms/91350100M000100Y43/tax", "", "1764979200", b"")
    assert canonical == (
        "GET\n/v1/firms/91350100M000100Y43/tax\n\n1764979200\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_signed_request_with_a_query_string_is_accepted(exchange: ExchangeServer) -> None:
    """The query string as sent is part of what is signed."""
    path = f"/v1/firms/{SME['credit_code']}/tax"
    assert _raw_get(exchange, path, _headers(exchange, path, query="a=1"), "a=1").status_code == 200
    assert _raw_get(exchange, path, _headers(exchange, path, query="a=1"), "a=2").status_code == 401


@pytest.mark.parametrize(
    "change",
    ["missing", "wrong_secret", "unknown_client", "stale", "future", "not_a_number", "other_path"],
)
def test_bad_signatures_are_unauthorised(exchange: ExchangeServer, change: str) -> None:
    """A missing or wrong signature, an unknown client or a stale timestamp answers 401."""
    path = f"/v1/firms/{SME['credit_code']}/registry"
    now = int(time.time())
    headers = {
        "missing": {},
        "wrong_secret": _headers(exchange, path, secret="not-the-secret"),
        "unknown_client": _headers(exchange, path, client="stranger"),
        "stale": _headers(exchange, path, timestamp=now - 301),
        "future": _headers(exchange, path, timestamp=now + 301),
        "not_a_number": _headers(exchange, path) | {"X-Timestamp": "soon"},
        "other_path": _headers(exchange, f"/v1/firms/{SME['credit_code']}/tax"),
    }[change]
    response = _raw_get(exchange, path, headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorised"}


def test_timestamp_within_the_window_is_accepted(exchange: ExchangeServer) -> None:
    """A clock 290 s behind the exchange's is still within the 300 s window."""
    path = f"/v1/firms/{SME['credit_code']}/registry"
    headers = _headers(exchange, path, timestamp=int(time.time()) - 290)
    assert _raw_get(exchange, path, headers).status_code == 200


def test_tampered_body_is_unauthorised(exchange: ExchangeServer) -> None:
    """The body's hash is signed: a body changed after signing is refused."""
    body = json.dumps({"codes": [SME["credit_code"]], "sources": ["tax"]}).encode()
    headers = exchange.headers("POST", "/v1/bulk", body=body)
    tampered = body.replace(b"tax", b"courts")
    response = requests.post(exchange.url + "/v1/bulk", data=tampered, headers=headers, timeout=10)
    assert response.status_code == 401


def test_unknown_paths_need_a_signature_too(exchange: ExchangeServer) -> None:
    """Without a signature nothing is revealed, not even which paths exist."""
    assert requests.get(exchange.url + "/v1/nothing", timeout=10).status_code == 401
    assert exchange.get("/v1/nothing").status_code == 404


# ---------------------------------------------------------------------------
# Switches and health
# ---------------------------------------------------------------------------


def test_health_needs_no_signature_and_shows_each_source(fresh_exchange: ExchangeServer) -> None:
    """/health lists every source up, and a failed one down."""
    health = requests.get(fresh_exchange.url + "/health", timeout=10).json()
    assert health == {"status": "ok", "sources": dict.fromkeys(SOURCES, "up")}
    fresh_exchange.set_switches(fail=["tax"])
    health = requests.get(fresh_exchange.url + "/health", timeout=10).json()
    assert health["sources"]["tax"] == "down"
    assert health["sources"]["registry"] == "up"


def test_failed_source_answers_503(fresh_exchange: ExchangeServer) -> None:
    """A source switched off answers 503 with its name; the others still answer."""
    fresh_exchange.set_switches(fail=["tax"])
    response = fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/tax")
    assert response.status_code == 503
    assert response.json() == {"error": "unavailable", "source": "tax"}
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/registry").status_code == 200
    fresh_exchange.set_switches(fail=[])
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/tax").status_code == 200


def test_latency_switch_slows_only_its_source(fresh_exchange: ExchangeServer) -> None:
    """A latency of 400 ms on tax delays tax answers by at least that, and no other source."""
    fresh_exchange.set_switches(latency_ms={"tax": 400})
    started = time.perf_counter()
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/tax").status_code == 200
    assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/courts").status_code == 200
    assert time.perf_counter() - started < 0.4


def test_client_timeout_meets_a_slow_source(fresh_exchange: ExchangeServer) -> None:
    """A client with a shorter timeout than the latency times out, as the portal's would."""
    fresh_exchange.set_switches(latency_ms={"courts": 1500})
    path = f"/v1/firms/{SME['credit_code']}/courts"
    with pytest.raises(requests.Timeout):
        requests.get(
            fresh_exchange.url + path, headers=fresh_exchange.headers("GET", path), timeout=0.3
        )


def test_switches_need_the_admin_key(fresh_exchange: ExchangeServer) -> None:
    """Without the admin key, or with a wrong one, the switches stay as they are."""
    for headers in ({}, {"X-Admin-Key": "guess"}):
        response = requests.put(
            fresh_exchange.url + "/admin/switches",
            json={"fail": ["tax"]},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 401
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/tax").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"fail": ["bank"]}, {"fail": "tax"}, {"latency_ms": {"tax": -1}}, {"latency_ms": [1]}, []],
)
def test_bad_switches_are_refused(fresh_exchange: ExchangeServer, body: Any) -> None:
    """Unknown sources, negative latency and malformed bodies answer 400 and change nothing."""
    response = requests.put(
        fresh_exchange.url + "/admin/switches",
        json=body,
        headers={"X-Admin-Key": fresh_exchange.admin_key},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert fresh_exchange.get(f"/v1/firms/{SME['credit_code']}/tax").status_code == 200


def test_switches_from_the_environment() -> None:
    """EXCHANGE_FAIL, EXCHANGE_LATENCY_MS and EXCHANGE_CLIENTS are read as the doc writes them."""
    settings = from_environment(
        {"EXCHANGE_FAIL": "tax, courts", "EXCHANGE_LATENCY_MS": "tax:400,courts:50"}
    )
    assert settings["FAIL"] == ["tax", "courts"]
    assert settings["LATENCY_MS"] == {"tax": 400, "courts": 50}
    assert from_environment({"EXCHANGE_CLIENTS": "portal:s1,other:s:2"})["CLIENTS"] == {
        "portal": "s1",
        "other": "s:2",
    }


# ---------------------------------------------------------------------------
# Bulk
# ---------------------------------------------------------------------------


def test_bulk_answers_each_code_and_source(exchange: ExchangeServer) -> None:
    """Known codes get envelopes equal to the single reads; unknown ones not_found per source."""
    codes = [SME["credit_code"], UNKNOWN_CODE, _code("厦门鹭岛光电科技有限公司")]
    response = exchange.post("/v1/bulk", {"codes": codes, "sources": ["registry", "tax"]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert list(results) == codes
    assert results[UNKNOWN_CODE] == {
        "registry": {"error": "not_found"},
        "tax": {"error": "not_found"},
    }
    assert results[SME["credit_code"]]["tax"] == _envelope(exchange, SME["credit_code"], "tax")
    assert set(results[codes[2]]) == {"registry", "tax"}


def test_bulk_reads_a_thousand_codes_with_a_few_queries(exchange: ExchangeServer) -> None:
    """1,000 codes × 5 sources cost at most two IN queries per source, not one per code."""
    codes = [firm["credit_code"] for firm in DEMO.values()]
    codes += [make_credit_code("9", "1", "350100", f"MA7{n:05d}") for n in range(1000 - len(codes))]
    statements: list[str] = []
    engine = exchange.app.extensions["exchange"].engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = exchange.post("/v1/bulk", {"codes": codes, "sources": list(SOURCES)})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1000
    assert results[SME["credit_code"]]["social-insurance"]["data"]["months"]
    assert len(statements) <= 8


def test_bulk_refuses_more_than_a_thousand_codes(exchange: ExchangeServer) -> None:
    """The limit is 1,000 codes; past it, and for unknown sources, the answer is 400."""
    codes = [f"C{n}" for n in range(1001)]
    assert exchange.post("/v1/bulk", {"codes": codes, "sources": ["tax"]}).status_code == 400
    bad = exchange.post("/v1/bulk", {"codes": ["x"], "sources": ["banks"]})
    assert bad.status_code == 400
    assert bad.json()["error"] == "bad_request"
    assert exchange.post("/v1/bulk", ["x"]).status_code == 400


def test_bulk_with_a_failed_source(fresh_exchange: ExchangeServer) -> None:
    """A source that is down is marked unavailable in each entry; the others still answer."""
    fresh_exchange.set_switches(fail=["courts"])
    response = fresh_exchange.post(
        "/v1/bulk", {"codes": [SME["credit_code"]], "sources": ["tax", "courts"]}
    )
    entry = response.json()["results"][SME["credit_code"]]
    assert entry["courts"] == {"error": "unavailable", "source": "courts"}
    assert entry["tax"]["data"]["credit_grade"] == "A"


# ---------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------


def _registered_id_number(exchange: ExchangeServer, code: str) -> str:
    engine = create_engine(exchange.database_url)
    with engine.connect() as conn:
        number = conn.scalar(
            select(RegistryFirm.legal_rep_id_number).where(RegistryFirm.credit_code == code)
        )
    engine.dispose()
    return number


def test_identity_verify(exchange: ExchangeServer) -> None:
    """The right name and ID match; a wrong name, a wrong number or an unknown code do not."""
    code = SME["credit_code"]
    number = _registered_id_number(exchange, code)
    wrong = number[:-2] + ("0" if number[-2] != "0" else "1") + number[-1]

    def verify(credit_code: str, name: str, id_number: str) -> dict[str, Any]:
        payload = {"credit_code": credit_code, "name": name, "id_number": id_number}
        response = exchange.post("/v1/identity/verify", payload)
        assert response.status_code == 200
        return response.json()

    assert verify(code, "陈国栋", number) == {"match": True}
    assert verify(code, " 陈国栋 ", number.lower()) == {"match": True}
    assert verify(code, "陈志明", number) == {"match": False, "reason": "name"}
    assert verify(code, "陈国栋", wrong) == {"match": False, "reason": "id_number"}
    assert verify(UNKNOWN_CODE, "陈国栋", number) == {"match": False, "reason": "not_found"}


def test_identity_verify_needs_every_field(exchange: ExchangeServer) -> None:
    """A missing field is a bad request, not a mismatch."""
    response = exchange.post("/v1/identity/verify", {"credit_code": SME["credit_code"]})
    assert response.status_code == 400


def test_identity_verify_waits_for_the_registry(fresh_exchange: ExchangeServer) -> None:
    """Identity comes from the registry: with the registry down the check answers 503."""
    fresh_exchange.set_switches(fail=["registry"])
    payload = {"credit_code": SME["credit_code"], "name": "陈国栋", "id_number": "1" * 18}
    response = fresh_exchange.post("/v1/identity/verify", payload)
    assert response.status_code == 503
    assert response.json() == {"error": "unavailable", "source": "registry"}


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def _gb11643_valid(number: str) -> bool:
    """GB 11643-1999 from the standard's own table, independent of the exchange's code."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], weights, strict=True))
    return len(number) == 18 and number[17] == "10X98765432"[total % 11]


def test_same_code_same_records() -> None:
    """Generation depends only on the firm and the day: two calls agree exactly."""
    for firm in [*demo_firms()[:10], extra_firm(1), extra_firm(2)]:
        assert government_records(firm, AS_OF) == government_records(dict(firm), AS_OF)
    assert extra_firm(7) == extra_firm(7)
    assert extra_firm(7)["credit_code"] != extra_firm(8)["credit_code"]


def test_two_seeds_write_the_same_rows(tmp_path: Path) -> None:
    """Seeding the same firms twice, in another order, gives the same rows in every table."""
    firms = demo_firms()

    def dump(name: str, ordered: list[dict[str, Any]]) -> dict[str, list[tuple]]:
        url = f"sqlite:///{tmp_path / name}"
        seed_exchange(url, ordered, extra=3, as_of=AS_OF)
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = {
                table.name: sorted(tuple(row) for row in conn.execute(select(table)))
                for table in Base.metadata.sorted_tables
            }
        engine.dispose()
        return tables

    assert dump("a.sqlite3", firms) == dump("b.sqlite3", list(reversed(firms)))


def test_check_digits_are_valid(exchange: ExchangeServer) -> None:
    """Every ID number passes GB 11643, every registry code the portal's GB 32100 validator."""
    engine = create_engine(exchange.database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(RegistryFirm.credit_code, RegistryFirm.legal_rep_id_number))
        rows = rows.all()
    engine.dispose()
    assert len(rows) == len(DEMO) + 5
    for code, number in rows:
        assert validate_credit_code(code) == code
        assert _gb11643_valid(number), number


def test_credit_codes_agree_with_the_portal_algorithm() -> None:
    """The exchange's own make_credit_code gives the portal's codes for the same parts."""
    for n in range(300):
        body = f"{n * 7919 % 100_000_000:08d}" if n % 2 else f"MA{n:06d}"
        region = ("350100", "350200", "350582")[n % 3]
        assert exchange_make_credit_code("9", "1", region, body) == make_credit_code(
            "9", "1", region, body
        )


def test_disagreement_rates() -> None:
    """Over 40,000 made-up codes the disagreements come at the documented rates."""
    codes = [make_credit_code("9", "1", "350100", f"MA6{n:05d}") for n in range(40_000)]
    drawn = [disagreements_for(code, ["high_tech"]) for code in codes]

    def share(test: Any) -> float:
        return sum(1 for differ in drawn if test(differ)) / len(drawn)

    assert share(lambda d: d.lower_tax_grade) == pytest.approx(LOWER_TAX_GRADE_RATE, abs=0.005)
    assert share(lambda d: d.dishonest) == pytest.approx(DISHONEST_RATE, abs=0.003)
    assert share(lambda d: d.enforcement) == pytest.approx(ENFORCEMENT_RATE, abs=0.004)
    assert share(lambda d: d.status != "active") == pytest.approx(0.01, abs=0.003)
    assert share(lambda d: d.qualification) == pytest.approx(QUALIFICATION_RATE, abs=0.005)


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def _portal_like_db(path: Path) -> str:
    """A SQLite file with the portal's real `firms` table, holding the demo firms and 20 more."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    Firm.__table__.create(engine)
    rows = demo_firms() + [
        {
            **extra,
            "credit_code": make_credit_code("9", "1", "350500", f"MA3{n:05d}"),
            "legal_representative": None,
            "tax_credit_grade": "B",
            "qualifications": ["tech_sme"],
        }
        for n, extra in enumerate((extra_firm(100 + n) for n in range(20)), start=1)
    ]
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Firm.__table__),
            [row | {"size_class": "small", "created_at": now, "updated_at": now} for row in rows],
        )
    engine.dispose()
    return url


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (this interpreter running our own module)
        [sys.executable, "-m", "exchange", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_from_a_portal_database(tmp_path: Path) -> None:
    """`seed` reads the portal's firms and adds extras; `demo-identities` lists the extras."""
    portal_url = _portal_like_db(tmp_path / "portal.sqlite3")
    exchange_url = f"sqlite:///{tmp_path / 'exchange.sqlite3'}"
    env = os.environ | {"EXCHANGE_DATABASE_URL": exchange_url}
    seeded = _run(
        "seed", "--from-portal-db", portal_url, "--extra", "4", "--as-of", "2026-12-05", env=env
    )
    assert seeded.returncode == 0, seeded.stderr
    assert f"{len(DEMO) + 20} firms from the portal, 4 registry-only firms" in seeded.stdout
    engine = create_engine(exchange_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RegistryFirm)) == len(DEMO) + 24
    engine.dispose()
    listed = _run("demo-identities", "--count", "3", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()[1:]  # under a header line
    assert len(lines) == 3
    for line, index in zip(lines, (1, 2, 3), strict=True):
        code, name, _rep, number, _status = line.split()
        assert (code, name) == (extra_firm(index)["credit_code"], extra_firm(index)["name"])
        assert _gb11643_valid(number)


def test_seed_leaves_the_portal_database_alone(tmp_path: Path) -> None:
    """The portal's file is opened read-only: its bytes are the same after a seed."""
    portal_file = tmp_path / "portal.sqlite3"
    portal_url = _portal_like_db(portal_file)
    before = portal_file.read_bytes()
    env = os.environ | {"EXCHANGE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    assert _run("seed", "--from-portal-db", portal_url, "--extra", "0", env=env).returncode == 0
    assert portal_file.read_bytes() == before


def test_serve_command_answers_over_http(tmp_path: Path) -> None:
    """`python -m exchange serve` serves the seeded data on the given port."""
    exchange_url = f"sqlite:///{tmp_path / 'exchange.sqlite3'}"
    seed_exchange(exchange_url, demo_firms()[:3], as_of=AS_OF)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "EXCHANGE_DATABASE_URL": exchange_url,
        "EXCHANGE_CLIENTS": "portal:cli-secret",
        "EXCHANGE_FAIL": "courts",
    }
    server = subprocess.Popen(  # noqa: S603  (this interpreter running our own module)
        [sys.executable, "-m", "exchange", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_for(base + "/health")
        assert health["sources"]["courts"] == "down"
        path = f"/v1/firms/{SME['credit_code']}/registry"
        headers = signed_headers("portal", "cli-secret", "GET", path)
        assert (
            requests.get(base + path, headers=headers, timeout=10).json()["data"]["name"]
            == SME["name"]
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(url: str) -> dict[str, Any]:
    """Poll until the server answers, for at most 15 s."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return requests.get(url, timeout=1).json()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_exchange_never_imports_the_portal() -> None:
    """The exchange is a separate system: loading all of it pulls in no portal module."""
    code = (
        "import sys, exchange.app, exchange.seed, exchange.__main__\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'portal'], 'portal imported'"
    )
    result = subprocess.run(  # noqa: S603  (this interpreter running a fixed snippet)
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
