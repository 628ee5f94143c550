"""What the confirmation pages say before a firm's ownership changes."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts.models import User
from portal.confirmation import Confirmation


def transfer(user: User, cancel_url: str) -> Confirmation:
    return Confirmation(
        title=_("移交企业负责人"),
        subject=f"{user.full_name} · {user.email}",
        consequences=_(
            "移交后对方成为企业负责人，可以管理团队、导出企业数据；您成为企业成员，"
            "不能再管理团队。需要时请对方把您重新设为负责人。"
        ),
        checkbox=_("我确认移交企业负责人"),
        button=_("确认移交"),
        cancel_url=cancel_url,
        danger=True,
    )


def demotion(user: User, actor: User, cancel_url: str) -> Confirmation:
    own = user.id == actor.id
    return Confirmation(
        title=_("改为企业成员"),
        subject=f"{user.full_name} · {user.email}",
        consequences=_("改为成员后您将不能再管理团队和导出企业数据。")
        if own
        else _("改为成员后对方不能再管理团队和导出企业数据，仍可办理融资业务。"),
        checkbox=_("我确认改为企业成员"),
        button=_("确认修改"),
        cancel_url=cancel_url,
        danger=own,
    )
