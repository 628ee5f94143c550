"""The confirmation pages of actions on someone's account, for every page that offers them
(platform admins' user list, an institution admin's team)."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts.models import User
from portal.confirmation import Confirmation


def deactivation(user: User, cancel_url: str) -> Confirmation:
    return Confirmation(
        title=_("停用用户"),
        subject=f"{user.full_name} · {user.email}",
        consequences=_(
            "停用后该用户立即被退出登录，不能再登录平台；其经办的记录保留。需要时可以再次启用。"
        ),
        checkbox=_("我确认停用该用户"),
        button=_("确认停用"),
        cancel_url=cancel_url,
        danger=True,
    )


def two_factor_reset(user: User, cancel_url: str) -> Confirmation:
    return Confirmation(
        title=_("重置两步验证"),
        subject=f"{user.full_name} · {user.email}",
        consequences=_(
            "重置后该用户原有的验证器和恢复码全部作废，下次登录时必须重新绑定验证器。"
            "请先通过可靠渠道核实本人身份。"
        ),
        checkbox=_("我确认已核实本人身份，重置其两步验证"),
        button=_("确认重置"),
        cancel_url=cancel_url,
        danger=True,
    )
