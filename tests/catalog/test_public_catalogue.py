"""The public catalogue: product and policy lists, their filters, and the detail pages."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from portal.catalog import pricing
from portal.catalog.models import BankProduct, PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.enums import (
    BenefitKind,
    OnboardingStatus,
    PolicyKind,
    ProductKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.lpr import LprRate
from portal.rules import describe_rule
from tests.factories import AgencyFactory, InstitutionFactory, UserFactory

WAN = Decimal(10000)
PUBLISHED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CARD_TITLE = re.compile(r'<h3 class="card__title" id="product-\d+"><a href="[^"]+">([^<]+)</a>')
POLICY_ROW = re.compile(r'<th scope="row">\s*<a href="/policies/\d+">([^<]+)</a>')

TECH = "科技成长贷"
CREDIT = "经营信用贷"
MORTGAGE = "安居抵押贷"
FORESTRY = "林农贷"
GUARANTEED = "担保通"
VISIBLE = {TECH, CREDIT, MORTGAGE, FORESTRY, GUARANTEED}

CREDIT_ELIGIBILITY = 'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"]'
CREDIT_INSTANT = 'tax_credit_grade == "A" and amount <= 1000000'


def _product(bank: Any, name: str, kind: ProductKind, day: int, **fields: Any) -> BankProduct:
    amount = fields.pop("amount_wan")
    term = fields.pop("term")
    rate = fields.pop("rate")
    product = BankProduct(
        institution=bank,
        name=name,
        kind=kind,
        summary=fields.pop("summary", ""),
        min_amount=amount[0] * WAN,
        max_amount=amount[1] * WAN,
        min_term_months=term[0],
        max_term_months=term[1],
        min_rate=Decimal(rate[0]),
        max_rate=Decimal(rate[1]),
        guarantee_types=fields.pop("guarantees"),
        region_codes=fields.pop("regions", []),
        status=fields.pop("status", ProductStatus.PUBLISHED),
        published_at=PUBLISHED + dt.timedelta(days=day),
        **fields,
    )
    db.session.add(product)
    db.session.flush()
    return product


def _policy(agency: Any, slug: str, title: str, **fields: Any) -> PolicyProduct:
    rules = fields.pop("rules")
    policy = PolicyProduct(
        slug=slug,
        title=title,
        agency=agency,
        kind=fields.pop("kind", PolicyKind.INTEREST_SUBSIDY),
        summary=fields.pop("summary", ""),
        source_document=fields.pop("source_document", "闽金融〔2025〕1号"),
        source_date=dt.date(2025, 1, 10),
        status=fields.pop("status", ProductStatus.PUBLISHED),
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility=rules[0], formula=rules[1])
    return policy


@pytest.fixture
def catalogue(app: Flask) -> dict[str, int]:
    """A small catalogue: two approved banks, one suspended, policies live, expired and draft."""
    today = today_in_china()
    with app.app_context():
        haixia = InstitutionFactory(name="闽海银行福建分行", short_name="闽海银行")
        rural = InstitutionFactory(name="山海农村商业银行", short_name="山海农商")
        suspended = InstitutionFactory(
            name="暂停银行福建分行",
            short_name="暂停银行",
            onboarding_status=OnboardingStatus.SUSPENDED,
        )
        fin = AgencyFactory(name="福建省地方金融监督管理局", short_name="省金融局")
        city = AgencyFactory(name="福州市财政局", short_name="福州财政")

        tech = _product(
            haixia,
            TECH,
            ProductKind.TECH_CREDIT,
            1,
            summary="面向高新技术企业的信用贷款。",
            amount_wan=(50, 1000),
            term=(12, 36),
            rate=("3.60", "4.50"),
            guarantees=["credit", "pledge"],
        )
        credit = _product(
            haixia,
            CREDIT,
            ProductKind.CREDIT,
            2,
            summary="按纳税数据核定额度。",
            amount_wan=(10, 600),
            term=(12, 24),
            rate=("4.35", "5.00"),
            guarantees=["credit"],
            regions=["350100"],
        )
        mortgage = _product(
            rural,
            MORTGAGE,
            ProductKind.MORTGAGE,
            3,
            amount_wan=(100, 2000),
            term=(12, 60),
            rate=("3.20", "4.00"),
            guarantees=["mortgage"],
            regions=["350200"],
        )
        forestry = _product(
            rural,
            FORESTRY,
            ProductKind.FORESTRY,
            4,
            summary="支持林下经济和林业科技项目。",
            amount_wan=(5, 100),
            term=(6, 12),
            rate=("4.80", "6.00"),
            guarantees=["guarantor", "guarantee_agency"],
            regions=["350700", "350400"],
        )
        guaranteed = _product(
            rural,
            GUARANTEED,
            ProductKind.GUARANTEED,
            5,
            amount_wan=(10, 500),
            term=(12, 36),
            rate=("4.00", "4.80"),
            guarantees=["guarantee_agency"],
            regions=["350000"],
            guarantee_fee_rate=Decimal("1.00"),
            response_days=5,
        )
        hidden_suspended = _product(
            suspended,
            "暂停行科技贷",
            ProductKind.CREDIT,
            6,
            amount_wan=(1, 5000),
            term=(1, 120),
            rate=("2.00", "9.00"),
            guarantees=["credit"],
        )
        hidden_draft = _product(
            haixia,
            "草稿科技贷",
            ProductKind.CREDIT,
            7,
            status=ProductStatus.DRAFT,
            amount_wan=(1, 5000),
            term=(1, 120),
            rate=("2.00", "9.00"),
            guarantees=["credit"],
        )
        hidden_archived = _product(
            haixia,
            "下架科技贷",
            ProductKind.CREDIT,
            8,
            status=ProductStatus.ARCHIVED,
            amount_wan=(1, 5000),
            term=(1, 120),
            rate=("2.00", "9.00"),
            guarantees=["credit"],
        )
        for product in (tech, credit, hidden_suspended, hidden_draft, hidden_archived):
            record_rules(
                product,
                eligibility=CREDIT_ELIGIBILITY,
                instant_approval=CREDIT_INSTANT,
                formula="min(amount, revenue * 0.2, 3000000)",
            )
        record_rules(mortgage, eligibility="", formula="min(amount, total_assets * 0.6)")
        record_rules(forestry, eligibility='"agricultural" in qualifications')
        record_rules(guaranteed, eligibility='guarantee_type == "guarantee_agency"')

        month = dt.timedelta(days=30)
        subsidy = _policy(
            fin,
            "credit-subsidy",
            "信用贷款贴息",
            benefit_kind=BenefitKind.RATE_POINTS,
            valid_from=today - month,
            valid_to=today + 12 * month,
            budget=Decimal("50000000"),
            budget_committed=Decimal(1_200_000),
            applies_to_kinds=["credit"],
            summary="贴息后实际利率不高于 3.15%。",
            rules=('size_class in ["small", "micro"]', "max(rate - 3.15, 0)"),
        )
        fee = _policy(
            city,
            "fee-subsidy",
            "福州担保费补贴",
            kind=PolicyKind.GUARANTEE_FEE_SUBSIDY,
            benefit_kind=BenefitKind.FEE_SHARE,
            valid_from=today - month,
            valid_to=None,
            applies_to_kinds=["guaranteed"],
            source_document="榕财金〔2025〕3号",
            rules=('region_code == "350100"', "0.5"),
        )
        firm_priced = _policy(
            fin,
            "tech-subsidy",
            "科技企业专项贴息",
            benefit_kind=BenefitKind.RATE_POINTS,
            valid_from=today - month,
            valid_to=today + month,
            applies_to_kinds=[],
            applies_to_product_ids=[tech.id],
            rules=('"high_tech" in qualifications', "min(1.0, revenue / 100000000)"),
        )
        expired = _policy(
            fin,
            "expired-subsidy",
            "往年普惠贴息",
            benefit_kind=BenefitKind.RATE_POINTS,
            valid_from=today - 24 * month,
            valid_to=today - dt.timedelta(days=1),
            applies_to_kinds=[],
            rules=("", "1.0"),
        )
        future = _policy(
            fin,
            "future-subsidy",
            "明年首贷奖励",
            kind=PolicyKind.FIRST_LOAN_REWARD,
            benefit_kind=BenefitKind.LUMP_SUM,
            valid_from=today + month,
            valid_to=None,
            applies_to_kinds=["credit"],
            rules=("", "10000"),
        )
        draft = _policy(
            fin,
            "draft-subsidy",
            "草稿担保费补贴",
            kind=PolicyKind.GUARANTEE_FEE_SUBSIDY,
            benefit_kind=BenefitKind.FEE_SHARE,
            status=ProductStatus.DRAFT,
            valid_from=today - month,
            valid_to=None,
            applies_to_kinds=["guaranteed"],
            rules=("", "1"),
        )
        closed = _policy(
            fin,
            "closed-subsidy",
            "已关闭风险补偿",
            kind=PolicyKind.RISK_COMPENSATION,
            benefit_kind=BenefitKind.LOSS_SHARE,
            status=ProductStatus.ARCHIVED,
            valid_from=today - month,
            valid_to=None,
            applies_to_kinds=["mortgage"],
            rules=("", "0.4"),
        )
        db.session.add(
            LprRate(
                effective_on=dt.date(2024, 10, 21),
                one_year=Decimal("3.10"),
                over_five_years=Decimal("3.60"),
            )
        )
        db.session.commit()
        rows = [tech, credit, mortgage, forestry, guaranteed, hidden_suspended, hidden_draft]
        rows += [hidden_archived, subsidy, fee, firm_priced, expired, future, draft, closed]
        ids = {row.name if isinstance(row, BankProduct) else row.slug: row.id for row in rows}
        ids.update(haixia=haixia.id, rural=rural.id, suspended=suspended.id, city=city.id)
        return ids


def names(client: FlaskClient, **query: Any) -> list[str]:
    """Product names listed on /products for the query, in page order."""
    response = client.get("/products", query_string=query)
    assert response.status_code == 200
    return [html.unescape(name) for name in CARD_TITLE.findall(response.get_data(as_text=True))]


def policy_titles(client: FlaskClient, **query: Any) -> set[str]:
    """Policy titles listed on /policies for the query."""
    response = client.get("/policies", query_string=query)
    assert response.status_code == 200
    return set(POLICY_ROW.findall(response.get_data(as_text=True)))


def text_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- product list


def test_list_shows_only_published_products_of_approved_banks(client, catalogue):
    """Drafts, archived products and a suspended bank's products are not listed."""
    assert set(names(client)) == VISIBLE


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "credit"}, {CREDIT}),
        ({"kind": "forestry"}, {FORESTRY}),
        ({"region": "350100"}, {TECH, CREDIT, GUARANTEED}),
        ({"region": "350700"}, {TECH, FORESTRY, GUARANTEED}),
        ({"region": "350200"}, {TECH, MORTGAGE, GUARANTEED}),
        ({"amount": "1500"}, {MORTGAGE}),
        ({"amount": "50"}, {TECH, CREDIT, FORESTRY, GUARANTEED}),
        ({"amount": "5"}, {FORESTRY}),
        ({"term": "48"}, {MORTGAGE}),
        ({"term": "6"}, {FORESTRY}),
        ({"guarantee": "guarantee_agency"}, {FORESTRY, GUARANTEED}),
        ({"guarantee": "pledge"}, {TECH}),
        ({"guarantee": "credit"}, {TECH, CREDIT}),
        ({"max_rate": "3.6"}, {TECH, MORTGAGE}),
        ({"max_rate": "3.1"}, set()),
        ({"policy_backed": "y"}, {TECH, CREDIT, GUARANTEED}),
    ],
)
def test_each_filter_alone(client, catalogue, query, expected):
    """Each filter on its own keeps exactly the products that satisfy it."""
    assert set(names(client, **query)) == expected


def test_bank_filter(client, catalogue):
    """The bank filter keeps one approved bank's products."""
    assert set(names(client, bank=catalogue["rural"])) == {MORTGAGE, FORESTRY, GUARANTEED}
    assert set(names(client, bank=catalogue["haixia"])) == {TECH, CREDIT}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"region": "350700", "guarantee": "guarantee_agency"}, {FORESTRY, GUARANTEED}),
        ({"amount": "50", "max_rate": "4.4", "guarantee": "credit"}, {TECH, CREDIT}),
        ({"kind": "credit", "region": "350200"}, set()),
        ({"region": "350100", "policy_backed": "y", "term": "30"}, {TECH, GUARANTEED}),
        ({"q": "科技", "region": "350400"}, {TECH, FORESTRY}),
        ({"q": "山海", "amount": "200", "sort": "rate"}, {MORTGAGE, GUARANTEED}),
    ],
)
def test_filter_combinations(client, catalogue, query, expected):
    """Filters combine with AND."""
    assert set(names(client, **query)) == expected


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("科技", {TECH, FORESTRY}),  # a name and a summary
        ("纳税", {CREDIT}),  # summary only
        ("闽海", {TECH, CREDIT}),  # bank name
        ("山海农商", {MORTGAGE, FORESTRY, GUARANTEED}),  # bank short name only
        ("担保通", {GUARANTEED}),
        ("暂停", set()),  # the suspended bank's products stay hidden
        ("%", set()),  # LIKE wildcards are matched literally
        ("_", set()),
        ("  林农贷  ", {FORESTRY}),
    ],
)
def test_keyword_search_in_chinese(client, catalogue, keyword, expected):
    """The keyword matches Chinese substrings of names, summaries and bank names."""
    assert set(names(client, q=keyword)) == expected


def test_sort_orders(client, catalogue):
    """Newest first by default; rate ascending; largest amount first."""
    assert names(client) == [GUARANTEED, FORESTRY, MORTGAGE, CREDIT, TECH]
    assert names(client, sort="rate") == [MORTGAGE, TECH, GUARANTEED, CREDIT, FORESTRY]
    assert names(client, sort="amount") == [MORTGAGE, TECH, CREDIT, GUARANTEED, FORESTRY]


def test_pagination_keeps_filters(app, client, catalogue, monkeypatch):
    """Page 2 continues the same filtered, sorted list, and page links keep the filters."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    assert names(client) == [GUARANTEED, FORESTRY]
    assert names(client, page=2) == [MORTGAGE, CREDIT]
    assert names(client, page=3) == [TECH]
    assert names(client, sort="rate", page=2) == [GUARANTEED, CREDIT]
    assert names(client, bank=catalogue["rural"], page=2) == [MORTGAGE]
    page_one = text_of(client, f"/products?bank={catalogue['rural']}&sort=rate")
    next_link = html.unescape(re.search(r'href="([^"]*)" rel="next"', page_one).group(1))
    for arg in (f"bank={catalogue['rural']}", "sort=rate", "page=2"):
        assert arg in next_link


def test_cards_show_ranges_badges_and_subsidised_rate(client, catalogue):
    """Cards show the bank, kind, ranges in 万元, 秒批 and the subsidy-adjusted rate."""
    page = text_of(client, "/products?kind=credit")
    assert "闽海银行福建分行" in page
    assert "信用贷" in page
    assert "10–600 万元" in page
    assert "12–24 个月" in page
    assert "4.35%–5.00%" in page
    assert "秒批" in page
    assert "政策贴息后最低 3.15%" in page


def test_card_without_instant_rule_has_no_instant_badge(client, catalogue):
    """Only products with an instant-approval rule carry the 秒批 badge."""
    page = text_of(client, "/products?kind=mortgage")
    assert 'badge--ok">秒批' not in page


def test_list_runs_a_fixed_number_of_queries(app, client, catalogue):
    """Pricing and 秒批 badges are loaded per page, not per product (no N+1)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["portal.db"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        names(client, kind="credit")
        one_product = len(statements)
        statements.clear()
        names(client)
        all_products = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert 0 < one_product == all_products


def test_empty_result_offers_reset(client, catalogue):
    """No match: the empty state says so and links back to the unfiltered list."""
    page = text_of(client, "/products?kind=credit&region=350200")
    assert "没有符合条件的产品，请放宽筛选条件" in page
    assert 'href="/products"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"amount": "abc"}, "金额请填写数字"),
        ({"amount": "-5"}, "金额应在 0.01 到 10000000 万元之间"),
        ({"amount": "1e999999"}, "金额应在 0.01 到 10000000 万元之间"),
        ({"term": "一年"}, "期限请填写整月数"),
        ({"max_rate": "NaN"}, "利率请填写数字"),
        ({"max_rate": "1e999"}, "利率应在 0% 到 100% 之间"),
        ({"kind": "bogus"}, "产品类型"),
        ({"bank": "abc"}, "银行"),
        ({"region": "999999"}, "服务地区"),
        ({"sort": "cheapest", "page": "x"}, "排序"),
    ],
)
def test_bad_filter_input_is_ignored_with_a_message(client, catalogue, query, message):
    """A filter that does not parse shows its error and is ignored; the page still lists."""
    response = client.get("/products", query_string=query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "部分筛选条件填写有误" in page
    assert message in page
    assert set(CARD_TITLE.findall(page)) == VISIBLE


def test_bad_filter_keeps_the_good_ones(client, catalogue):
    """A bad amount is dropped while the valid region filter still applies."""
    assert set(names(client, amount="abc", region="350200")) == {TECH, MORTGAGE, GUARANTEED}


# --------------------------------------------------------------------------- product detail


def test_detail_404_for_hidden_products(client, catalogue):
    """Draft, archived and suspended-bank products, and unknown ids, are not found."""
    for name in ("暂停行科技贷", "草稿科技贷", "下架科技贷"):
        assert client.get(f"/products/{catalogue[name]}").status_code == 404
    assert client.get("/products/999999").status_code == 404


def test_detail_states_terms_and_eligibility(app, client, catalogue):
    """The detail page shows the ranges, guarantees, regions, deadline and rules in words."""
    page = html.unescape(text_of(client, f"/products/{catalogue[CREDIT]}"))
    assert "闽海银行福建分行" in page
    assert "10–600 万元" in page
    assert "信用（无担保）" in page
    assert "福州市" in page
    assert "2 个工作日" in page
    assert "第 1 版" in page
    assert "测算额度为申请金额、上年营业收入的 20% 与 300 万元中的最小者。" in page
    assert "min(amount" not in page and "revenue" not in page  # no rule source for the public
    with app.test_request_context():
        sentences = describe_rule(CREDIT_ELIGIBILITY) + describe_rule(CREDIT_INSTANT)
    for sentence in sentences:
        assert sentence in page
    assert "本产品提供秒批" in page


def test_detail_of_unconditional_product(client, catalogue):
    """An empty rule reads 不限; whole-province products say 全省; no 秒批 offered."""
    page = text_of(client, f"/products/{catalogue[MORTGAGE]}")
    assert "不限" in page
    assert "本产品暂不提供秒批" in page
    tech = text_of(client, f"/products/{catalogue[TECH]}")
    assert "全省" in tech


def test_detail_shows_live_stacking_policies_and_adjusted_rate(client, catalogue):
    """Only live policies that stack are listed; 4.35% capped at 3.15% reads 3.15%."""
    page = text_of(client, f"/products/{catalogue[CREDIT]}")
    assert "信用贷款贴息" in page
    assert f'href="/policies/{catalogue["credit-subsidy"]}"' in page
    assert "贴息 1.20 个百分点" in page
    assert "政策贴息后最低 3.15%" in page
    for hidden in ("往年普惠贴息", "明年首贷奖励", "科技企业专项贴息", "福州担保费补贴"):
        assert hidden not in page


def test_policy_needing_firm_facts_is_not_subtracted(client, catalogue):
    """A formula that needs firm facts reads 按企业情况确定 and leaves the rate alone."""
    page = text_of(client, f"/products/{catalogue[TECH]}")
    assert "科技企业专项贴息" in page
    assert "按企业情况确定" in page
    assert "政策贴息后最低" not in page


def test_guarantee_fee_subsidy_lowers_the_fee(client, catalogue):
    """A fee share of 0.5 halves the 1% guarantee fee; the product's own deadline is shown."""
    page = text_of(client, f"/products/{catalogue[GUARANTEED]}")
    assert "担保费率 1.00% → 0.50%" in page
    assert "补贴担保费的 50%" in page
    assert "5 个工作日" in page


def test_apply_button_depends_on_the_visitor(client, auth, create, catalogue):
    """Visitors are sent to register; a signed-in firm user to the firm home."""
    url = f"/products/{catalogue[CREDIT]}"
    assert 'href="/register">申请融资' in text_of(client, url)
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    assert 'href="/firm">申请融资' in text_of(client, url)


# --------------------------------------------------------------------------- pricing


def test_subsidy_adjusted_rate_function(app, catalogue):
    """The pricing functions find the live policies and subtract evaluable rate points."""
    with app.app_context():
        today = today_in_china()
        credit = db.session.get(BankProduct, catalogue[CREDIT])
        live = pricing.live_policies_for(credit, today)
        assert [p.slug for p in live] == ["credit-subsidy"]
        assert pricing.subsidy_adjusted_rate(credit, live, Decimal("3.10")) == Decimal("3.15")
        tech = db.session.get(BankProduct, catalogue[TECH])
        tech_live = pricing.live_policies_for(tech, today)
        assert [p.slug for p in tech_live] == ["tech-subsidy"]
        assert pricing.subsidy_adjusted_rate(tech, tech_live, Decimal("3.10")) is None
        assert pricing.subsidy_adjusted_rate(credit, [], None) is None


# --------------------------------------------------------------------------- policies


def test_policy_list_shows_published_policies_in_force_by_default(client, catalogue):
    """Drafts, closed, expired and future policies are not listed by default."""
    assert policy_titles(client) == {"信用贷款贴息", "福州担保费补贴", "科技企业专项贴息"}


def test_policy_list_can_include_inactive(client, catalogue):
    """Ticking the box adds expired and future published policies, never drafts."""
    assert policy_titles(client, include_inactive="y") == {
        "信用贷款贴息",
        "福州担保费补贴",
        "科技企业专项贴息",
        "往年普惠贴息",
        "明年首贷奖励",
    }


def test_policy_list_filters(client, catalogue):
    """Keyword over title, document number and agency; kind; agency."""
    assert policy_titles(client, q="贴息") == {"信用贷款贴息", "科技企业专项贴息"}
    assert policy_titles(client, q="榕财金") == {"福州担保费补贴"}
    assert policy_titles(client, q="福州市财政") == {"福州担保费补贴"}
    assert policy_titles(client, kind="guarantee_fee_subsidy") == {"福州担保费补贴"}
    assert policy_titles(client, agency=catalogue["city"]) == {"福州担保费补贴"}
    assert policy_titles(client, q="草稿", include_inactive="y") == set()


def test_policy_list_shows_budget_use(client, catalogue):
    """Budget and use read as used / total 万元 and a percentage."""
    page = text_of(client, "/policies")
    assert "已使用 120.00 万元 / 5,000.00 万元（2.4%）" in page
    assert "不设资金总额" in page


def test_policy_list_bad_input(client, catalogue):
    """An unknown kind is reported and ignored."""
    response = client.get("/policies?kind=nope&agency=x")
    assert response.status_code == 200
    assert "部分筛选条件填写有误" in response.get_data(as_text=True)


def test_policy_detail(app, client, catalogue):
    """A policy page shows its source, validity, benefit and the products it stacks on."""
    page = html.unescape(text_of(client, f"/policies/{catalogue['credit-subsidy']}"))
    assert "闽金融〔2025〕1号" in page
    assert "2025-01-10" in page
    assert "福建省地方金融监督管理局" in page
    assert "利率贴息（百分点）" in page
    assert "贴息（百分点）为贷款年利率减 3.15% 与 0% 中的较大者，从贷款年利率中扣减" in page
    assert "max(rate" not in page
    assert "实施中" in page
    with app.test_request_context():
        for sentence in describe_rule('size_class in ["small", "micro"]'):
            assert sentence in page
    assert f'href="/products/{catalogue[CREDIT]}"' in page
    for hidden in ("暂停行科技贷", "草稿科技贷", "下架科技贷"):
        assert hidden not in page


def test_expired_policy_lists_every_visible_product(client, catalogue):
    """A policy with no kind or product limits stacks on every visible product."""
    page = text_of(client, f"/policies/{catalogue['expired-subsidy']}")
    assert "已到期" in page
    for name in VISIBLE:
        assert name in page


def test_draft_policy_is_not_found_and_closed_one_is_marked(client, catalogue):
    """Drafts 404; a closed policy is shown with a 已关闭 badge."""
    assert client.get(f"/policies/{catalogue['draft-subsidy']}").status_code == 404
    assert client.get("/policies/999999").status_code == 404
    page = text_of(client, f"/policies/{catalogue['closed-subsidy']}")
    assert "已关闭" in page
    assert MORTGAGE in page
