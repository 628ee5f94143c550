"""A policy's state as people read it, from its status and dates: one rule for every page.

The status alone cannot say it: a published policy whose start date is still ahead is not in
force yet, and one past its end date is no longer in force though nobody closed it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from portal.catalog.models import PolicyProduct
from portal.dates import today_in_china
from portal.enums import ProductStatus


class PolicyState(StrEnum):
    DRAFT = "draft"
    NOT_STARTED = "not_started"
    IN_FORCE = "in_force"
    ENDED = "ended"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(POLICY_STATE_LABELS[self])

    @property
    def tone(self) -> str:
        """The badge class the state is shown with."""
        return POLICY_STATE_TONES[self]


POLICY_STATE_LABELS: dict[PolicyState, object] = {
    PolicyState.DRAFT: _l("草稿"),
    PolicyState.NOT_STARTED: _l("尚未开始"),
    PolicyState.IN_FORCE: _l("实施中"),
    PolicyState.ENDED: _l("已到期"),
    PolicyState.CLOSED: _l("已关闭"),
}

POLICY_STATE_TONES: dict[PolicyState, str] = {
    PolicyState.DRAFT: "badge--warn",
    PolicyState.NOT_STARTED: "badge--warn",
    PolicyState.IN_FORCE: "badge--ok",
    PolicyState.ENDED: "badge--muted",
    PolicyState.CLOSED: "badge--muted",
}


def policy_state(policy: PolicyProduct, today: dt.date | None = None) -> PolicyState:
    """The policy's state on `today` (Asia/Shanghai; default: now)."""
    if policy.status == ProductStatus.ARCHIVED:
        return PolicyState.CLOSED
    if policy.status != ProductStatus.PUBLISHED:
        return PolicyState.DRAFT
    today = today or today_in_china()
    if policy.valid_from > today:
        return PolicyState.NOT_STARTED
    if policy.valid_to is not None and policy.valid_to < today:
        return PolicyState.ENDED
    return PolicyState.IN_FORCE
