"""The firm's financing needs: submit, see matches, apply, compare offers, withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from portal.accounts.models import User
from portal.admin.forms import ConfirmForm
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.authz import Permission, get_or_404, requires, scoped
from portal.catalog.models import BankProduct
from portal.confirmation import Confirmation, confirmation_step
from portal.datasources import pages as data_pages
from portal.dates import today_in_china
from portal.enums import REPAYMENT_METHOD_LABELS, BenefitKind, LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads import services as lead_services
from portal.leads.models import Lead
from portal.leads.offers import offer_views, yuan
from portal.leads.services import LeadError, offer_taken, settled_reason
from portal.matching.models import MatchResult
from portal.money import money, percent
from portal.needs.forms import ApplyForm, NeedForm, new_idempotency_key
from portal.needs.models import FinancingNeed
from portal.needs.services import NeedError, submit_need, withdraw_need
from portal.pagination import paginate
from portal.settings import max_banks_per_need
from portal.subsidies import settlement

bp = Blueprint("needs", __name__, url_prefix="/firm/needs")

# What the firm sees in "who viewed my data": each look at its profile or at a document of it.
LOOKS_AT_FIRM_DATA = (AuditAction.FIRM_PROFILE_VIEW, AuditAction.FIRM_DOCUMENT_DOWNLOAD)
OFFER_STATUSES = (LeadStatus.APPROVED, LeadStatus.DISBURSED)


@dataclass(frozen=True)
class Match:
    """One product's result for the need, with the product and its bank."""

    result: MatchResult
    product: BankProduct

    @property
    def explanation(self) -> dict[str, Any]:
        return self.result.explanation or {}

    @property
    def bank(self) -> FinancialInstitution:
        return self.product.institution


@dataclass(frozen=True)
class Unmatched:
    """A product the need did not qualify for, with the reasons shown at match time."""

    product: BankProduct
    explanation: dict[str, Any]

    @property
    def bank(self) -> FinancialInstitution:
        return self.product.institution


# --- list and submit -------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.FIRM_NEED_SUBMIT)
def index() -> str:
    """The firm's needs, newest first, with how far each has got."""
    statement = scoped(select(FinancingNeed), FinancingNeed, current_user).order_by(
        FinancingNeed.created_at.desc(), FinancingNeed.id.desc()
    )
    page = paginate(statement)
    return render_template("needs/index.html", page=page, counts=_need_counts(page.items))


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.FIRM_NEED_SUBMIT)
def new() -> str | Response:
    """Submit a need; the form's key makes a second submission land on the first need."""
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    form = NeedForm()
    if not form.is_submitted():
        form.idempotency_key.data = new_idempotency_key()
    if form.validate_on_submit():
        try:
            need = submit_need(current_user, firm, form.need_input(), form.idempotency_key.data)
        except NeedError as error:
            flash(str(error), "error")
            form.idempotency_key.data = new_idempotency_key()
        else:
            flash(_("融资需求已提交，以下是为您匹配的结果。"), "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    if form.idempotency_key.errors:
        flash(_("表单已失效，已为您刷新，请核对后重新提交"), "error")
        form.idempotency_key.data = new_idempotency_key()
    return render_template("needs/new.html", form=form, firm=firm)


# --- one need ----------------------------------------------------------------------------------


@bp.get("/<int:need_id>")
@requires(Permission.FIRM_NEED_SUBMIT)
def detail(need_id: int) -> str:
    """The need, its ranked matches, the reasons for the others, its leads and offers."""
    need = get_or_404(FinancingNeed, need_id, current_user)
    matches = _matches(need)
    eligible = [m for m in matches if m.result.eligible]
    leads = _leads(need)
    tried = {lead.institution_id for lead in leads if lead.institution_id is not None}
    return render_template(
        "needs/detail.html",
        need=need,
        subsidised=settlement.received_for_need(current_user, need.id),
        eligible=eligible,
        ineligible=_unmatched(need, matches),
        applicable=[m for m in eligible if m.product.institution_id not in tried],
        tried=tried,
        leads=leads,
        # Each offer priced from the grants stored at its credit decision, at its own rate.
        offers=offer_views([lead for lead in leads if _is_offer(lead)], today_in_china()),
        yuan=yuan,
        pooled=any(lead.status == LeadStatus.POOLED for lead in leads),
        live=settled_reason(need) is None,
        taken=offer_taken(need),
        max_applications=max_banks_per_need(),
        benefit_text=benefit_text,
        confirm=ConfirmForm(),
    )


@bp.post("/<int:need_id>/apply")
@requires(Permission.FIRM_NEED_SUBMIT)
def apply(need_id: int) -> Response:
    need = get_or_404(FinancingNeed, need_id, current_user)
    form = ApplyForm()
    if not form.validate_on_submit():
        for message in form.product_id.errors or [_("请至少选择 1 个产品")]:
            flash(message, "error")
        return _back_to(need)
    try:
        chosen = sorted(set(form.product_id.data))
        leads = lead_services.apply_to_products(current_user, need, chosen)
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("已向 %(n)s 家银行提交申请，请留意银行的响应。", n=len(leads)), "success")
    return _back_to(need)


@bp.post("/<int:need_id>/route-best")
@requires(Permission.FIRM_NEED_SUBMIT)
def route_best(need_id: int) -> Response:
    need = _confirmed_need(need_id)
    try:
        leads = lead_services.route_best(current_user, need)
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("平台已为您推荐并推送给 %(n)s 家银行。", n=len(leads)), "success")
    return _back_to(need)


@bp.post("/<int:need_id>/pool")
@requires(Permission.FIRM_NEED_SUBMIT)
def pool(need_id: int) -> Response:
    need = _confirmed_need(need_id)
    try:
        lead_services.send_to_pool(current_user, need)
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("需求已放入抢单池，符合条件的银行可以领取。"), "success")
    return _back_to(need)


@bp.post("/<int:need_id>/withdraw")
@requires(Permission.FIRM_NEED_SUBMIT)
def withdraw(need_id: int) -> str | Response:
    need = _confirmed_need(need_id)
    page = confirmation_step(
        Confirmation(
            title=_("撤回需求"),
            subject=_need_subject(need),
            consequences=_(
                "撤回后，已推送给银行的申请和抢单池中的线索都会关闭，银行不能再受理；"
                "撤回不能恢复，如仍需融资请重新提交需求。"
            ),
            checkbox=_("我确认撤回该融资需求"),
            button=_("确认撤回"),
            cancel_url=url_for("needs.detail", need_id=need.id),
            danger=True,
        )
    )
    if page is not None:
        return page
    try:
        withdraw_need(current_user, need)
    except NeedError as error:
        flash(str(error), "error")
    else:
        flash(_("需求已撤回，相关银行的申请已关闭。"), "success")
    return _back_to(need)


@bp.post("/<int:need_id>/offers/<int:lead_id>/take")
@requires(Permission.FIRM_NEED_SUBMIT)
def take_offer(need_id: int, lead_id: int) -> str | Response:
    need = _confirmed_need(need_id)
    lead = get_or_404(Lead, lead_id, current_user)
    if lead.need_id != need.id:
        abort(404)
    if lead.offer_taken_at is not None:
        flash(_("您已接受该方案，请等待银行放款。"), "info")
        return _back_to(need)
    lapsed = lead_services.offer_lapsed_reason(lead, today_in_china())
    if lapsed is not None:  # say so before asking to confirm; the service checks again
        flash(lapsed, "error")
        return _back_to(need)
    page = confirmation_step(_take_offer_confirmation(need, lead))
    if page is not None:
        return page
    try:
        lead_services.take_offer(current_user, lead)
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("已接受该方案，其他银行的申请已关闭。银行将联系您办理放款。"), "success")
    return _back_to(need)


def _need_subject(need: FinancingNeed) -> str:
    return _(
        "融资需求 #%(id)s · %(amount)s · %(n)s 个月",
        id=need.id,
        amount=money(need.amount),
        n=need.term_months,
    )


def _take_offer_confirmation(need: FinancingNeed, lead: Lead) -> Confirmation:
    bank = lead.institution.short_name if lead.institution else "—"
    summary = [(_("银行"), bank)]
    if lead.approved_amount is not None:
        summary += [
            (_("批复金额"), money(lead.approved_amount)),
            (_("年利率"), percent(lead.approved_rate)),
            (_("期限"), _("%(n)s 个月", n=lead.approved_term_months)),
        ]
    if lead.repayment_method is not None:
        summary.append((_("还款方式"), str(REPAYMENT_METHOD_LABELS[lead.repayment_method])))
    if lead.offer_valid_until is not None:
        summary.append((_("方案有效期至"), lead.offer_valid_until.isoformat()))
    return Confirmation(
        title=_("接受授信方案"),
        subject=_need_subject(need),
        consequences=_(
            "接受后，该银行将为您办理放款，本需求的其他银行申请和方案会全部关闭，且不能恢复。"
        ),
        checkbox=_("我确认接受该方案，并关闭其他银行的申请"),
        button=_("确认接受"),
        cancel_url=url_for("needs.detail", need_id=need.id),
        summary=summary,
    )


# --- who viewed the firm's data --------------------------------------------------------------


@bp.get("/viewers")
@requires(Permission.FIRM_NEED_SUBMIT)
def viewers() -> str:
    """Every time a bank opened the firm's profile or downloaded one of its documents: which
    bank, who, when, for which lead."""
    statement = (
        scoped(select(AuditEntry), AuditEntry, current_user)
        .where(AuditEntry.action.in_(LOOKS_AT_FIRM_DATA))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    page = paginate(statement)
    data_queries, data_query_count = data_pages.recent_for_firm(current_user)
    return render_template(
        "needs/viewers.html",
        page=page,
        who=_viewer_names(page.items),
        data_queries=data_queries,
        data_query_count=data_query_count,
    )


# --- helpers -----------------------------------------------------------------------------------


def _confirmed_need(need_id: int) -> FinancingNeed:
    need = get_or_404(FinancingNeed, need_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return need


def _back_to(need: FinancingNeed) -> Response:
    return redirect(url_for("needs.detail", need_id=need.id))


def _need_counts(needs: list[FinancingNeed]) -> dict[int, dict[str, int]]:
    """Eligible matches, leads and offers per need of the page."""
    ids = [need.id for need in needs]
    counts: dict[int, dict[str, int]] = {
        i: {"matches": 0, "leads": 0, "offers": 0, "taken": 0} for i in ids
    }
    if not ids:
        return counts
    matches = scoped(
        select(MatchResult.need_id, func.count(MatchResult.id)), MatchResult, current_user
    ).where(MatchResult.need_id.in_(ids), MatchResult.eligible.is_(True))
    leads = scoped(select(Lead.need_id, func.count(Lead.id)), Lead, current_user).where(
        Lead.need_id.in_(ids), Lead.institution_id.is_not(None)
    )
    offers = leads.where(Lead.approved_amount.is_not(None))
    taken = leads.where(Lead.offer_taken_at.is_not(None))
    rows = (("matches", matches), ("leads", leads), ("offers", offers), ("taken", taken))
    for key, statement in rows:
        grouped = statement.group_by(statement.selected_columns[0])
        for need_id, count in db.session.execute(grouped):
            counts[need_id][key] = count
    return counts


def _matches(need: FinancingNeed) -> list[Match]:
    """Every product's result for the need: eligible ones by rank, then the others by product."""
    # Owning the need (checked by the caller) is what lets the firm read its results.
    rows = db.session.execute(
        scoped(select(MatchResult, BankProduct), MatchResult, current_user)
        .join(BankProduct, BankProduct.id == MatchResult.product_id)
        .where(MatchResult.need_id == need.id)
        .options(joinedload(BankProduct.institution))
        .order_by(MatchResult.eligible.desc(), MatchResult.rank, BankProduct.name)
    )
    return [Match(result, product) for result, product in rows]


def _unmatched(need: FinancingNeed, matches: list[Match]) -> list[Match | Unmatched]:
    """The products the need did not qualify for, closest to qualifying first (fewest reasons),
    then by bank and product: stored on the need, or as result rows by needs matched before it
    kept them there."""
    found: list[Match | Unmatched] = [m for m in matches if not m.result.eligible]
    entries = {entry["product_id"]: entry for entry in need.unmatched or []}
    if entries:
        # Products the catalogue published when the need was matched, named by the need the
        # caller has already checked the firm owns (as _matches joins them to its results).
        products = db.session.scalars(
            select(BankProduct)
            .where(BankProduct.id.in_(entries))
            .options(joinedload(BankProduct.institution))
        )
        found += [Unmatched(product, entries[product.id]) for product in products]
    return sorted(
        found,
        key=lambda m: (len(m.explanation.get("reasons", [])), m.bank.short_name, m.product.name),
    )


def _leads(need: FinancingNeed) -> list[Lead]:
    return list(
        db.session.scalars(
            scoped(select(Lead), Lead, current_user)
            .where(Lead.need_id == need.id)
            .options(joinedload(Lead.institution), joinedload(Lead.product))
            .order_by(Lead.created_at, Lead.id)
        )
    )


def _is_offer(lead: Lead) -> bool:
    return lead.status in OFFER_STATUSES and lead.approved_amount is not None


def benefit_text(policy: dict[str, Any]) -> str:
    """A policy's benefit in words: 贴息 1 个百分点, 补贴 50% 的担保费 …"""
    kind, value = policy.get("benefit_kind"), Decimal(str(policy.get("value", "0")))
    if kind == BenefitKind.RATE_POINTS:
        return _("贴息 %(points)s 个百分点", points=_plain(value))
    if kind == BenefitKind.FEE_SHARE:
        return _("补贴 %(share)s 的担保费", share=percent(value * 100))
    if kind == BenefitKind.LOSS_SHARE:
        return _("风险补偿分担 %(share)s 的损失", share=percent(value * 100))
    if kind == BenefitKind.LUMP_SUM:
        return _("一次性奖励 %(amount)s", amount=money(value))
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _viewer_names(entries: list[AuditEntry]) -> dict[int, tuple[str | None, str | None]]:
    """The viewing user's name and bank for each entry of the page."""
    ids = [entry.id for entry in entries]
    if not ids:
        return {}
    rows = db.session.execute(
        scoped(
            select(AuditEntry.id, User.full_name, FinancialInstitution.name),
            AuditEntry,
            current_user,
        )
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(FinancialInstitution, FinancialInstitution.id == User.institution_id)
        .where(AuditEntry.id.in_(ids))
    )
    return {entry_id: (name, bank) for entry_id, name, bank in rows}
