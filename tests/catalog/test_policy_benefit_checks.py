"""A policy's benefit is checked against its kind's range when saved (web form and policy files),
the what-if shows what it would cost, staff see the budget's states, and a closed policy stays
closed."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.models import AuditEntry
from portal.catalog import policy_services
from portal.catalog.benefit_checks import BenefitSettings, benefit_problems, formula_problem
from portal.catalog.models import PolicyProduct
from portal.catalog.policy_files import PolicyFileError, load_directory
from portal.enums import BenefitKind, GuaranteeType, PolicyKind, ProductStatus, Role
from portal.extensions import db
from portal.needs.models import FinancingNeed
from tests.catalog.test_policy_files import SHIPPED_FILES, policy, write
from tests.catalog.test_policy_management import policy_form
from tests.factories import FirmFactory, InstitutionFactory, UserFactory, published_product

WAN = Decimal(10000)
POINTS_MESSAGE = (
    "贴息公式的结果为 100 个百分点，应在 0 至贷款利率之间（例如 1.5 表示 1.5 个百分点）"
)


@pytest.fixture
def gov_user(client, auth, create):
    user = create(UserFactory, role=Role.GOV_STAFF)
    auth.login(user.email)
    return user


def _policy(app: Flask, slug: str = "green-loan-2026") -> PolicyProduct | None:
    with app.app_context():
        return db.session.scalar(select(PolicyProduct).where(PolicyProduct.slug == slug))


def _field_error(page: str, field: str) -> str:
    """The error text shown beside a form field, or "" when it has none."""
    marker = f'id="{field}-error" role="alert">'
    if marker not in page:
        return ""
    start = page.index(marker) + len(marker)
    return html.unescape(page[start : page.index("</p>", start)])


# --- the check itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "kind"),
    [
        ("1.5", BenefitKind.RATE_POINTS),
        ("lpr_one_year * 0.5", BenefitKind.RATE_POINTS),
        ("min(rate * 0.3, 1)", BenefitKind.RATE_POINTS),
        ("max(rate - 3.15, 0)", BenefitKind.RATE_POINTS),
        ("rate * 0.3", BenefitKind.RATE_POINTS),
        ("0.5", BenefitKind.FEE_SHARE),
        ("1", BenefitKind.LOSS_SHARE),
        ("min(amount * 0.005, 50000)", BenefitKind.LUMP_SUM),
    ],
)
def test_formulas_inside_their_range_pass(formula, kind):
    """Formulas that stay in their kind's range for every sampled loan are accepted."""
    assert formula_problem(formula, kind) is None


@pytest.mark.parametrize(
    ("formula", "kind", "expected"),
    [
        ("100", BenefitKind.RATE_POINTS, POINTS_MESSAGE),
        ("-5", BenefitKind.RATE_POINTS, "贴息公式的结果为 -5 个百分点，应在 0 至贷款利率之间"),
        ("rate - 3.15", BenefitKind.RATE_POINTS, "在 rate = 0 时结果为 -3.15 个百分点，不能为负数"),
        (
            "rate * 30",
            BenefitKind.RATE_POINTS,
            "在 rate = 24 时结果为 720 个百分点，超过了贷款利率",
        ),
        ("lpr_one_year * 5", BenefitKind.RATE_POINTS, "在 lpr_one_year = 10 时结果为 50 个百分点"),
        ("1.2", BenefitKind.FEE_SHARE, "担保费补贴比例为 1.2，应在 0 至 1 之间"),
        ("40", BenefitKind.LOSS_SHARE, "风险补偿分担比例为 40，应在 0 至 1 之间"),
        ("amount * 0.01 - 100", BenefitKind.LUMP_SUM, "在 amount = 1 时为 -99.99 元，不能为负数"),
        ("0", BenefitKind.FEE_SHARE, "结果总是 0"),
    ],
)
def test_formulas_outside_their_range_are_refused(formula, kind, expected):
    """A formula leaving its kind's range says where and what the range is."""
    assert expected in (formula_problem(formula, kind) or "")


def test_settlement_settings_are_checked():
    """Day count 360/365, overdue days only for risk compensation, non-performing only for
    interest subsidies, cap not above budget."""
    problems = benefit_problems(
        BenefitSettings(
            kind=PolicyKind.FIRST_LOAN_REWARD,
            benefit_kind=BenefitKind.LUMP_SUM,
            formula="10000",
            cap=Decimal(200_000),
            budget=Decimal(100_000),
            day_count=300,
            pays_non_performing=True,
            claim_overdue_days=90,
        )
    )
    assert [problem.field for problem in problems] == [
        "cap",
        "day_count",
        "pays_non_performing",
        "claim_overdue_days",
    ]


# --- the web form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("100", POINTS_MESSAGE),
        ("-5", "贴息公式的结果为 -5 个百分点，应在 0 至贷款利率之间（例如 1.5 表示 1.5 个百分点）"),
    ],
)
def test_form_refuses_points_out_of_range(app, client, gov_user, formula, expected):
    """`100` or `-5` points is shown beside the formula field, not saved and clamped."""
    response = client.post("/gov/policies/new", data=policy_form(benefit_formula=formula))
    assert response.status_code == 200
    assert _field_error(response.get_data(as_text=True), "benefit_formula") == expected
    assert _policy(app) is None


@pytest.mark.parametrize("formula", ["lpr_one_year * 0.5", "1.5"])
def test_form_accepts_points_in_range(app, client, gov_user, formula):
    """Half the LPR or 1.5 points are accepted as they are."""
    response = client.post("/gov/policies/new", data=policy_form(benefit_formula=formula))
    assert response.status_code == 302
    assert _policy(app) is not None


def test_form_refuses_a_share_above_one(app, client, gov_user):
    """A guarantee-fee share of 1.2 is refused at the field."""
    response = client.post(
        "/gov/policies/new",
        data=policy_form(
            kind="guarantee_fee_subsidy", benefit_kind="fee_share", benefit_formula="1.2"
        ),
    )
    error = _field_error(response.get_data(as_text=True), "benefit_formula")
    assert error.startswith("担保费补贴比例为 1.2，应在 0 至 1 之间")
    assert _policy(app) is None


def test_form_refuses_a_cap_above_the_budget(app, client, gov_user):
    """A per-firm cap of 60 万元 on a 50 万元 budget is refused at the cap field."""
    response = client.post(
        "/gov/policies/new", data=policy_form(budget_wan="50", benefit_cap_wan="60")
    )
    error = _field_error(response.get_data(as_text=True), "benefit_cap_wan")
    assert error == "单户上限 60 万元高于资金规模 50 万元；上限不能超过资金规模"
    assert _policy(app) is None


def test_form_message_in_english(app, client, auth, create):
    """Staff who chose English read the refusal in English."""
    user = create(UserFactory, role=Role.GOV_STAFF, locale="en")
    auth.login(user.email)
    response = client.post("/gov/policies/new", data=policy_form(benefit_formula="100"))
    error = _field_error(response.get_data(as_text=True), "benefit_formula")
    assert error.startswith("The interest subsidy formula gives 100 percentage points")


def test_form_saves_settlement_settings(app, client, gov_user):
    """Day count and the non-performing choice of an interest subsidy are stored."""
    response = client.post(
        "/gov/policies/new", data=policy_form(day_count="365", pays_non_performing="y")
    )
    assert response.status_code == 302
    saved = _policy(app)
    assert (saved.day_count, saved.pays_non_performing, saved.claim_overdue_days) == (
        365,
        True,
        None,
    )


def test_form_overdue_days_only_for_risk_compensation(app, client, gov_user):
    """Overdue days on an interest subsidy are refused; on a risk pool they are stored."""
    refused = client.post("/gov/policies/new", data=policy_form(claim_overdue_days="90"))
    error = _field_error(refused.get_data(as_text=True), "claim_overdue_days")
    assert error == "只有风险补偿政策可以设置逾期天数；其他政策请留空"
    out_of_range = client.post(
        "/gov/policies/new",
        data=policy_form(
            kind="risk_compensation",
            benefit_kind="loss_share",
            benefit_formula="0.4",
            claim_overdue_days="5000",
        ),
    )
    assert "3650" in _field_error(out_of_range.get_data(as_text=True), "claim_overdue_days")
    saved = client.post(
        "/gov/policies/new",
        data=policy_form(
            kind="risk_compensation",
            benefit_kind="loss_share",
            benefit_formula="0.4",
            claim_overdue_days="90",
        ),
    )
    assert saved.status_code == 302
    assert _policy(app).claim_overdue_days == 90


def test_form_non_performing_only_for_interest_subsidies(app, client, gov_user):
    """Ticking "still subsidise non-performing months" on a reward is refused at the box."""
    response = client.post(
        "/gov/policies/new",
        data=policy_form(
            kind="first_loan_reward",
            benefit_kind="lump_sum",
            benefit_formula="10000",
            pays_non_performing="y",
        ),
    )
    error = _field_error(response.get_data(as_text=True), "pays_non_performing")
    assert error.startswith("只有贴息政策可以设置")


def test_edit_refuses_out_of_range_points(app, client, gov_user):
    """Editing a saved policy's formula to 100 points is refused; the old rule stays."""
    client.post("/gov/policies/new", data=policy_form())
    saved = _policy(app)
    response = client.post(
        f"/gov/policies/{saved.id}/edit", data=policy_form(benefit_formula="100")
    )
    assert _field_error(response.get_data(as_text=True), "benefit_formula") == POINTS_MESSAGE


# --- policy files ---------------------------------------------------------------------------


def test_loader_refuses_out_of_range_points_naming_the_file(app, tmp_path):
    """A file with 100 points is refused with its path, field and the same message."""
    path = write(tmp_path, "points.yaml", policy(benefit={"kind": "rate_points", "formula": 100}))
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    assert caught.value.problems == [f"{path}：字段 benefit.formula：{POINTS_MESSAGE}"]


def test_loader_refuses_share_and_cap(app, tmp_path):
    """A share of 1.2 and a cap above the budget are both reported for the file."""
    path = write(
        tmp_path,
        "fee.yaml",
        policy(
            kind="guarantee_fee_subsidy",
            budget=100000,
            benefit={"kind": "fee_share", "formula": "1.2", "cap": 200000},
        ),
    )
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    problems = caught.value.problems
    assert any(
        p.startswith(f"{path}：字段 benefit.formula：担保费补贴比例为 1.2") for p in problems
    )
    assert (
        f"{path}：字段 benefit.cap：单户上限 20 万元高于资金规模 10 万元；上限不能超过资金规模"
        in (problems)
    )


def test_loader_stores_settlement_settings(app, tmp_path):
    """day_count, pays_non_performing and claim_overdue_days are read and stored."""
    write(
        tmp_path,
        "subsidy.yaml",
        policy(
            benefit={
                "kind": "rate_points",
                "formula": "1",
                "day_count": 365,
                "pays_non_performing": True,
            }
        ),
    )
    write(
        tmp_path,
        "pool.yaml",
        policy(
            id="test-pool",
            kind="risk_compensation",
            benefit={"kind": "loss_share", "formula": "0.4", "claim_overdue_days": 90},
        ),
    )
    with app.app_context():
        load_directory(tmp_path)
        subsidy = db.session.scalar(
            select(PolicyProduct).where(PolicyProduct.slug == "test-green-subsidy")
        )
        pool = db.session.scalar(select(PolicyProduct).where(PolicyProduct.slug == "test-pool"))
        assert (subsidy.day_count, subsidy.pays_non_performing) == (365, True)
        assert (pool.day_count, pool.claim_overdue_days) == (360, 90)


def test_every_shipped_policy_passes_the_check(app):
    """The shipped policy files' formulas are all inside their kinds' ranges."""
    for path in SHIPPED_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        benefit = data["benefit"]
        assert formula_problem(str(benefit["formula"]), BenefitKind(benefit["kind"])) is None, path


# --- what-if: the budget it would cost ---------------------------------------------------------


def _needs(app: Flask, amounts_wan: list[int], term_months: int = 12) -> None:
    """One SME firm per amount, each with one financing need of that amount."""
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        for index, amount in enumerate(amounts_wan):
            user = UserFactory(role=Role.SME)
            db.session.add(
                FinancingNeed(
                    firm=user.firm,
                    submitted_by_id=user.id,
                    amount=amount * WAN,
                    term_months=term_months,
                    purpose="流动资金",
                    guarantee_type=GuaranteeType.CREDIT,
                    consent_at=now,
                    consent_scope="routed_banks_profile",
                    idempotency_key=f"what-if-{index}",
                )
            )
        db.session.commit()


def _product(app: Flask, rate: str = "3.45") -> None:
    """A published product: the typical rate before any loan is disbursed."""
    with app.app_context():
        published_product(InstitutionFactory(), "测试信用贷", rate)
        db.session.commit()


def test_what_if_shows_the_budget_it_would_cost(app, client, gov_user):
    """Five firms, median need 300 万元 a year, 1.5 points: 4.5 万元 each, 22.5 万元 in all; the
    cap bound is 5 × 20 万元; the page says what it assumes."""
    _needs(app, [100, 200, 300, 400, 500])
    _product(app)
    client.post(
        "/gov/policies/new",
        data=policy_form(benefit_formula="1.5", eligibility="", benefit_cap_wan="20"),
    )
    saved = _policy(app)
    page = client.get(f"/gov/policies/{saved.id}?what_if=1").get_data(as_text=True)
    assert "在 5 家注册企业中，5 家符合条件" in page
    assert "约 22.50 万元" in page
    assert "占资金规模 0.5%" in page  # of the 5,000 万元 budget
    assert "每年不超过 100.00 万元" in page
    assert "金额 300.00 万元（近一年 5 笔融资需求的中位数）" in page
    assert "利率 3.45%（1 个已发布贷款产品最低利率的中位数）" in page
    assert "每户贴息 1.50 个百分点" in page
    assert "假设每家符合条件的企业都贷一笔典型贷款" in page


def test_what_if_with_few_needs_uses_the_stated_default(app, client, create, gov_user):
    """Fewer than five needs give no median (one firm's amount would show): the default
    amount is used and named."""
    create(FirmFactory)
    _product(app)
    client.post("/gov/policies/new", data=policy_form(benefit_formula="1", eligibility=""))
    page = client.get(f"/gov/policies/{_policy(app).id}?what_if=1").get_data(as_text=True)
    assert "金额 343.10 万元（平台近一年融资需求不足 5 笔，按福建金服云笔均金额）" in page
    assert "约 3.43 万元" in page  # one firm × 343.1 万元 × 1%


def test_what_if_formula_on_firm_facts_gives_the_bound_only(app, client, create, gov_user):
    """A benefit reading the firm's revenue cannot be priced on a typical loan: it says so."""
    create(FirmFactory)
    client.post(
        "/gov/policies/new",
        data=policy_form(benefit_formula="min(revenue / 10000000, 1)", eligibility=""),
    )
    page = client.get(f"/gov/policies/{_policy(app).id}?what_if=1").get_data(as_text=True)
    assert "支持力度公式用到企业自身的数据" in page
    assert "每年不超过 20.00 万元" in page


def test_what_if_without_any_rate_says_so(app, client, create, gov_user):
    """With no loan, product or LPR there is no rate to bound the points: it says so."""
    create(FirmFactory)
    client.post("/gov/policies/new", data=policy_form(benefit_formula="1", eligibility=""))
    page = client.get(f"/gov/policies/{_policy(app).id}?what_if=1").get_data(as_text=True)
    assert "无法估算贴息（贴息不超过贷款利率）" in page


# --- the budget's states -----------------------------------------------------------------------


def test_staff_see_the_four_budget_states(app, client, gov_user):
    """Reserved, committed, paid and remaining in 万元 with their share of the budget."""
    client.post("/gov/policies/new", data=policy_form())  # budget 5,000 万元
    saved = _policy(app)
    with app.app_context():
        db.session.execute(
            update(PolicyProduct)
            .where(PolicyProduct.id == saved.id)
            .values(
                budget_reserved=Decimal(1_000_000),
                budget_committed=Decimal(2_500_000),
                budget_paid=Decimal(500_000),
            )
        )
        db.session.commit()
    detail = client.get(f"/gov/policies/{saved.id}").get_data(as_text=True)
    for state, amount, share in [
        ("已预留", "100.00", "2.0%"),
        ("已承诺", "250.00", "5.0%"),
        ("其中已支付", "50.00", "1.0%"),
        ("剩余可用", "4,650.00", "93.0%"),
    ]:
        row = (
            f'<th scope="row">{state}</th><td class="num">{amount}</td><td class="num">{share}</td>'
        )
        assert row in detail, state
    assert "企业选了别家、撤回或授信过期时退回" in detail
    index = client.get("/gov/policies/").get_data(as_text=True)
    for amount, share in [
        ("100.00", "2.0%"),
        ("250.00", "5.0%"),
        ("50.00", "1.0%"),
        ("4,650.00", "93.0%"),
    ]:
        assert f'{amount}<br><span class="muted">{share}</span>' in index
    assert "资金状态说明" in index


# --- a closed policy stays closed ------------------------------------------------------------


@pytest.fixture
def closed_policy(app, client, gov_user) -> PolicyProduct:
    client.post("/gov/policies/new", data=policy_form())
    saved = _policy(app)
    client.post(f"/gov/policies/{saved.id}/publish", data={"confirmed": "y"})
    client.post(f"/gov/policies/{saved.id}/close", data={"reason": "资金已用完", "confirmed": "y"})
    closed = _policy(app)
    assert closed.status == ProductStatus.ARCHIVED
    return closed


def _audits(app: Flask, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


def test_closed_policy_cannot_be_published(app, client, closed_policy):
    """Publishing a closed policy is refused with a reason, before any confirmation."""
    response = client.post(
        f"/gov/policies/{closed_policy.id}/publish", data={"confirmed": "y"}, follow_redirects=True
    )
    assert "政策已关闭，不能再发布" in response.get_data(as_text=True)
    assert _policy(app).status == ProductStatus.ARCHIVED
    assert _audits(app, "policy.publish") == 1


def test_closed_policy_cannot_be_edited(app, client, closed_policy):
    """The edit page and an edit post both go back to the policy with the reason."""
    page = client.get(f"/gov/policies/{closed_policy.id}/edit")
    assert page.status_code == 302
    response = client.post(
        f"/gov/policies/{closed_policy.id}/edit",
        data=policy_form(title="改过的名称"),
        follow_redirects=True,
    )
    assert "政策已关闭，不能再修改" in response.get_data(as_text=True)
    assert _policy(app).title == "绿色贷款贴息"
    assert _audits(app, "policy.update") == 0


def test_closed_policy_cannot_be_closed_again(app, client, closed_policy):
    """A second close is refused; the first closing time and reason stay."""
    response = client.post(
        f"/gov/policies/{closed_policy.id}/close",
        data={"reason": "再次关闭", "confirmed": "y"},
        follow_redirects=True,
    )
    assert "政策已经关闭" in response.get_data(as_text=True)
    assert _policy(app).closed_at == closed_policy.closed_at
    assert _audits(app, "policy.close") == 1


def test_closing_meanwhile_refuses_a_stale_publish(app, create):
    """A policy closed after the page was loaded is not published by the stale request."""
    user = create(UserFactory, role=Role.GOV_STAFF)
    with app.app_context():
        actor = db.session.get(type(user), user.id)
        draft = policy_services.create_policy(
            actor,
            {
                "slug": "stale-draft",
                "title": "过期页面",
                "kind": PolicyKind.INTEREST_SUBSIDY,
                "source_document": "测〔2026〕1号",
                "source_date": dt.date(2026, 1, 1),
                "valid_from": dt.date(2026, 1, 1),
                "benefit_kind": BenefitKind.RATE_POINTS,
            },
            {"eligibility": "", "formula": "1"},
        )
        db.session.execute(
            update(PolicyProduct)
            .where(PolicyProduct.id == draft.id)
            .values(status=ProductStatus.ARCHIVED)
        )
        db.session.commit()  # another request closed it
        set_committed_value(draft, "status", ProductStatus.DRAFT)  # this request's stale view
        with pytest.raises(policy_services.PolicyError, match="政策已关闭，不能再发布"):
            policy_services.publish_policy(actor, draft)
        assert db.session.get(PolicyProduct, draft.id).status == ProductStatus.ARCHIVED


def test_loader_file_path_is_named(app: Flask, tmp_path: Path) -> None:
    """A negative share in a file names that file and no other."""
    write(tmp_path, "good.yaml", policy(id="test-good"))
    bad = write(
        tmp_path,
        "bad.yaml",
        policy(kind="risk_compensation", benefit={"kind": "loss_share", "formula": "-0.4"}),
    )
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    assert [line.split("：")[0] for line in caught.value.problems] == [str(bad)]
