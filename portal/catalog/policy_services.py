"""Policy services for government staff: draft, edit, publish, close, and what-if counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.compiled import compiled
from portal.catalog.models import PolicyProduct, RuleVersion
from portal.catalog.policy_estimate import BudgetEstimate, estimate
from portal.catalog.versions import current_version, record_rules
from portal.db import assign_changed, utcnow
from portal.enums import ProductStatus
from portal.extensions import db
from portal.matching.rematch import EligibleFirms, count_eligible_firms


class PolicyError(Exception):
    """A policy operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class WhatIf:
    """A draft policy's reach (firms meeting its firm conditions) and what it would cost."""

    firms: EligibleFirms
    budget: BudgetEstimate


def slug_taken(slug: str, except_id: int | None = None) -> bool:
    statement = select(PolicyProduct.id).where(PolicyProduct.slug == slug)
    if except_id is not None:
        statement = statement.where(PolicyProduct.id != except_id)
    return db.session.scalar(statement) is not None


# --- what may be done to a policy in its state ------------------------------------------------


def edit_refusal(policy: PolicyProduct) -> str | None:
    """Why the policy cannot be edited, or None."""
    if policy.status == ProductStatus.ARCHIVED:
        return _("政策已关闭，不能再修改")
    return None


def publish_refusal(policy: PolicyProduct) -> str | None:
    """Why the policy cannot be published, or None."""
    if policy.status == ProductStatus.ARCHIVED:
        return _("政策已关闭，不能再发布")
    if policy.status != ProductStatus.DRAFT:
        return _("只有草稿可以发布")
    if current_version(policy) is None:
        return _("政策还没有规则，不能发布")
    return None


def close_refusal(policy: PolicyProduct) -> str | None:
    """Why the policy cannot be closed, or None."""
    if policy.status == ProductStatus.ARCHIVED:
        return _("政策已经关闭")
    return None


def delete_refusal(policy: PolicyProduct) -> str | None:
    """Why the policy cannot be deleted, or None: only a draft never put in force goes."""
    if policy.status != ProductStatus.DRAFT or policy.published_at is not None:
        return _("只有从未发布过的草稿可以删除；已发布的政策请关闭")
    return None


def _refuse(refusal: str | None) -> None:
    if refusal is not None:
        raise PolicyError(refusal)


OPEN_STATES = (ProductStatus.DRAFT, ProductStatus.PUBLISHED)


def _transition(
    policy: PolicyProduct,
    only_from: tuple[ProductStatus, ...],
    refusal: Callable[[PolicyProduct], str | None],
    **values: Any,
) -> None:
    """Change the policy's row only while it is still in one of the states `only_from`: one
    conditional UPDATE, so two requests at once cannot both publish or close it, nor edit a
    policy being closed (on PostgreSQL the row stays locked until commit). When the state moved
    on meanwhile, nothing is written and the refusal says why."""
    result = db.session.execute(
        update(PolicyProduct)
        .where(PolicyProduct.id == policy.id, PolicyProduct.status.in_(only_from))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise PolicyError(refusal(policy) or _("政策的状态已变化，请刷新页面后重试"))
    db.session.refresh(policy)


# --- changes -----------------------------------------------------------------------------------


def create_policy(actor: User, fields: dict[str, Any], rules: dict[str, Any]) -> PolicyProduct:
    """A new draft policy of the actor's agency, with rule version 1."""
    if slug_taken(fields["slug"]):
        raise PolicyError(_("政策编号已被使用，请换一个"))
    policy = PolicyProduct(agency_id=actor.agency_id, status=ProductStatus.DRAFT, **fields)
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, created_by_id=actor.id, note="网页起草", **rules)
    audit.record(AuditAction.POLICY_CREATE, actor=actor, obj=policy)
    db.session.commit()
    return policy


def update_policy(
    actor: User, policy: PolicyProduct, fields: dict[str, Any], rules: dict[str, Any]
) -> RuleVersion:
    """Edit a policy; changed rules become a new version and old versions stay."""
    _refuse(edit_refusal(policy))
    # A no-op UPDATE (updated_at kept: it moves only on a real change) that takes the row.
    _transition(
        policy,
        OPEN_STATES,
        edit_refusal,
        status=PolicyProduct.status,
        updated_at=PolicyProduct.updated_at,
    )
    if policy.status == ProductStatus.PUBLISHED and fields["slug"] != policy.slug:
        raise PolicyError(_("已发布政策的编号不能修改"))
    if slug_taken(fields["slug"], except_id=policy.id):
        raise PolicyError(_("政策编号已被使用，请换一个"))
    changed = assign_changed(policy, fields)
    version, created = record_rules(policy, created_by_id=actor.id, note="网页编辑", **rules)
    audit.record(
        AuditAction.POLICY_UPDATE,
        actor=actor,
        obj=policy,
        fields=",".join(sorted(changed)),
        rule_version=version.version,
        new_rule_version=created,
    )
    db.session.commit()
    return version


def publish_policy(actor: User, policy: PolicyProduct) -> None:
    """Put a draft policy in force: firms see it and the matcher applies it."""
    _refuse(publish_refusal(policy))
    now = utcnow()
    _transition(
        policy,
        (ProductStatus.DRAFT,),
        publish_refusal,
        status=ProductStatus.PUBLISHED,
        published_at=now,
        updated_at=now,
    )
    audit.record(AuditAction.POLICY_PUBLISH, actor=actor, obj=policy)
    db.session.commit()


def close_policy(actor: User, policy: PolicyProduct, reason: str) -> None:
    """Stop a policy: no new loans get its benefit; granted benefits stay on record."""
    _refuse(close_refusal(policy))
    now = utcnow()
    _transition(
        policy,
        OPEN_STATES,
        close_refusal,
        status=ProductStatus.ARCHIVED,
        closed_at=now,
        updated_at=now,
    )
    audit.record(AuditAction.POLICY_CLOSE, actor=actor, obj=policy, reason=reason)
    db.session.commit()


def delete_policy(actor: User, policy: PolicyProduct) -> None:
    """Delete a draft that was never in force, with its rule versions: nothing cites them (only
    a policy in force is matched, granted or claimed). One conditional DELETE decides, so a
    draft published a moment ago by a colleague stays."""
    _refuse(delete_refusal(policy))
    audit.record(
        AuditAction.POLICY_DELETE, actor=actor, obj=policy, title=policy.title, slug=policy.slug
    )
    db.session.execute(delete(RuleVersion).where(RuleVersion.policy_id == policy.id))
    deleted = db.session.execute(
        delete(PolicyProduct)
        .where(
            PolicyProduct.id == policy.id,
            PolicyProduct.status == ProductStatus.DRAFT,
            PolicyProduct.published_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted != 1:
        db.session.rollback()
        raise PolicyError(_("政策的状态已变化，请刷新页面后重试"))
    db.session.commit()


def what_if(policy: PolicyProduct, version: RuleVersion, today: dt.date) -> WhatIf:
    """Count registered firms meeting the rule's firm conditions (counts only, no identities)
    and estimate the budget they would take (portal.catalog.policy_estimate).

    There is no financing need yet, so clauses about the amount, term or price are left out:
    they are decided when a firm applies.
    """
    firms = count_eligible_firms(db.session, compiled(version).eligibility, today)
    return WhatIf(firms=firms, budget=estimate(policy, version, firms.eligible, today))
