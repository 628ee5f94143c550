"""Government staff draft, publish, edit and close their agency's policy products."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires, scoped
from portal.catalog import policy_services as services
from portal.catalog.models import PolicyProduct, RuleVersion
from portal.catalog.policy_forms import PolicyForm
from portal.catalog.versions import current_version
from portal.confirmation import Confirmation, confirmation_step
from portal.dates import today_in_china
from portal.extensions import db
from portal.firms.forms import yuan_to_wan_field
from portal.firms.standards import region_choices

bp = Blueprint("gov_policies", __name__, url_prefix="/gov/policies")


@bp.get("/")
@requires(Permission.GOV_POLICIES_MANAGE)
def index() -> str:
    policies = db.session.scalars(
        scoped(select(PolicyProduct), PolicyProduct, current_user).order_by(
            PolicyProduct.status, PolicyProduct.valid_from.desc()
        )
    ).all()
    return render_template("catalog/policy_index.html", policies=policies)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.GOV_POLICIES_MANAGE)
def new() -> str | Response:
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            policy = services.create_policy(current_user, form.policy_data(), form.rules_data())
        except services.PolicyError as error:
            form.slug.errors.append(str(error))
        else:
            flash(_("政策草稿已保存。可先查看符合条件的企业数，再发布。"), "success")
            return redirect(url_for("gov_policies.detail", policy_id=policy.id))
    return render_template("catalog/policy_form.html", form=form, policy=None)


@bp.route("/<int:policy_id>/edit", methods=["GET", "POST"])
@requires(Permission.GOV_POLICIES_MANAGE)
def edit(policy_id: int) -> str | Response:
    policy = get_or_404(PolicyProduct, policy_id, current_user)
    refused = _refused(services.edit_refusal(policy), policy)
    if refused is not None:
        return refused
    form = PolicyForm(obj=policy)
    if not form.is_submitted():
        _prefill(form, policy)
    if form.validate_on_submit():
        try:
            version = services.update_policy(
                current_user, policy, form.policy_data(), form.rules_data()
            )
        except services.PolicyError as error:
            flash(str(error), "error")
        else:
            flash(_("已保存，当前规则为第 %(n)s 版。", n=version.version), "success")
            return redirect(url_for("gov_policies.detail", policy_id=policy.id))
    return render_template("catalog/policy_form.html", form=form, policy=policy)


@bp.get("/<int:policy_id>")
@requires(Permission.GOV_POLICIES_MANAGE)
def detail(policy_id: int) -> str:
    policy = get_or_404(PolicyProduct, policy_id, current_user)
    version = current_version(policy)
    show_what_if = request.args.get("what_if") == "1" and version is not None
    return render_template(
        "catalog/policy_detail.html",
        policy=policy,
        version=version,
        history=_history(policy),
        what_if=services.what_if(policy, version, today_in_china()) if show_what_if else None,
        regions=dict(region_choices()),
        confirm=ConfirmForm(),
    )


@bp.post("/<int:policy_id>/publish")
@requires(Permission.GOV_POLICIES_MANAGE)
def publish(policy_id: int) -> str | Response:
    policy = get_or_404(PolicyProduct, policy_id, current_user)
    refused = _refused(services.publish_refusal(policy), policy)
    if refused is not None:
        return refused
    page = confirmation_step(
        Confirmation(
            title=_("发布政策"),
            subject=policy.title,
            consequences=_(
                "发布后，企业和银行即可看到该政策，匹配时立即按其当前规则计算贴息或补贴。"
                "之后修改规则将生成新版本，已记录的决策仍引用原版本。"
            ),
            checkbox=_("我确认发布该政策"),
            button=_("确认发布"),
            cancel_url=url_for("gov_policies.detail", policy_id=policy.id),
        )
    )
    if page is not None:
        return page
    try:
        services.publish_policy(current_user, policy)
    except services.PolicyError as error:
        flash(str(error), "error")
    else:
        flash(_("政策已发布，企业和银行现在可以看到它。"), "success")
    return redirect(url_for("gov_policies.detail", policy_id=policy.id))


@bp.post("/<int:policy_id>/delete")
@requires(Permission.GOV_POLICIES_MANAGE)
def delete(policy_id: int) -> str | Response:
    policy = get_or_404(PolicyProduct, policy_id, current_user)
    refused = _refused(services.delete_refusal(policy), policy)
    if refused is not None:
        return refused
    page = confirmation_step(
        Confirmation(
            title=_("删除政策草稿"),
            subject=policy.title,
            consequences=_(
                "草稿及其各版规则将被删除，不能恢复。草稿从未发布，没有任何决策引用它。"
            ),
            checkbox=_("我确认删除该草稿"),
            button=_("确认删除"),
            cancel_url=url_for("gov_policies.detail", policy_id=policy.id),
            danger=True,
        )
    )
    if page is not None:
        return page
    title = policy.title
    try:
        services.delete_policy(current_user, policy)
    except services.PolicyError as error:
        flash(str(error), "error")
        return redirect(url_for("gov_policies.detail", policy_id=policy_id))
    flash(_("已删除草稿“%(title)s”。", title=title), "success")
    return redirect(url_for("gov_policies.index"))


@bp.post("/<int:policy_id>/close")
@requires(Permission.GOV_POLICIES_MANAGE)
def close(policy_id: int) -> str | Response:
    policy = get_or_404(PolicyProduct, policy_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refused = _refused(services.close_refusal(policy), policy)
    if refused is not None:
        return refused
    reason = (request.form.get("reason") or "").strip()
    if not 4 <= len(reason) <= 500:
        flash(_("请填写关闭原因（4 到 500 字）。"), "error")
        return redirect(url_for("gov_policies.detail", policy_id=policy.id) + "#close")
    page = confirmation_step(
        Confirmation(
            title=_("关闭政策"),
            subject=policy.title,
            consequences=_(
                "关闭后新发放的贷款不再享受此政策，且不能重新开启；已享受的支持不受影响。"
            ),
            checkbox=_("我确认关闭该政策，关闭后不能重新开启"),
            button=_("确认关闭"),
            cancel_url=url_for("gov_policies.detail", policy_id=policy.id),
            danger=True,
            summary=[(_("关闭原因"), reason)],
        )
    )
    if page is not None:
        return page
    try:
        services.close_policy(current_user, policy, reason)
    except services.PolicyError as error:
        flash(str(error), "error")
    else:
        flash(_("政策已关闭，新发放的贷款不再享受此政策。"), "success")
    return redirect(url_for("gov_policies.detail", policy_id=policy.id))


def _refused(refusal: str | None, policy: PolicyProduct) -> Response | None:
    """Back to the policy with the reason, when the action cannot be done in its state."""
    if refusal is None:
        return None
    flash(refusal, "error")
    return redirect(url_for("gov_policies.detail", policy_id=policy.id))


def _prefill(form: PolicyForm, policy: PolicyProduct) -> None:
    form.budget_wan.data = yuan_to_wan_field(policy.budget) if policy.budget else None
    form.benefit_cap_wan.data = (
        yuan_to_wan_field(policy.benefit_cap) if policy.benefit_cap else None
    )
    version = current_version(policy)
    if version is not None:
        form.eligibility.data = version.eligibility
        form.benefit_formula.data = version.formula or ""


def _history(policy: PolicyProduct) -> list[RuleVersion]:
    return list(
        db.session.scalars(
            select(RuleVersion)
            .where(RuleVersion.policy_id == policy.id)
            .order_by(RuleVersion.version.desc())
        )
    )
