"""The audit log's hash chain: each entry carries a SHA-256 over its fields and its predecessor's.

An entry's `entry_hash` covers a canonical serialisation of its fields and `prev_hash`, the hash
of the entry before it (by id); the first entry links to GENESIS. Changing, removing, inserting
or reordering a committed entry breaks the chain at that point, and `verify` names the entry.

Appends are serialised so that two transactions never link to the same predecessor: entries are
held back from every flush but the commit's, and that flush links them while holding a
transaction-level advisory lock (PostgreSQL; SQLite writers already queue on BEGIN IMMEDIATE).
The transaction's other rows are flushed before that, so the lock is held only while the
entries are written and the commit completes, never while a request does its other work.
A unique constraint on `prev_hash` refuses a fork should anything bypass it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from portal.audit.models import AuditEntry
from portal.db import utcnow

GENESIS = "0" * 64
# An arbitrary, fixed advisory-lock key for "appending to the audit chain" (the scheduler's is
# 7_240_311).
CHAIN_LOCK_KEY = 7_240_312
# The fields an entry's hash covers, in the canonical serialisation (keys sorted).
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_role",
    "remote_addr",
    "action",
    "object_type",
    "object_id",
    "firm_id",
    "detail",
    "prev_hash",
)
_HELD_BACK = "audit_chain_held_back"  # session.info: [(transaction, entry)] awaiting the commit
_COMMITTING = "audit_chain_committing"  # session.info: the commit's flush is under way


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash covers: its fields as sorted, compact JSON in UTF-8.

    Times are UTC with microseconds, as both databases store them, so a row read back
    serialises exactly as it was written.
    """
    values = {name: fields.get(name) for name in HASHED_FIELDS}
    values["at"] = _utc_text(values["at"])
    values["detail"] = values["detail"] or {}
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical serialisation; `fields` includes `prev_hash`."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def _utc_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive UTC outside the ORM type
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(entry: AuditEntry | Row[Any]) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


# --- Linking new entries, at commit --------------------------------------------------------------


def listen() -> None:
    """Install the session hooks that link every new audit entry (once per process)."""
    hooks = (
        ("before_flush", _before_flush),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    )
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def _pending_entries(session: Session) -> list[AuditEntry]:
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    return sorted(entries, key=lambda entry: entry._sa_instance_state.insert_order)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Hold new entries back from a flush inside the transaction; link them in the commit's."""
    entries = _pending_entries(session)
    if not entries:
        return
    if not session.info.get(_COMMITTING):
        transaction = session.get_nested_transaction() or session.get_transaction()
        held = session.info.setdefault(_HELD_BACK, [])
        for entry in entries:
            session.expunge(entry)
            held.append((transaction, entry))
        return
    with session.no_autoflush:
        _lock_chain(session)
        previous = session.scalar(
            select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        )
    for entry in entries:
        _link(entry, previous or GENESIS)
        previous = entry.entry_hash


def _link(entry: AuditEntry, prev_hash: str) -> None:
    """Fill in what the database would default, then the entry's place in the chain."""
    if entry.at is None:
        entry.at = utcnow()
    if entry.detail is None:
        entry.detail = {}
    entry.prev_hash = prev_hash
    entry.entry_hash = entry_hash(_fields(entry))


def _lock_chain(session: Session) -> None:
    """Wait for any other transaction appending to the chain to commit (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))


def _before_commit(session: Session) -> None:
    """Write everything else first, then put the entries back in the order they were recorded.

    The flush here writes the transaction's other rows (holding back its entries), so the
    commit's own flush holds only entries: the chain lock is never held while this transaction
    waits for a row lock another appender holds, which could deadlock the two.
    """
    session.flush()
    held = [entry for _transaction, entry in session.info.pop(_HELD_BACK, [])]
    pending = _pending_entries(session)
    for entry in pending:
        session.expunge(entry)
    session.add_all(held + pending)
    session.info[_COMMITTING] = True


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget entries of a transaction that ended without committing them.

    Only a real transaction or savepoint counts: the ORM ends an inner one after every flush.
    """
    if transaction.parent is not None and not transaction.nested:
        return
    session.info.pop(_COMMITTING, None)
    held = session.info.get(_HELD_BACK)
    if held:
        session.info[_HELD_BACK] = [
            (owner, entry) for owner, entry in held if owner is not transaction and owner.is_active
        ]


# --- Verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first entry at which the chain does not hold, and how."""

    entry_id: int
    at: dt.datetime | None
    kind: str  # "content changed" | "entry missing" | "link broken" | "unlinked"
    explanation: str


@dataclass(frozen=True)
class Verification:
    checked: int
    head_id: int | None
    head_hash: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(session: Session, batch: int = 1000) -> Verification:
    """Walk the log in id order and check every entry's hash and link; stop at the first break."""
    checked, previous, head_id = 0, GENESIS, None
    for entry in _entries(session, batch):
        broken = _check(session, entry, previous)
        if broken is not None:
            return Verification(checked, head_id, previous, broken)
        checked, previous, head_id = checked + 1, entry.entry_hash, entry.id
    return Verification(checked, head_id, previous if head_id else None, None)


def holds(session: Session, hash_: str) -> bool:
    """Whether an entry with this hash is in the log (a last hash noted earlier, say)."""
    found = session.scalar(select(AuditEntry.id).where(AuditEntry.entry_hash == hash_).limit(1))
    return found is not None


def _entries(session: Session, batch: int) -> Iterator[Row[Any]]:
    """Every entry's columns in id order, a batch at a time (the log may be large)."""
    last_id = 0
    while True:
        rows = session.execute(
            select(*AuditEntry.__table__.c)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def _check(session: Session, entry: Row[Any], previous: str) -> Break | None:
    """What is wrong with this entry, given the hash of the entry before it; None if nothing."""

    def broken(kind: str, explanation: str) -> Break:
        return Break(entry.id, entry.at, kind, explanation)

    if entry.entry_hash is None or entry.prev_hash is None:
        return broken("unlinked", "the entry has no hash: it was not written by the portal")
    if entry_hash(_fields(entry)) != entry.entry_hash:
        return broken(
            "content changed", "its fields no longer match its hash: changed after it was written"
        )
    if entry.prev_hash == previous:
        return None
    linked = session.scalar(select(AuditEntry.id).where(AuditEntry.entry_hash == entry.prev_hash))
    if linked is None:
        return broken(
            "entry missing",
            "the entry it links to is not in the log: an entry before it was removed",
        )
    return broken(
        "link broken",
        f"it links to entry {linked}, not to the entry before it: "
        "entries were inserted or reordered",
    )
