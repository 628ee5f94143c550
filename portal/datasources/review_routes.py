"""Identity and disputes: the firm's identity page and dispute form, and platform staff's
review of authorisation letters and disputes (portal/datasources/reviews.py)."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from portal.accounts.models import User
from portal.authz import Permission, get_or_404, requires
from portal.datasources import provenance, reviews
from portal.datasources.letters import download_name
from portal.datasources.models import FactDispute, IdentityLetter
from portal.datasources.review_forms import (
    DisputeDecisionForm,
    DisputeForm,
    LetterDecisionForm,
    LetterForm,
)
from portal.datasources.verification import Change, VerificationUnavailable
from portal.dates import today_in_china
from portal.extensions import db
from portal.firms.models import Firm
from portal.pagination import paginate

bp = Blueprint("reviews", __name__)

# What a firm whose identity waits for review may not do yet: seek finance.
HELD_ENDPOINTS = frozenset({"needs.new", "needs.apply", "needs.route_best", "needs.pool"})


@bp.before_app_request
def hold_needs_until_identity() -> Response | None:
    """A firm registered with a letter seeks finance once platform staff have approved it."""
    if request.endpoint not in HELD_ENDPOINTS or not current_user.is_authenticated:
        return None
    firm = current_user.firm
    if firm is None or not reviews.needs_held(firm):
        return None
    flash(_("企业身份尚在审核中，审核通过后即可提交融资需求。"), "info")
    return redirect(url_for("reviews.identity"))


# --- the firm's side -------------------------------------------------------------------------


@bp.route("/firm/identity", methods=["GET", "POST"])
@requires(Permission.FIRM_PROFILE_EDIT)
def identity() -> str | Response:
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    state = reviews.identity_state(firm)
    form = LetterForm()
    if state == reviews.LETTER_REJECTED and form.validate_on_submit():
        try:
            reviews.submit_letter(current_user, firm, form.letter_file)
        except reviews.ReviewError:
            flash(_("当前无需提交授权委托书。"), "info")
        else:
            flash(_("授权委托书已重新提交，平台工作人员会尽快审核。"), "success")
        return redirect(url_for("reviews.identity"))
    return render_template(
        "reviews/identity.html",
        firm=firm,
        state=state,
        letter=reviews.latest_letter(firm),
        form=form,
    )


@bp.route("/firm/profile/dispute", methods=["GET", "POST"])
@requires(Permission.FIRM_PROFILE_EDIT)
def dispute() -> str | Response:
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    field = request.args.get("field", "")
    if not provenance.is_disputable(firm, field):
        flash(_("该项不是经政务数据核验的信息，可直接在企业信息页修改。"), "info")
        return redirect(url_for("home.firm_profile"))
    existing = reviews.open_disputes(firm).get(field)
    form = DisputeForm()
    if existing is None and form.validate_on_submit():
        try:
            reviews.open_dispute(current_user, firm, field, form.note.data)
        except reviews.DisputeAlreadyOpen:
            flash(_("您对该项已有一条异议在处理中。"), "info")
        except reviews.NoteTooShort:
            form.note.errors.append(_("请填写异议说明"))
        else:
            flash(_("异议已提交，平台工作人员核实后会通知您。"), "success")
            return redirect(url_for("home.firm_profile"))
    return render_template(
        "reviews/dispute.html",
        firm=firm,
        field=field,
        label=provenance.FIELD_LABELS[field],
        existing=existing,
        form=form,
    )


# --- platform staff --------------------------------------------------------------------------


@bp.get("/admin/reviews")
@requires(Permission.PLATFORM_REVIEW)
def index() -> str:
    show = "disputes" if request.args.get("show") == "disputes" else "letters"
    pending = request.args.get("state") != "decided"
    query = (
        reviews.disputes_query(pending) if show == "disputes" else reviews.letters_query(pending)
    )
    page = paginate(query)
    firm_ids = {row.firm_id for row in page.items}
    firms = db.session.scalars(select(Firm).where(Firm.id.in_(firm_ids))) if firm_ids else []
    return render_template(
        "reviews/index.html",
        show=show,
        pending=pending,
        page=page,
        firms={firm.id: firm for firm in firms},
        field_labels=provenance.FIELD_LABELS,
        counts={
            "letters": _count(reviews.letters_query(True)),
            "disputes": _count(reviews.disputes_query(True)),
        },
    )


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


@bp.route("/admin/reviews/letters/<int:letter_id>", methods=["GET", "POST"])
@requires(Permission.PLATFORM_REVIEW)
def letter(letter_id: int) -> str | Response | tuple[str, int]:
    row = get_or_404(IdentityLetter, letter_id, current_user)
    form = LetterDecisionForm()
    if form.validate_on_submit():
        approve = form.decision.data == "approve"
        try:
            reviews.decide_letter(current_user, row, approve, form.reason.data)
        except reviews.AlreadyDecided:
            flash(_("该授权委托书已经审核过，未做任何更改。"), "error")
        except reviews.NoteTooShort:
            form.reason.errors.append(_("不通过时请写明理由，至少 %(n)s 个字", n=reviews.MIN_NOTE))
            return _letter_page(row, form), 200
        else:
            flash(_("已审核通过。") if approve else _("已退回，企业会看到理由。"), "success")
        return redirect(url_for("reviews.letter", letter_id=row.id))
    return _letter_page(row, form)


def _letter_page(row: IdentityLetter, form: LetterDecisionForm) -> str:
    firm = get_or_404(Firm, row.firm_id, current_user)
    submitter = db.session.get(User, row.user_id)
    return render_template(
        "reviews/letter.html", letter=row, firm=firm, submitter=submitter, form=form
    )


@bp.get("/admin/reviews/letters/<int:letter_id>/file")
@requires(Permission.PLATFORM_REVIEW)
def letter_file(letter_id: int) -> Response:
    row = get_or_404(IdentityLetter, letter_id, current_user)
    return send_file(
        io.BytesIO(row.content),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=download_name(row.id, row.content_type),
        max_age=0,
    )


@bp.route("/admin/reviews/disputes/<int:dispute_id>", methods=["GET", "POST"])
@requires(Permission.PLATFORM_REVIEW)
def dispute_review(dispute_id: int) -> str | Response:
    row = get_or_404(FactDispute, dispute_id, current_user)
    form = DisputeDecisionForm()
    if form.validate_on_submit():
        upheld = form.outcome.data == "upheld"
        try:
            changes = reviews.close_dispute(
                current_user, row, upheld, form.note.data, today_in_china()
            )
        except reviews.AlreadyDecided:
            flash(_("该异议已经处理过，未做任何更改。"), "error")
        except VerificationUnavailable:
            flash(
                _("政务数据共享服务暂时无法访问，未能重新核验，本次未做任何更改，请稍后再试。"),
                "error",
            )
        else:
            flash(_done(upheld, changes), "success")
        return redirect(url_for("reviews.dispute_review", dispute_id=row.id))
    firm = get_or_404(Firm, row.firm_id, current_user)
    label = provenance.FIELD_LABELS.get(row.field, row.field)
    return render_template(
        "reviews/dispute_review.html", dispute=row, firm=firm, label=label, form=form
    )


def _done(upheld: bool, changes: list[Change]) -> str:
    if not upheld:
        return _("已处理：异议不成立，企业会看到处理说明。")
    if not changes:
        return _("已处理并重新核验，数据源的数据没有变化。")
    names = _("、").join(str(provenance.FIELD_LABELS.get(c.field, c.field)) for c in changes)
    return _("已处理并重新核验，以下信息已更新：%(fields)s", fields=names)
