"""After a load run: does the database hold exactly what the users were told?

- lost: a registration, need, pooling, claim or decision the portal confirmed that the database
  does not have (or has differently);
- doubled: a need stored twice for one form, two needs shown for one form, two pool entries for
  one need, two banks told they won the same lead;
- half-applied: a need without its match results (its eligible products' rows and the others
  on the need, written in the same transaction).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, Row, bindparam, create_engine, text

from bench.load_users import Account, Ledger
from portal.config import normalise_database_url
from portal.enums import LeadOrigin, LeadStatus


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    half_applied: list[str] = field(default_factory=list)
    contested_leads: int = 0  # leads that more than one claim went for
    claim_attempts: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.half_applied)


def check(database_url: str, ledger: Ledger, officers: list[Account]) -> Findings:
    """Compare the ledger with the database."""
    findings = Findings()
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            _registrations(connection, ledger, findings)
            _needs(connection, ledger, findings)
            _pool(connection, ledger, findings)
            _claims(connection, ledger, officers, findings)
            _decisions(connection, ledger, findings)
    finally:
        engine.dispose()
    return findings


def _rows(connection: Connection, sql: str, **params: object) -> list[Row]:
    statement = text(sql).bindparams(
        *(bindparam(name, expanding=True) for name, v in params.items() if isinstance(v, list))
    )
    return list(connection.execute(statement, params))


def _registrations(connection: Connection, ledger: Ledger, findings: Findings) -> None:
    if not ledger.registered:
        return
    present = dict(
        _rows(
            connection,
            "SELECT u.email, f.credit_code FROM users u JOIN firms f ON f.id = u.firm_id"
            " WHERE u.email IN :emails",
            emails=list(ledger.registered),
        )
    )
    for email, code in ledger.registered.items():
        if present.get(email) != code:
            findings.lost.append(f"registration {email} ({code})")


def _needs(connection: Connection, ledger: Ledger, findings: Findings) -> None:
    for key, shown in ledger.needs.items():
        if len(shown) > 1:
            findings.doubled.append(f"form {key} showed needs {sorted(shown)}")
    if not ledger.needs:
        return
    stored: dict[str, list[tuple[int, int]]] = defaultdict(list)
    # A need's results are its eligible products' rows and the others on the need itself.
    for key, need_id, results, unmatched in _rows(
        connection,
        "SELECT n.idempotency_key, n.id, count(m.id), CAST(n.unmatched AS TEXT)"
        " FROM financing_needs n LEFT JOIN match_results m ON m.need_id = n.id"
        " WHERE n.idempotency_key IN :keys"
        " GROUP BY n.idempotency_key, n.id, CAST(n.unmatched AS TEXT)",
        keys=list(ledger.needs),
    ):
        stored[key].append((need_id, results + (0 if unmatched in (None, "[]") else 1)))
    for key, shown in ledger.needs.items():
        rows = stored.get(key, [])
        if len(rows) > 1:
            findings.doubled.append(f"form {key} stored as needs {[r[0] for r in rows]}")
        if not rows or rows[0][0] not in shown:
            findings.lost.append(f"need {sorted(shown)} of form {key}")
        findings.half_applied += [
            f"need {n} has no match results" for n, count in rows if not count
        ]


def _pool(connection: Connection, ledger: Ledger, findings: Findings) -> None:
    if not ledger.pooled:
        return
    counts = dict(
        _rows(
            connection,
            "SELECT need_id, count(*) FROM leads WHERE origin = :origin AND need_id IN :needs"
            " GROUP BY need_id",
            origin=LeadOrigin.POOL.value,
            needs=sorted(ledger.pooled),
        )
    )
    for need_id in sorted(ledger.pooled):
        count = counts.get(need_id, 0)
        if count == 0:
            findings.lost.append(f"pool entry of need {need_id}")
        elif count > 1:
            findings.doubled.append(f"need {need_id} pooled {count} times")


def _claims(
    connection: Connection, ledger: Ledger, officers: list[Account], findings: Findings
) -> None:
    bank_of = {officer.email: officer.institution_id for officer in officers}
    attempts: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for lead_id, email, won in ledger.claims:
        attempts[lead_id].append((email, won))
    findings.claim_attempts = len(ledger.claims)
    findings.contested_leads = sum(1 for tries in attempts.values() if len(tries) > 1)
    if not attempts:
        return
    leads = {
        lead_id: (bank, status)
        for lead_id, bank, status in _rows(
            connection,
            "SELECT id, institution_id, status FROM leads WHERE id IN :ids",
            ids=sorted(attempts),
        )
    }
    for lead_id, tries in attempts.items():
        winners = [email for email, won in tries if won]
        bank, status = leads.get(lead_id, (None, None))
        if len(winners) > 1:
            findings.doubled.append(f"lead {lead_id} won by {winners}")
        elif winners and bank != bank_of[winners[0]]:
            findings.lost.append(f"claim of lead {lead_id} by {winners[0]} (held by bank {bank})")
        elif not winners and status == LeadStatus.POOLED.value:
            findings.lost.append(f"lead {lead_id}: every claim lost but it is still pooled")


def _decisions(connection: Connection, ledger: Ledger, findings: Findings) -> None:
    ids = sorted(ledger.accepted | set(ledger.approved) | ledger.declined)
    if not ids:
        return
    leads = {
        lead_id: (status, amount)
        for lead_id, status, amount in _rows(
            connection,
            "SELECT id, status, approved_amount FROM leads WHERE id IN :ids",
            ids=ids,
        )
    }
    for lead_id in ids:
        status, amount = leads.get(lead_id, (None, None))
        if lead_id in ledger.approved:
            if (status, amount) != (LeadStatus.APPROVED.value, ledger.approved[lead_id]):
                findings.lost.append(f"offer on lead {lead_id}: {status} {amount}")
        elif lead_id in ledger.declined:
            if status != LeadStatus.DECLINED.value:
                findings.lost.append(f"decline of lead {lead_id}: {status}")
        elif status not in (LeadStatus.ACCEPTED.value, LeadStatus.APPROVED.value):
            findings.lost.append(f"acceptance of lead {lead_id}: {status}")
