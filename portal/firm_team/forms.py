"""The form that invites a colleague into a firm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from portal.enums import FIRM_ROLE_LABELS, FirmRole
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
