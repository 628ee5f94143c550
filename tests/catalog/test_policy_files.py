"""Policy files: the shipped set, idempotent reloads, rule versions, broken files and the CLI."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.catalog.policy_files import LoadReport, PolicyFileError, load_directory
from portal.enums import BenefitKind, PolicyKind, ProductKind, ProductStatus
from portal.extensions import db
from portal.institutions.models import GovernmentAgency
from portal.rules import RuleError, compile_formula, compile_rule
from tests import factories

SHIPPED = Path(__file__).resolve().parents[2] / "policies"
SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))

STAMPS = select(PolicyProduct.slug, PolicyProduct.updated_at)

GOOD_POLICY: dict[str, Any] = {
    "id": "test-green-subsidy",
    "title": "测试绿色贷款贴息",
    "agency": {"name": "测试市金融办", "short_name": "测试金融办", "region_code": "350100"},
    "kind": "interest_subsidy",
    "summary": "对绿色企业的贷款按执行利率的 30% 贴息，最高 1 个百分点。",
    "source": {"document": "测金融〔2024〕9号", "date": dt.date(2024, 1, 5)},
    "valid_from": dt.date(2024, 2, 1),
    "valid_to": dt.date(2026, 12, 31),
    "budget": 1000000,
    "benefit": {"kind": "rate_points", "formula": "min(rate * 0.3, 1)", "cap": 50000},
    "eligibility": '"green" in qualifications',
    "applies_to": {"kinds": ["credit", "mortgage"]},
    "status": "published",
}


def policy(**changes: Any) -> dict[str, Any]:
    """A valid policy file's content with some top-level fields replaced."""
    return copy.deepcopy(GOOD_POLICY) | changes


def write(directory: Path, name: str, data: dict[str, Any] | str) -> Path:
    """Write one policy file (a mapping is dumped as YAML, a string written as is)."""
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load(app: Flask, directory: Path) -> LoadReport:
    with app.app_context():
        return load_directory(directory)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def slugs_present(app: Flask, *slugs: str) -> list[str]:
    with app.app_context():
        query = select(PolicyProduct.slug).where(PolicyProduct.slug.in_(slugs))
        return list(db.session.scalars(query))


def policy_by_slug(slug: str) -> PolicyProduct:
    return db.session.scalars(select(PolicyProduct).where(PolicyProduct.slug == slug)).one()


def versions_of(slug: str) -> list[RuleVersion]:
    policy = policy_by_slug(slug)
    query = select(RuleVersion).where(RuleVersion.policy_id == policy.id)
    return list(db.session.scalars(query.order_by(RuleVersion.version)))


def rule_message(compile_text: Callable[[str], object], text: str) -> str:
    """The rule language's own message for a broken rule."""
    with pytest.raises(RuleError) as caught:
        compile_text(text)
    return caught.value.message


# ---------------------------------------------------------------------------
# The shipped directory
# ---------------------------------------------------------------------------


def test_shipped_policies_load_cleanly(app: Flask) -> None:
    """Every shipped file loads: six or more published policies of four kinds, all with rules v1."""
    report = load(app, SHIPPED)
    assert len(SHIPPED_FILES) >= 6
    assert report.files == len(SHIPPED_FILES)
    assert sorted(report.created) == sorted(path.stem for path in SHIPPED_FILES)
    assert report.rule_versions == len(SHIPPED_FILES)
    with app.app_context():
        policies = db.session.scalars(select(PolicyProduct)).all()
        assert len({policy.kind for policy in policies}) >= 4
        for policy in policies:
            assert policy.status == ProductStatus.PUBLISHED
            assert policy.published_at is not None
            assert policy.source_file == f"{policy.slug}.yaml"
            assert policy.valid_to is None or policy.valid_from < policy.valid_to
            assert [v.version for v in versions_of(policy.slug)] == [1]


def test_shipped_policies_match_the_issue(app: Flask) -> None:
    """The equipment subsidy caps the rate at 3.15%, the tech-SME one pays half the LPR."""
    load(app, SHIPPED)
    with app.app_context():
        equipment = versions_of("fj-equipment-upgrade-interest-subsidy")[0]
        assert equipment.formula == "max(rate - 3.15, 0)"
        tech = versions_of("fj-tech-sme-credit-interest-subsidy")[0]
        assert tech.formula == "lpr_one_year * 0.5"
        kinds = {policy.kind for policy in db.session.scalars(select(PolicyProduct))}
        assert kinds == set(PolicyKind)
        fee = policy_by_slug("fj-agri-guarantee-fee-subsidy")
        assert fee.benefit_kind == BenefitKind.FEE_SHARE
        assert fee.applies_to_kinds == ["agriculture", "forestry", "guaranteed"]
        assert policy_by_slug("fj-first-loan-reward").applies_to_kinds == []
        assert policy_by_slug("fz-relief-interest-subsidy").agency.region_code == "350100"


# ---------------------------------------------------------------------------
# Reloading
# ---------------------------------------------------------------------------


def test_reloading_unchanged_files_changes_nothing(app: Flask) -> None:
    """A second load reports nothing created or updated, adds no versions and keeps updated_at."""
    load(app, SHIPPED)
    with app.app_context():
        stamps = dict(db.session.execute(STAMPS).tuples().all())
    versions, audits = count(app, RuleVersion), count(app, AuditEntry)
    second = load(app, SHIPPED)
    assert (second.created, second.updated, second.rule_versions) == ([], [], 0)
    assert sorted(second.unchanged) == sorted(stamps)
    assert (count(app, RuleVersion), count(app, AuditEntry)) == (versions, audits)
    with app.app_context():
        after = dict(db.session.execute(STAMPS).tuples().all())
    assert after == stamps


def test_changed_eligibility_adds_a_version_and_keeps_the_first(app: Flask, tmp_path: Path) -> None:
    """Editing the eligibility rule makes version 2; version 1 stays as it was."""
    write(tmp_path, "green.yaml", policy())
    load(app, tmp_path)
    stricter = '"green" in qualifications and size_class in ["small", "micro"]'
    write(tmp_path, "green.yaml", policy(eligibility=stricter))
    report = load(app, tmp_path)
    assert (report.updated, report.rule_versions) == (["test-green-subsidy"], 1)
    with app.app_context():
        first, second = versions_of("test-green-subsidy")
        assert (first.version, first.eligibility) == (1, GOOD_POLICY["eligibility"])
        assert (second.version, second.eligibility) == (2, stricter)
        assert second.note == "loaded from green.yaml"


def test_changed_title_updates_without_a_new_version(app: Flask, tmp_path: Path) -> None:
    """Editing only the title updates the policy in place and keeps version 1."""
    write(tmp_path, "green.yaml", policy())
    load(app, tmp_path)
    write(tmp_path, "green.yaml", policy(title="测试绿色贷款贴息（修订）"))
    report = load(app, tmp_path)
    assert (report.updated, report.rule_versions) == (["test-green-subsidy"], 0)
    with app.app_context():
        assert policy_by_slug("test-green-subsidy").title == "测试绿色贷款贴息（修订）"
        assert [v.version for v in versions_of("test-green-subsidy")] == [1]
        actions = db.session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "policy.load")
        ).all()
        assert [detail["result"] for detail in actions] == ["created", "updated"]


def test_fields_are_stored_exactly(app: Flask, tmp_path: Path) -> None:
    """Money is an exact Decimal (even when YAML reads a float), kinds and the agency are stored."""
    write(tmp_path, "green.yaml", policy(budget=1500000.5))
    load(app, tmp_path)
    with app.app_context():
        stored = policy_by_slug("test-green-subsidy")
        assert stored.budget == Decimal("1500000.50")
        assert stored.benefit_cap == Decimal("50000")
        assert stored.benefit_kind == BenefitKind.RATE_POINTS
        assert stored.applies_to_kinds == ["credit", "mortgage"]
        assert stored.source_document == "测金融〔2024〕9号"
        assert stored.source_date == dt.date(2024, 1, 5)
        assert (stored.agency.name, stored.agency.short_name) == ("测试市金融办", "测试金融办")


def test_existing_agency_is_matched_by_name(app: Flask, tmp_path: Path, create: Any) -> None:
    """A file naming an existing agency uses that row instead of adding one."""
    agency = create(factories.AgencyFactory, name="测试市金融办")
    agencies = count(app, GovernmentAgency)
    write(tmp_path, "green.yaml", policy())
    report = load(app, tmp_path)
    assert report.agencies == 0
    assert count(app, GovernmentAgency) == agencies
    with app.app_context():
        assert policy_by_slug("test-green-subsidy").agency_id == agency.id


def test_closing_and_reopening_a_policy(app: Flask, tmp_path: Path) -> None:
    """closed archives the policy with closed_at; published again clears it, keeps published_at."""
    write(tmp_path, "green.yaml", policy())
    load(app, tmp_path)
    with app.app_context():
        published_at = policy_by_slug("test-green-subsidy").published_at
    write(tmp_path, "green.yaml", policy(status="closed"))
    load(app, tmp_path)
    with app.app_context():
        closed = policy_by_slug("test-green-subsidy")
        assert (closed.status, closed.published_at) == (ProductStatus.ARCHIVED, published_at)
        assert closed.closed_at is not None
    write(tmp_path, "green.yaml", policy())
    load(app, tmp_path)
    with app.app_context():
        reopened = policy_by_slug("test-green-subsidy")
        assert (reopened.status, reopened.closed_at) == (ProductStatus.PUBLISHED, None)
        assert reopened.published_at == published_at


def test_draft_is_not_published(app: Flask, tmp_path: Path) -> None:
    """A draft file is stored as a draft with no publication time."""
    write(tmp_path, "green.yaml", policy(status="draft"))
    load(app, tmp_path)
    with app.app_context():
        draft = policy_by_slug("test-green-subsidy")
        assert (draft.status, draft.published_at) == (ProductStatus.DRAFT, None)


def _bank_product(app: Flask, kind: ProductKind) -> int:
    """A bank product of `kind` at 测试银行福州分行; returns its id."""
    with app.app_context():
        bank = factories.InstitutionFactory(name="测试银行福州分行")
        product = BankProduct(
            institution=bank,
            name="测试科技贷",
            kind=kind,
            min_amount=Decimal(100000),
            max_amount=Decimal(5000000),
            min_term_months=12,
            max_term_months=36,
            min_rate=Decimal("3.2"),
            max_rate=Decimal("4.2"),
        )
        db.session.add(product)
        db.session.commit()
        return product.id


def test_applies_to_products_are_resolved_to_ids(app: Flask, tmp_path: Path) -> None:
    """A product named by bank and product name is stored as its id."""
    product_id = _bank_product(app, ProductKind.CREDIT)
    products = [{"bank": "测试银行福州分行", "product": "测试科技贷"}]
    write(tmp_path, "green.yaml", policy(applies_to={"kinds": ["credit"], "products": products}))
    load(app, tmp_path)
    with app.app_context():
        assert policy_by_slug("test-green-subsidy").applies_to_product_ids == [product_id]


def test_product_outside_the_files_kinds_is_rejected(app: Flask, tmp_path: Path) -> None:
    """A named product whose kind the file's own kinds exclude is an error."""
    _bank_product(app, ProductKind.TECH_CREDIT)
    products = [{"bank": "测试银行福州分行", "product": "测试科技贷"}]
    write(tmp_path, "green.yaml", policy(applies_to={"kinds": ["credit"], "products": products}))
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    assert "字段 applies_to.products[0]：产品“测试科技贷”的类型 tech_credit" in str(caught.value)


# ---------------------------------------------------------------------------
# Broken files
# ---------------------------------------------------------------------------


def _without(path: str) -> dict[str, Any]:
    data = policy()
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[last]
    return data


BAD_RULE = 'size_class in ["small", "micro"'
BAD_FORMULA = "min(rate * 0.3"

BROKEN: dict[str, tuple[dict[str, Any] | str, list[str]]] = {
    "yaml-syntax": (
        "id: test-broken\ntitle: [未闭合的列表\nkind: interest_subsidy\n",
        ["YAML 语法错误（第 3 行"],
    ),
    "not-a-mapping": ("- just\n- a list\n", ["文件内容应为字段映射"]),
    "missing-field": (_without("source.document"), ["缺少必填字段 source.document"]),
    "missing-section": (_without("benefit"), ["缺少必填字段 benefit"]),
    "unknown-field": (
        policy(eligibilty="true"),
        ["未知字段 eligibilty（是否应为 eligibility？）"],
    ),
    "unknown-nested-field": (
        policy(source={"document": "测金融〔2024〕9号", "date": "2024-01-05", "page": 3}),
        ["未知字段 source.page"],
    ),
    "duplicate-key": (
        yaml.safe_dump(policy(), allow_unicode=True) + "title: 第二个标题\n",
        ["字段 title 在第", "重复出现"],
    ),
    "bad-kind": (
        policy(kind="subsidy"),
        ["字段 kind：“subsidy” 不是有效的政策类型，可选：interest_subsidy、"],
    ),
    "bad-benefit-kind": (
        policy(benefit={"kind": "discount", "formula": "1"}),
        ["字段 benefit.kind：“discount” 不是有效的优惠方式"],
    ),
    "bad-product-kind": (
        policy(applies_to={"kinds": ["credit", "loan"]}),
        ["字段 applies_to.kinds[1]：“loan” 不是有效的产品类型"],
    ),
    "bad-status": (policy(status="live"), ["字段 status：“live” 不是有效的状态"]),
    "bad-slug": (policy(id="Green Subsidy"), ["字段 id：“Green Subsidy” 只能由小写字母"]),
    "bad-date-order": (
        policy(valid_to=dt.date(2023, 12, 31)),
        ["字段 valid_to：日期应晚于 valid_from"],
    ),
    "bad-date-format": (
        policy(valid_from="2024/02/01"),
        ["字段 valid_from：“2024/02/01” 不是有效日期"],
    ),
    "datetime-not-date": (
        policy(valid_from=dt.datetime(2024, 2, 1, 9, 30)),
        ["字段 valid_from：", "不是有效日期"],
    ),
    "bad-money": (policy(budget="很多"), ["字段 budget：“很多” 应为大于 0 的金额"]),
    "negative-cap": (
        policy(benefit={"kind": "rate_points", "formula": "1", "cap": -5}),
        ["字段 benefit.cap：“-5” 应为大于 0 的金额"],
    ),
    "share-above-one": (
        policy(benefit={"kind": "fee_share", "formula": "50"}),
        ["字段 benefit.formula：担保费补贴比例为 50，应在 0 至 1 之间"],
    ),
    "points-of-100": (
        policy(benefit={"kind": "rate_points", "formula": "100"}),
        ["字段 benefit.formula：贴息公式的结果为 100 个百分点，应在 0 至贷款利率之间"],
    ),
    "negative-points": (
        policy(benefit={"kind": "rate_points", "formula": "-5"}),
        ["字段 benefit.formula：贴息公式的结果为 -5 个百分点"],
    ),
    "points-above-the-rate": (
        policy(benefit={"kind": "rate_points", "formula": "rate * 30"}),
        ["字段 benefit.formula：贴息公式在 rate = 24 时结果为 720 个百分点，超过了贷款利率"],
    ),
    "cap-above-budget": (
        policy(budget=100000, benefit={"kind": "rate_points", "formula": "1", "cap": 200000}),
        ["字段 benefit.cap：单户上限 20 万元高于资金规模 10 万元"],
    ),
    "bad-day-count": (
        policy(benefit={"kind": "rate_points", "formula": "1", "day_count": 300}),
        ["字段 benefit.day_count：计息天数应为 360 或 365"],
    ),
    "day-count-not-a-number": (
        policy(benefit={"kind": "rate_points", "formula": "1", "day_count": "三百六十"}),
        ["字段 benefit.day_count：“三百六十” 应为整数"],
    ),
    "overdue-days-out-of-range": (
        policy(
            kind="risk_compensation",
            benefit={"kind": "loss_share", "formula": "0.4", "claim_overdue_days": 0},
        ),
        ["字段 benefit.claim_overdue_days：逾期天数应为 1 至 3650 之间的整数"],
    ),
    "overdue-days-on-a-subsidy": (
        policy(benefit={"kind": "rate_points", "formula": "1", "claim_overdue_days": 90}),
        ["字段 benefit.claim_overdue_days：只有风险补偿政策可以设置逾期天数"],
    ),
    "non-performing-not-a-flag": (
        policy(benefit={"kind": "rate_points", "formula": "1", "pays_non_performing": "yes"}),
        ["字段 benefit.pays_non_performing：“yes” 应为 true 或 false"],
    ),
    "non-performing-on-a-reward": (
        policy(
            kind="first_loan_reward",
            benefit={"kind": "lump_sum", "formula": "10000", "pays_non_performing": True},
        ),
        ["字段 benefit.pays_non_performing：只有贴息政策可以设置"],
    ),
    "bad-region": (
        policy(agency={"name": "测试市金融办", "short_name": "金融办", "region_code": "3501"}),
        ["字段 agency.region_code：“3501” 不是 6 位行政区划代码"],
    ),
    "agency-not-a-mapping": (policy(agency="测试市金融办"), ["字段 agency：应为包含 name、"]),
    "bad-rule": (
        policy(eligibility=BAD_RULE),
        ["字段 eligibility：", "RULE:" + BAD_RULE],
    ),
    "bad-formula": (
        policy(benefit={"kind": "rate_points", "formula": BAD_FORMULA}),
        ["字段 benefit.formula：", "FORMULA:" + BAD_FORMULA],
    ),
    "unknown-product": (
        policy(applies_to={"products": [{"bank": "某某银行", "product": "某某贷"}]}),
        ["字段 applies_to.products[0]：找不到银行“某某银行”的产品“某某贷”"],
    ),
    "title-not-text": (policy(title=2024), ["字段 title：应为文本，实际为 2024"]),
    "empty-eligibility": (policy(eligibility="  "), ["字段 eligibility：不能为空"]),
    "empty-product-item": (
        policy(applies_to={"products": [None]}),
        ["字段 applies_to.products[0]：不能为空"],
    ),
    "product-missing-name": (
        policy(applies_to={"products": [{"bank": "某某银行"}]}),
        ["缺少必填字段 applies_to.products[0].product"],
    ),
}


def _expected(fragments: list[str]) -> list[str]:
    """Fragments, with RULE:/FORMULA: markers replaced by the rule language's own message."""
    expanded = []
    for fragment in fragments:
        if fragment.startswith("RULE:"):
            fragment = rule_message(compile_rule, fragment.removeprefix("RULE:"))
        elif fragment.startswith("FORMULA:"):
            fragment = rule_message(compile_formula, fragment.removeprefix("FORMULA:"))
        expanded.append(fragment)
    return expanded


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_is_reported_and_nothing_is_written(
    app: Flask, tmp_path: Path, case: str
) -> None:
    """A broken file names itself and the field; the good file beside it is not loaded either."""
    content, fragments = BROKEN[case]
    write(tmp_path, "good.yaml", policy(id="test-good"))
    write(tmp_path, f"{case}.yaml", content)
    before = {model: count(app, model) for model in (PolicyProduct, RuleVersion, GovernmentAgency)}
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        expected = _expected(fragments)
        load_directory(tmp_path)
    problems = [line for line in caught.value.problems if f"{case}.yaml" in line]
    assert problems, str(caught.value)
    assert not [line for line in caught.value.problems if "good.yaml" in line]
    for fragment in expected:
        assert any(fragment in line for line in problems), (fragment, problems)
    assert {model: count(app, model) for model in before} == before


def test_every_problem_in_every_file_is_listed(app: Flask, tmp_path: Path) -> None:
    """One error lists all problems of all files, each line naming its file and field."""
    write(tmp_path, "a.yaml", policy(kind="subsidy", valid_to=dt.date(2020, 1, 1)))
    write(tmp_path, "b.yaml", _without("title"))
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    message = str(caught.value)
    assert message.startswith("政策文件有 3 处问题，未写入任何内容：")
    assert f"{tmp_path / 'a.yaml'}：字段 kind：" in message
    assert f"{tmp_path / 'a.yaml'}：字段 valid_to：" in message
    assert f"{tmp_path / 'b.yaml'}：缺少必填字段 title" in message


def test_duplicate_id_across_files_is_rejected(app: Flask, tmp_path: Path) -> None:
    """Two files with one id: the second is reported, naming the first, and nothing is written."""
    write(tmp_path, "first.yaml", policy())
    write(tmp_path, "second.yaml", policy(title="另一个标题"))
    with pytest.raises(PolicyFileError) as caught, app.app_context():
        load_directory(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path / 'second.yaml'}：id “test-green-subsidy” 与 {tmp_path / 'first.yaml'} 重复"
    ]
    assert not slugs_present(app, "test-green-subsidy")


def test_directory_without_policy_files_is_an_error(app: Flask, tmp_path: Path) -> None:
    """An empty directory (a wrong path, most likely) is reported rather than loaded as nothing."""
    (tmp_path / "README.md").write_text("# 说明\n", encoding="utf-8")
    with pytest.raises(PolicyFileError, match="目录中没有政策文件"), app.app_context():
        load_directory(tmp_path)


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_cli_loads_a_directory(app: Flask, tmp_path: Path) -> None:
    """`flask policies load DIR` exits 0 and prints the summary; a rerun reports no changes."""
    shutil.copy(SHIPPED_FILES[0], tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["policies", "load", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 read; 1 created, 0 updated, 0 unchanged; 1 new rule versions" in result.output
    again = runner.invoke(args=["policies", "load", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 1 unchanged; 0 new rule versions" in again.output


def test_cli_reports_a_broken_directory(app: Flask, tmp_path: Path) -> None:
    """A broken directory makes the command fail with the problems and write nothing."""
    write(tmp_path, "good.yaml", policy(id="test-good"))
    write(tmp_path, "bad.yaml", policy(kind="subsidy"))
    result = app.test_cli_runner().invoke(args=["policies", "load", str(tmp_path)])
    assert result.exit_code != 0
    assert "未写入任何内容" in result.output
    assert f"{tmp_path / 'bad.yaml'}：字段 kind：“subsidy” 不是有效的政策类型" in result.output
    assert not slugs_present(app, "test-good")
