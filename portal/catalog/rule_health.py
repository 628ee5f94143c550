"""Telling a bank or an agency that one of its rules cannot be evaluated.

A rule that cannot be evaluated (a stored version that no longer validates, or arithmetic that
went out of range for some firm) makes its product unavailable in the match rather than failing
anyone's page. Its owner's admins hear about it once per product (or policy) and rule version,
not once per firm: the notification's dedupe key names both.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.enums import Role
from portal.extensions import db
from portal.notifications.service import notify, path_for

KIND = "rules.unevaluable"


def report_product(
    institution_id: int, product_id: int, name: str, version_id: int, version: int
) -> None:
    """Tell the bank's admins that a product's rule version cannot be evaluated (once)."""
    _send(
        _admins(User.institution_id == institution_id, Role.BANK_ADMIN),
        f"{KIND}:product:{product_id}:{version_id}",
        _l(
            "产品“%(name)s”的规则（第 %(version)s 版）无法计算，已暂停匹配",
            name=name,
            version=version,
        ),
        path_for("products.detail", product_id=product_id),
    )


def report_policy(
    agency_id: int, policy_id: int, title: str, version_id: int, version: int
) -> None:
    """Tell the agency's staff that a policy's rule version cannot be evaluated (once)."""
    _send(
        _admins(User.agency_id == agency_id, Role.GOV_STAFF),
        f"{KIND}:policy:{policy_id}:{version_id}",
        _l(
            "政策“%(name)s”的规则（第 %(version)s 版）无法计算，已暂停匹配",
            name=title,
            version=version,
        ),
        path_for("gov_policies.detail", policy_id=policy_id),
    )


def _admins(owner: object, role: Role) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id).where(owner, User.role == role, User.is_active.is_(True))  # type: ignore[arg-type]
        )
    )


def _send(user_ids: Iterable[int], key: str, title: str, link: str) -> None:
    """One notification per admin, inside a savepoint: a twin sent by another worker a moment
    ago (the dedupe key is unique) must not fail the caller's transaction."""
    body = _l("请打开产品或政策，按提示修改其中超出范围的数字或公式后重新保存。")
    try:
        with db.session.begin_nested():
            notify(user_ids, KIND, title, body, link=link, dedupe_key=key)
    except IntegrityError:
        pass
