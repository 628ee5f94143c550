"""The forms of the firm's account: inviting a colleague, asking to close the account, and
platform staff's refusal of that request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.enums import FIRM_ROLE_LABELS, FirmRole
from portal.firm_team.models import NOTE_MAX, REASON_MAX
from portal.forms import Form
from portal.team.forms import InviteForm

INVITED_AS = (FirmRole.MEMBER, FirmRole.OWNER)  # the usual first


class FirmInviteForm(InviteForm):
    """Who to invite, as the firm's member (the usual) or as another owner."""

    role = SelectField(
        _l("角色"),
        choices=[(role.value, FIRM_ROLE_LABELS[role]) for role in INVITED_AS],
        validators=[DataRequired(_l("请选择角色"))],
        description=_l("负责人可以管理团队、导出企业数据；成员办理融资业务"),
    )


class ClosureRequestForm(Form):
    """An owner asks to close the firm's account, having read what is kept and what goes."""

    reason = TextAreaField(
        _l("注销原因（选填）"),
        validators=[
            Optional(),
            Length(max=REASON_MAX, message=_l("注销原因不超过 500 个字，请删减")),
        ],
        description=_l("例如“企业已停业”；平台工作人员办理时会看到"),
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )
    confirmed = BooleanField(
        _l("我已阅读上述说明，确认申请注销本企业账号"),
        validators=[DataRequired(_l("请先勾选确认一项，表示您已阅读注销的后果"))],
    )


class ClosureRefusalForm(Form):
    """Why platform staff do not close the account; the firm's users read it."""

    note = TextAreaField(
        _l("不予办理的理由"),
        validators=[
            DataRequired(_l("请写明不予办理的理由")),
            Length(min=4, max=NOTE_MAX, message=_l("请写明不予办理的理由（4 到 500 个字）")),
        ],
        description=_l("企业会看到这段说明，例如“尚有未结清的担保代偿，请结清后再申请”"),
        render_kw={"rows": 3, "maxlength": NOTE_MAX},
    )
