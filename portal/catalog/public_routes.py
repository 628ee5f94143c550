"""The public catalogue: bank products and policy products anyone may browse."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.authz import public
from portal.catalog import pricing, queries
from portal.catalog.compiled import compiled
from portal.catalog.models import PolicyProduct, RuleVersion
from portal.catalog.page_cache import cached_for_anonymous
from portal.catalog.public_forms import PolicyFilterForm, ProductFilterForm
from portal.catalog.versions import current_version
from portal.dates import today_in_china
from portal.enums import BENEFIT_KIND_LABELS, BenefitKind, ProductStatus, Role
from portal.pagination import paginate
from portal.rules import rule_sentences

bp = Blueprint("catalog", __name__)

# What the number a policy's benefit formula yields means, by benefit kind.
# What a policy's formula yields, as a sentence around the formula's own words.
FORMULA_SENTENCE = {
    BenefitKind.RATE_POINTS: _l("贴息（百分点）为%(value)s，从贷款年利率中扣减"),
    BenefitKind.FEE_SHARE: _l("财政承担的担保费比例为 %(value)s（1 为全额）"),
    BenefitKind.LOSS_SHARE: _l("风险补偿资金分担的贷款损失比例为 %(value)s（1 为全额）"),
    BenefitKind.LUMP_SUM: _l("一次性奖励 %(value)s"),
}
ONE_DECIMAL = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


@bp.get("/products")
@public
@cached_for_anonymous
def products() -> str:
    form = ProductFilterForm(request.args)
    form.set_banks(queries.approved_institutions())
    form.validate()
    today = today_in_china()
    live = queries.live_policies(today)
    lpr = queries.latest_lpr_one_year(today)
    filters = form.filters()
    backed = pricing.backed_product_ids(live, lpr) if filters.policy_backed else ()
    page = paginate(queries.published_products(filters, backed))
    prices = pricing.price_all(page.items, live, lpr)
    instant = queries.instant_approval_ids(product.id for product in page.items)
    return render_template(
        "catalog/public_products.html", form=form, page=page, prices=prices, instant=instant
    )


@bp.get("/products/<int:product_id>")
@public
@cached_for_anonymous
def product_detail(product_id: int) -> str:
    product = queries.get_visible_product(product_id)
    if product is None:
        abort(404)
    today = today_in_china()
    policies = pricing.live_policies_for(product, today)
    lpr = queries.latest_lpr_one_year(today)
    product_pricing = pricing.price(product, policies, lpr)
    rules = current_version(product)
    return render_template(
        "catalog/public_product_detail.html",
        product=product,
        rules=rules,
        eligibility=rule_sentences(rules.eligibility if rules else None),
        instant_conditions=rule_sentences(rules.instant_approval if rules else None),
        unavailable=rules is not None and compiled(rules).problem is not None,
        pricing=product_pricing,
        benefits=[(p, _benefit_text(p, product_pricing)) for p in product_pricing.stacking],
        lpr=lpr,
        formula_sentence=_formula_sentence(rules),
        response_days=product.response_days or product.institution.response_days,
        apply_url=_apply_url(),
    )


@bp.get("/policies")
@public
@cached_for_anonymous
def policies() -> str:
    form = PolicyFilterForm(request.args)
    form.set_agencies(queries.policy_agencies())
    form.validate()
    today = today_in_china()
    page = paginate(queries.published_policies(form.filters(), today))
    return render_template(
        "catalog/public_policies.html",
        form=form,
        page=page,
        today=today,
        budget_percent=budget_percent,
        benefit_labels=BENEFIT_KIND_LABELS,
    )


@bp.get("/policies/<int:policy_id>")
@public
@cached_for_anonymous
def policy_detail(policy_id: int) -> str:
    policy = queries.get_public_policy(policy_id)
    if policy is None:
        abort(404)
    rules = current_version(policy)
    return render_template(
        "catalog/public_policy_detail.html",
        policy=policy,
        rules=rules,
        closed=policy.status == ProductStatus.ARCHIVED,
        today=today_in_china(),
        eligibility=rule_sentences(rules.eligibility if rules else None),
        formula_sentence=_policy_formula_sentence(policy, rules),
        benefit_label=BENEFIT_KIND_LABELS.get(policy.benefit_kind, policy.benefit_kind),
        budget_percent=budget_percent(policy),
        products=queries.products_for_policy(policy),
    )


def budget_percent(policy: PolicyProduct) -> Decimal | None:
    """How much of the policy's budget is used, in percent to one decimal; None if no budget."""
    if not policy.budget:
        return None
    share = policy.budget_in_use / Decimal(policy.budget) * 100
    return share.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _formula_sentence(rules: RuleVersion | None, money: bool = False) -> str | None:
    """What the formula computes, in words; None without a formula."""
    if rules is None or not rules.formula:
        return None
    compiled = pricing.compiled_formula(rules)
    return compiled.describe(money) if compiled is not None else None


def _policy_formula_sentence(policy: PolicyProduct, rules: RuleVersion | None) -> str | None:
    words = _formula_sentence(rules, money=policy.benefit_kind == BenefitKind.LUMP_SUM)
    template = FORMULA_SENTENCE.get(policy.benefit_kind)
    if words is None or template is None:
        return words
    return str(template) % {"value": words}


def _benefit_text(policy: PolicyProduct, product_pricing: pricing.Pricing) -> str:
    """What a stacking policy gives on this product, in words."""
    benefit = product_pricing.benefit_of(policy)
    if benefit is None:
        return str(BENEFIT_KIND_LABELS.get(policy.benefit_kind, policy.benefit_kind))
    if benefit.value is None:
        return _("按企业情况确定")
    value = benefit.value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    if policy.benefit_kind == BenefitKind.RATE_POINTS:
        return _("贴息 %(points)s 个百分点", points=value)
    share = (min(benefit.value, Decimal(1)) * 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    shown = format(share, "f").rstrip("0").rstrip(".")
    return _("补贴担保费的 %(share)s%%", share=shown)


def _apply_url() -> str | None:
    """Where "申请融资" leads: registration for visitors, the firm's home for firm users."""
    if not current_user.is_authenticated:
        return url_for("accounts.register")
    if current_user.role == Role.SME:
        return url_for("home.sme")
    return None
