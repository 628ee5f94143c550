"""Policy services for government staff: draft, edit, publish, close, and what-if counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.catalog.compiled import compiled
from portal.catalog.models import PolicyProduct, RuleVersion
from portal.catalog.versions import current_version, record_rules
from portal.db import assign_changed, utcnow
from portal.enums import ProductStatus
from portal.extensions import db
from portal.matching.rematch import EligibleFirms, count_eligible_firms


class PolicyError(Exception):
    """A policy operation that cannot be done; the message says why."""


def slug_taken(slug: str, except_id: int | None = None) -> bool:
    statement = select(PolicyProduct.id).where(PolicyProduct.slug == slug)
    if except_id is not None:
        statement = statement.where(PolicyProduct.id != except_id)
    return db.session.scalar(statement) is not None


def create_policy(actor: User, fields: dict[str, Any], rules: dict[str, Any]) -> PolicyProduct:
    """A new draft policy of the actor's agency, with rule version 1."""
    if slug_taken(fields["slug"]):
        raise PolicyError("政策编号已被使用，请换一个")
    policy = PolicyProduct(agency_id=actor.agency_id, status=ProductStatus.DRAFT, **fields)
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, created_by_id=actor.id, note="网页起草", **rules)
    audit.record("policy.create", actor=actor, obj=policy)
    db.session.commit()
    return policy


def update_policy(
    actor: User, policy: PolicyProduct, fields: dict[str, Any], rules: dict[str, Any]
) -> RuleVersion:
    """Edit a policy; changed rules become a new version and old versions stay."""
    if policy.status == ProductStatus.ARCHIVED:
        raise PolicyError("已关闭的政策不能修改")
    if policy.status == ProductStatus.PUBLISHED and fields["slug"] != policy.slug:
        raise PolicyError("已发布政策的编号不能修改")
    if slug_taken(fields["slug"], except_id=policy.id):
        raise PolicyError("政策编号已被使用，请换一个")
    changed = assign_changed(policy, fields)
    version, created = record_rules(policy, created_by_id=actor.id, note="网页编辑", **rules)
    audit.record(
        "policy.update",
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
    if policy.status != ProductStatus.DRAFT:
        raise PolicyError("只有草稿可以发布")
    if current_version(policy) is None:
        raise PolicyError("政策还没有规则，不能发布")
    policy.status = ProductStatus.PUBLISHED
    policy.published_at = utcnow()
    audit.record("policy.publish", actor=actor, obj=policy)
    db.session.commit()


def close_policy(actor: User, policy: PolicyProduct, reason: str) -> None:
    """Stop a policy: no new loans get its benefit; granted benefits stay on record."""
    if policy.status == ProductStatus.ARCHIVED:
        raise PolicyError("政策已经关闭")
    policy.status = ProductStatus.ARCHIVED
    policy.closed_at = utcnow()
    audit.record("policy.close", actor=actor, obj=policy, reason=reason)
    db.session.commit()


def what_if(version: RuleVersion, today: dt.date) -> EligibleFirms:
    """Count registered firms meeting the rule's firm conditions; counts only, no identities.

    There is no financing need yet, so clauses about the amount, term or price are left out:
    they are decided when a firm applies.
    """
    return count_eligible_firms(db.session, compiled(version).eligibility, today)
