"""Confirmation before irreversible actions: a required "我确认…" checkbox, checked on the server.

Every action that cannot be undone (publishing, archiving or closing, onboarding decisions,
declining a lead, taking an offer, disbursing, deactivating a user, resetting two-factor,
regenerating a monthly report, replacing a month's loan reports) needs the box ticked. Without
JavaScript and under a strict CSP there is no `confirm()` dialog, so:

- a form that has fields of its own carries the checkbox (`confirm_field`);
- a single button posts to its action, and `confirmation_step` answers with a page that says
  what will happen and asks for the checkbox; that page posts to the same address again.

Either way a request without the ticked box changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired

from portal.forms import Form

NOT_CONFIRMED = _l("请先勾选“我确认”一项再提交。尚未做任何更改。")
STEP = "confirm"  # the hidden marker of a post that comes from the confirmation page
CONTROL_FIELDS = frozenset({"csrf_token", "confirmed", "step"})


def confirm_field(label: object) -> BooleanField:
    """The required "我确认…" checkbox, for a form that has fields of its own."""
    return BooleanField(label, validators=[DataRequired(NOT_CONFIRMED)])


class ConfirmActionForm(Form):
    """The confirmation page's form: the CSRF token and the checkbox."""

    confirmed = confirm_field(_l("我确认执行此操作"))
    step = HiddenField()


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: the action, on what, what follows, and the buttons."""

    title: object
    subject: str
    consequences: object
    checkbox: object
    button: object
    cancel_url: str
    danger: bool = False
    summary: Sequence[tuple[object, object]] = ()


def confirmation_step(confirmation: Confirmation) -> str | None:
    """None when the request carries the ticked box; otherwise the confirmation page.

    Call it after loading the object (so another tenant's id stays a 404) and after checking
    the action's own fields. A post with a bad CSRF token is refused with 400 as before.
    """
    form = ConfirmActionForm()
    form.confirmed.label.text = str(confirmation.checkbox)
    if form.validate_on_submit():
        return None
    if "csrf_token" in form and form.csrf_token.errors:
        abort(400)
    if form.step.data != STEP:
        form.confirmed.errors = []  # the first arrival from the action's button: no error yet
    form.step.data = STEP
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in CONTROL_FIELDS
    ]
    return render_template("confirm.html", form=form, c=confirmation, carried=carried)
