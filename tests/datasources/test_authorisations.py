"""The firm's data authorisation and the banks' queries of its government data, over real HTTP
to the portal and from the portal to a real exchange service."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.authz.scoping import scoped
from portal.datasources import authorisations as services
from portal.datasources.client import reset_breakers
from portal.datasources.indicators import AMOUNT_BANDS, REVENUE_BANDS, band, derive
from portal.datasources.models import DataAuthorisation, DataQuery, FirmFact
from portal.datasources.sources import Source
from portal.db import utcnow
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs.models import FinancingNeed
from portal.needs.services import NeedInput, submit_need
from tests.exchange_server import ExchangeServer, firm_dict, running_exchange
from tests.factories import InstitutionFactory, UserFactory, published_product

DAY = dt.date(2026, 12, 6)


@dataclass
class Setting:
    """A firm with a need sent to two banks; bank A has accepted it, bank B has not."""

    firm_id: int
    firm_email: str
    credit_code: str
    need_id: int
    officers: dict[str, str]  # bank key -> officer email
    officer_names: dict[str, str]
    banks: dict[str, str]  # bank key -> name
    leads: dict[str, int]  # bank key -> lead id
    regulator: str


@pytest.fixture
def setting(app: Flask) -> Setting:
    with app.app_context():
        firm_user = UserFactory(role=Role.SME)
        officers, names, banks, products = {}, {}, {}, {}
        for key in ("A", "B"):
            bank = InstitutionFactory(short_name=f"查询银行{key}", name=f"查询银行{key}福州分行")
            officer = UserFactory(role=Role.BANK_OFFICER, institution=bank, full_name=f"经理{key}")
            products[key] = published_product(bank, f"{key}信用贷", "3.50").id
            officers[key], names[key], banks[key] = (
                officer.email,
                officer.full_name,
                bank.name,
            )
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        invalidate_catalogue_cache()
        firm = db.session.get(Firm, firm_user.firm_id)
        need = submit_need(
            firm_user,
            firm,
            NeedInput(
                amount=Decimal("800000"),
                term_months=12,
                purpose="采购原材料",
                guarantee_type=GuaranteeType.CREDIT,
                max_rate=None,
            ),
            "data-auth-need",
        )
        # The need form's consent granted the default authorisation (every source, 90 days).
        made = leads.apply_to_products(firm_user, need, [products["A"], products["B"]])
        by_bank = {lead.institution.name: lead for lead in made}
        lead_a, lead_b = by_bank[banks["A"]], by_bank[banks["B"]]
        leads.accept(db.session.scalar(select(User).where(User.email == officers["A"])), lead_a)
        return Setting(
            firm_id=firm.id,
            firm_email=firm_user.email,
            credit_code=firm.credit_code,
            need_id=need.id,
            officers=officers,
            officer_names=names,
            banks=banks,
            leads={"A": lead_a.id, "B": lead_b.id},
            regulator=regulator.email,
        )


@pytest.fixture
def exchange(app: Flask, setting: Setting, tmp_path: Path) -> Iterator[ExchangeServer]:
    """A real exchange that knows the firm, and the portal pointed at it for this test."""
    with app.app_context():
        firm = db.session.get(Firm, setting.firm_id)
        firms = [firm_dict(firm)]
    keys = ("EXCHANGE_URL", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET")
    before = {key: app.config.get(key) for key in keys}
    with running_exchange(firms, tmp_path) as server:
        app.config.update(
            EXCHANGE_URL=server.url,
            EXCHANGE_CLIENT_ID=server.client_id,
            EXCHANGE_CLIENT_SECRET=server.client_secret,
        )
        try:
            yield server
        finally:
            app.config.update(before)
            reset_breakers()


def ask(client, lead_id: int, source: str = "tax", purpose: str = "pre_loan"):
    return client.post(f"/bank/leads/{lead_id}/data", data={"source": source, "purpose": purpose})


def queries(app: Flask, firm_id: int) -> list[DataQuery]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(DataQuery).where(DataQuery.firm_id == firm_id).order_by(DataQuery.id)
            )
        )


def authorisations(app: Flask, firm_id: int) -> list[DataAuthorisation]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(DataAuthorisation)
                .where(DataAuthorisation.firm_id == firm_id)
                .order_by(DataAuthorisation.id)
            )
        )


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- the firm's authorisation -----------------------------------------------------------------


def test_the_grant_form_offers_every_source_derived_only_and_90_days(client, auth, setting):
    """The form's defaults: all five sources ticked, derived indicators, 90 days."""
    auth.login(setting.firm_email)
    page = text_of(client.get("/firm/data-authorisation"))
    assert len(re.findall(r'<input checked[^>]*name="sources"', page)) == 5
    assert re.search(r'<option selected value="derived">|<option value="derived" selected', page)
    assert 'value="90"' in page
    assert "授权有效" in page  # the fixture's authorisation


def test_granting_again_replaces_and_revoking_needs_the_confirmation(app, client, auth, setting):
    """A new grant ends the one in force; revoking asks first, then ends it; both audited."""
    auth.login(setting.firm_email)
    response = client.post(
        "/firm/data-authorisation",
        data={"sources": ["tax", "courts"], "scope": "full", "days": "30"},
    )
    assert response.status_code == 302
    first, second = authorisations(app, setting.firm_id)
    now = utcnow()
    assert first.valid_until <= now and first.revoked_at is None  # ended, not revoked
    assert second.sources == ["tax", "courts"] and second.full_records
    assert dt.timedelta(days=29, hours=23) < second.valid_until - now <= dt.timedelta(days=30)

    form = text_of(client.get("/firm/data-authorisation"))  # the next grant starts from this one
    assert re.findall(r'<input checked[^>]*value="([a-z_]+)"', form) == ["tax", "courts"]
    assert re.search(r'<option selected value="full">', form)

    asked = client.post("/firm/data-authorisation/revoke", data={})
    assert "我确认撤回数据授权" in text_of(asked)
    assert authorisations(app, setting.firm_id)[-1].revoked_at is None

    done = client.post(
        "/firm/data-authorisation/revoke", data={"confirmed": "y", "step": "confirm"}
    )
    assert done.status_code == 302
    assert authorisations(app, setting.firm_id)[-1].revoked_at is not None
    page = text_of(client.get("/firm/data-authorisation"))
    assert "授权已撤回" in page and "授权记录" in page
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.firm_id == setting.firm_id, AuditEntry.action.like("data.%")
            )
        ).all()
    assert sorted(actions) == ["data.authorise", "data.authorise", "data.revoke"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sources": ["tax"], "scope": "derived", "days": "0"}, "授权期限应在 1 至 365 天之间"),
        ({"sources": ["tax"], "scope": "derived", "days": "366"}, "授权期限应在 1 至 365 天之间"),
        ({"sources": ["tax"], "scope": "derived", "days": "九十"}, "请输入整数"),
        ({"scope": "derived", "days": "90"}, "请至少选择一类数据"),
        (
            {"sources": ["bank_statements"], "scope": "derived", "days": "90"},
            "所选项不在可选范围内",
        ),
    ],
)
def test_bad_grants_get_a_field_message_and_change_nothing(
    app, client, auth, setting, data, message
):
    """A period outside 1–365 days, no source or an unknown one: said beside the field."""
    auth.login(setting.firm_email)
    response = client.post("/firm/data-authorisation", data=data)
    assert response.status_code == 200 and message in text_of(response)
    assert len(authorisations(app, setting.firm_id)) == 1


def test_routing_requires_an_active_authorisation(app, setting):
    """require_authorisation: refused once revoked, allowed after a new grant."""
    with app.app_context():
        need = db.session.get(FinancingNeed, setting.need_id)
        firm = db.session.get(Firm, setting.firm_id)
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        assert services.require_authorisation(need).firm_id == firm.id
        services.revoke(user, firm)
        with pytest.raises(services.AuthorisationRequired, match="数据授权"):
            services.require_authorisation(need)
        services.grant(user, firm, ["tax"], days=1)
        assert services.require_authorisation(need).sources == ["tax"]


def test_a_revoked_authorisation_stops_every_way_of_routing(app, setting):
    """Applying, best-bank routing and the pool all refuse, with the message, and send nothing."""
    with app.app_context():
        need = db.session.get(FinancingNeed, setting.need_id)
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        services.revoke(user, db.session.get(Firm, setting.firm_id))
        before = db.session.scalar(select(func.count(Lead.id)))
        for route in (leads.route_best, leads.send_to_pool):
            need = db.session.get(FinancingNeed, setting.need_id)
            with pytest.raises(leads.LeadError, match="数据授权"):
                route(user, need)
        assert db.session.scalar(select(func.count(Lead.id))) == before


def test_the_need_form_consent_grants_the_default_authorisation(app, setting):
    """Submitting a need without an authorisation in force grants the default one."""
    with app.app_context():
        [granted] = db.session.scalars(
            select(DataAuthorisation).where(DataAuthorisation.firm_id == setting.firm_id)
        ).all()
        assert sorted(granted.sources) == sorted(s.value for s in Source)
        assert not granted.full_records


def test_the_need_page_and_the_need_form_show_the_authorisation(app, client, auth, setting):
    """The need page shows the state and links to the authorisation page."""
    auth.login(setting.firm_email)
    page = text_of(client.get(f"/firm/needs/{setting.need_id}"))
    assert "授权有效" in page and f"/firm/data-authorisation?need={setting.need_id}" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        services.revoke(user, db.session.get(Firm, setting.firm_id))
    form = text_of(client.get("/firm/needs/new"))
    assert "授权已撤回" in form and "立即授权" in form


# --- a bank's query ---------------------------------------------------------------------------


def test_a_query_shows_derived_indicators_not_the_returns(app, client, auth, setting, exchange):
    """Derived only: the bands and the grade, never the figures; recorded, audited, kept."""
    raw = exchange.get(f"/v1/firms/{setting.credit_code}/tax").json()["data"]
    auth.login(setting.officers["A"])
    response = ask(client, setting.leads["A"])
    page = text_of(response)
    assert response.status_code == 200
    assert band(Decimal(raw["tax_paid_12m"]), AMOUNT_BANDS) in page
    assert band(Decimal(raw["revenue"]), REVENUE_BANDS) in page
    assert f"{raw['credit_grade']} 级（{raw['grade_year']} 年度）" in page
    for figure in (raw["tax_paid_12m"], raw["tax_paid_24m"], raw["revenue"]):
        assert figure not in page
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.source, row.purpose) == ("ok", Source.TAX, "pre_loan")
    assert row.detail.startswith("TAX-")
    with app.app_context():
        fact = db.session.scalar(select(FirmFact).where(FirmFact.firm_id == setting.firm_id))
        assert fact.source == Source.TAX and fact.reference == row.detail
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "data.query"))
        assert entry.firm_id == setting.firm_id and entry.detail["outcome"] == "ok"


def test_a_query_shows_the_records_when_the_firm_authorised_them(
    app, client, auth, setting, exchange
):
    """Full records (the firm's choice): the figures themselves are shown."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        services.grant(user, db.session.get(Firm, setting.firm_id), ["tax"], full_records=True)
    raw = exchange.get(f"/v1/firms/{setting.credit_code}/tax").json()["data"]
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"], purpose="in_loan"))
    assert raw["tax_paid_12m"] in page and raw["revenue"] in page
    assert "近12个月纳税额（元）" in page
    assert queries(app, setting.firm_id)[-1].outcome == "ok"


def test_social_insurance_shows_the_latest_month_exactly(app, client, auth, setting, exchange):
    """参保 N 人 for the latest month, as the bureau has it."""
    months = exchange.get(f"/v1/firms/{setting.credit_code}/social-insurance").json()["data"]
    latest = months["months"][-1]
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"], source="social_insurance"))
    assert f"参保人数（{latest['month']}）" in page and f"{latest['insured']} 人" in page


def test_an_expired_authorisation_refuses_the_query(app, client, auth, setting, exchange):
    """Past its end: refused with the date it ended, and the refusal is recorded."""
    with app.app_context():
        db.session.execute(
            update(DataAuthorisation)
            .where(DataAuthorisation.firm_id == setting.firm_id)
            .values(valid_until=dt.datetime(2026, 1, 31, 16, 0, tzinfo=dt.UTC))
        )
        db.session.commit()
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"]))
    assert "企业的数据授权已于 2026-02-01 00:00 到期" in page
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.detail) == ("refused", "expired")
    assert row.authorisation_id is not None


def test_a_revoked_authorisation_refuses_the_query(app, client, auth, setting, exchange):
    """Revoked: refused with the day it was withdrawn, and recorded; nothing fetched."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        services.revoke(user, db.session.get(Firm, setting.firm_id))
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"]))
    assert re.search(r"企业的数据授权已于 \d{4}-\d\d-\d\d \d\d:\d\d 撤回", page)
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.detail) == ("refused", "revoked")
    with app.app_context():
        assert (
            db.session.scalar(select(FirmFact).where(FirmFact.firm_id == setting.firm_id)) is None
        )


def test_a_source_the_authorisation_does_not_cover_is_refused(app, client, auth, setting, exchange):
    """Authorised for tax only: a courts query is refused and recorded."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == setting.firm_email))
        services.grant(user, db.session.get(Firm, setting.firm_id), ["tax"])
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"], source="courts"))
    assert "企业的数据授权不包括“法院（失信与执行）”数据" in page
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.detail, row.source) == ("refused", "not_covered", Source.COURTS)


def test_a_lead_not_yet_accepted_is_refused(app, client, auth, setting, exchange):
    """Bank B has not accepted its lead: its query is refused and recorded."""
    auth.login(setting.officers["B"])
    page = text_of(ask(client, setting.leads["B"]))
    assert "受理该线索后才能查询企业的政务数据" in page
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.detail) == ("refused", "not_accepted")


def test_another_banks_lead_is_not_found(app, client, auth, setting, exchange):
    """Bank B asking through bank A's lead gets 404, and nothing is recorded."""
    auth.login(setting.officers["B"])
    assert client.get(f"/bank/leads/{setting.leads['A']}/data").status_code == 404
    assert ask(client, setting.leads["A"]).status_code == 404
    assert queries(app, setting.firm_id) == []


def test_the_exchange_down_fails_the_query_and_records_it(app, client, auth, setting, exchange):
    """The tax bureau down: the query failed, said so, recorded; no fact kept."""
    exchange.set_switches(fail=["tax"])
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"]))
    assert "“税务”数据源暂时无法访问" in page
    [row] = queries(app, setting.firm_id)
    assert (row.outcome, row.detail) == ("failed", "unavailable")
    with app.app_context():
        assert (
            db.session.scalar(select(FirmFact).where(FirmFact.firm_id == setting.firm_id)) is None
        )


def test_no_exchange_configured_fails_the_query(app, client, auth, setting):
    """Without an exchange the query fails with a message, recorded."""
    auth.login(setting.officers["A"])
    page = text_of(ask(client, setting.leads["A"]))
    assert "平台尚未接入政务数据共享平台" in page
    assert [(q.outcome, q.detail) for q in queries(app, setting.firm_id)] == [
        ("failed", "not_configured")
    ]


def test_a_bad_query_form_gets_field_messages(app, client, auth, setting, exchange):
    """An unknown source or purpose: said beside the field, nothing recorded."""
    auth.login(setting.officers["A"])
    response = ask(client, setting.leads["A"], source="bank_statements", purpose="curiosity")
    assert response.status_code == 200 and text_of(response).count("请从列表中选择") == 2
    assert queries(app, setting.firm_id) == []


def test_the_lead_page_offers_the_query_after_acceptance(client, auth, setting):
    """Bank A's accepted lead shows the section with its form; bank B's open lead does not."""
    auth.login(setting.officers["A"])
    page = text_of(client.get(f"/bank/leads/{setting.leads['A']}"))
    assert "查询政务数据" in page and f'action="/bank/leads/{setting.leads["A"]}/data"' in page
    auth.logout()
    auth.login(setting.officers["B"])
    assert "查询政务数据" not in text_of(client.get(f"/bank/leads/{setting.leads['B']}"))


# --- the record of queries ----------------------------------------------------------------------


def test_the_firm_sees_each_query_with_bank_officer_source_and_purpose(
    app, client, auth, setting, exchange
):
    """The "who viewed my data" page lists every query, the refused one too."""
    auth.login(setting.officers["A"])
    ask(client, setting.leads["A"], source="tax", purpose="pre_loan")
    ask(client, setting.leads["A"], source="courts", purpose="post_loan")
    auth.logout()
    auth.login(setting.officers["B"])
    ask(client, setting.leads["B"], source="registry", purpose="in_loan")
    auth.logout()

    auth.login(setting.firm_email)
    page = text_of(client.get("/firm/needs/viewers"))
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    cells = [re.sub(r"<[^>]+>|\s+", " ", row) for row in rows]
    expected = [
        (setting.banks["A"], setting.officer_names["A"], "税务", "贷前调查", "已查询"),
        (
            setting.banks["A"],
            setting.officer_names["A"],
            "法院（失信与执行）",
            "贷后管理",
            "已查询",
        ),
        (
            setting.banks["B"],
            setting.officer_names["B"],
            "市场监管（工商登记）",
            "贷中审查",
            "已拒绝",
        ),
    ]
    for bank, officer, source, purpose, outcome in expected:
        assert any(
            all(part in row for part in (bank, officer, source, purpose, outcome)) for row in cells
        )
    full = text_of(client.get("/firm/data-queries"))
    assert full.count(setting.officer_names["A"]) == 2


def test_each_reader_sees_only_the_queries_it_may(app, client, auth, setting, exchange):
    """A bank its own queries; the regulator all (read only); another firm none."""
    auth.login(setting.officers["A"])
    ask(client, setting.leads["A"])
    auth.logout()
    auth.login(setting.officers["B"])
    ask(client, setting.leads["B"])
    auth.logout()
    with app.app_context():
        other_firm = UserFactory(role=Role.SME)
        db.session.commit()
        people = {
            key: db.session.scalar(select(User).where(User.email == email))
            for key, email in setting.officers.items()
        }

        def seen(actor: User) -> list[str]:
            statement = scoped(select(DataQuery.detail), DataQuery, actor)
            return sorted(db.session.scalars(statement).all(), key=str)

        assert len(seen(people["A"])) == 1 and seen(people["A"])[0].startswith("TAX-")
        assert seen(people["B"]) == ["not_accepted"]
        assert seen(other_firm) == []
        regulator = db.session.scalar(select(User).where(User.email == setting.regulator))
        assert len(seen(regulator)) == 2
    auth.login(setting.regulator)
    page = text_of(client.get("/supervision/data-queries"))
    assert setting.banks["A"] in page and setting.banks["B"] in page


# --- derived indicators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "10 万元以下"),
        ("99999.99", "10 万元以下"),
        ("100000", "10–50 万元"),
        ("499999.99", "10–50 万元"),
        ("500000", "50–100 万元"),
        ("1000000", "100–500 万元"),
        ("4999999", "100–500 万元"),
        ("5000000", "500 万元以上"),
    ],
)
def test_tax_paid_bands(app, amount, expected):
    """Each band includes its lower bound and excludes its upper one."""
    with app.test_request_context():
        found = dict(derive(Source.TAX, {"tax_paid_12m": amount}, DAY))
        assert found["近12个月纳税额"] == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("4999999", "500 万元以下"),
        ("5000000", "500–2000 万元"),
        ("20000000", "2000 万元–1 亿元"),
        ("100000000", "1–4 亿元"),
        ("400000000", "4 亿元以上"),
    ],
)
def test_revenue_bands(app, amount, expected):
    with app.test_request_context():
        assert dict(derive(Source.TAX, {"revenue": amount}, DAY))["上年营业收入"] == expected


def test_tax_grade_is_shown_as_is(app):
    with app.test_request_context():
        found = dict(derive(Source.TAX, {"credit_grade": "B", "grade_year": 2025}, DAY))
        assert found == {"纳税信用等级": "B 级（2025 年度）"}


def test_registry_status_and_years(app):
    """The status in words and the completed years since establishment."""
    with app.test_request_context():
        data = {"status": "revoked", "established_on": "2018-12-07", "registered_capital": "1"}
        assert derive(Source.REGISTRY, data, DAY) == [("登记状态", "吊销"), ("成立年限", "7 年")]
        data["established_on"] = "2018-12-06"
        assert dict(derive(Source.REGISTRY, data, DAY))["成立年限"] == "8 年"


def test_social_insurance_latest_month(app):
    with app.test_request_context():
        data = {
            "months": [{"month": "2026-10", "insured": 44}, {"month": "2026-11", "insured": 45}]
        }
        assert derive(Source.SOCIAL_INSURANCE, data, DAY) == [("参保人数（2026-11）", "45 人")]
        assert derive(Source.SOCIAL_INSURANCE, {"months": []}, DAY) == []


def test_qualifications_valid_or_expired(app):
    with app.test_request_context():
        data = {
            "items": [
                {"kind": "specialised", "certificate_no": "ZJTX1", "valid_to": "2026-12-05"},
                {"kind": "high_tech", "certificate_no": "GR1", "valid_to": "2026-12-06"},
            ]
        }
        assert derive(Source.QUALIFICATIONS, data, DAY) == [
            ("专精特新", "已过期"),
            ("高新技术企业", "有效"),
        ]
        assert derive(Source.QUALIFICATIONS, {"items": []}, DAY) == [("资质认定", "无在册资质")]


def test_courts_dishonesty_and_open_cases(app):
    """失信 有/无, the open cases counted and their amounts banded; closed cases left out."""
    with app.test_request_context():
        data = {
            "dishonest": True,
            "cases": [
                {"case_no": "1", "amount": "300000", "status": "open"},
                {"case_no": "2", "amount": "400000", "status": "open"},
                {"case_no": "3", "amount": "9000000", "status": "closed"},
            ],
        }
        assert derive(Source.COURTS, data, DAY) == [
            ("失信被执行人记录", "有"),
            ("未结执行案件", "2 件"),
            ("未结执行金额", "50–100 万元"),
        ]
        clean = derive(Source.COURTS, {"dishonest": False, "cases": []}, DAY)
        assert clean == [("失信被执行人记录", "无"), ("未结执行案件", "0 件")]


def test_malformed_values_are_left_out(app):
    """A figure that is not one gives no indicator rather than a wrong one or an error."""
    with app.test_request_context():
        assert derive(Source.TAX, {"tax_paid_12m": "lots", "revenue": None}, DAY) == []
        assert derive(Source.REGISTRY, {"established_on": "someday"}, DAY) == []
        assert derive(Source.COURTS, {"cases": "none"}, DAY) == []
