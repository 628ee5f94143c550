"""What the authorisation and query pages show, read through the scoping layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from portal.accounts.models import User
from portal.authz.scoping import scoped
from portal.datasources import authorisations as services
from portal.datasources.models import DataAuthorisation, DataQuery
from portal.datasources.sources import SOURCE_LABELS, Source
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution

NONE = "none"  # the firm has never granted one


@dataclass(frozen=True)
class AuthorisationView:
    """An authorisation (or its absence) as a page shows it."""

    authorisation: DataAuthorisation | None
    state: str  # active, expired, revoked or none

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def source_labels(self) -> list[str]:
        chosen = set(self.authorisation.sources or []) if self.authorisation else set()
        return [str(SOURCE_LABELS[s]) for s in Source if s.value in chosen]

    def covers(self, source: Source) -> bool:
        return self.active and source.value in (self.authorisation.sources or [])


def view_of(authorisation: DataAuthorisation | None) -> AuthorisationView:
    if authorisation is None:
        return AuthorisationView(None, NONE)
    return AuthorisationView(authorisation, services.state(authorisation))


def firm_authorisation(actor: User, firm_id: int) -> AuthorisationView:
    """The firm's latest authorisation as the actor may see it (the firm, or a bank it chose)."""
    latest = db.session.scalar(
        scoped(select(DataAuthorisation), DataAuthorisation, actor)
        .where(DataAuthorisation.firm_id == firm_id)
        .order_by(DataAuthorisation.granted_at.desc(), DataAuthorisation.id.desc())
        .limit(1)
    )
    return view_of(latest)


def history(actor: User, firm_id: int, limit: int = 20) -> list[AuthorisationView]:
    """The firm's authorisations, newest first."""
    rows = db.session.scalars(
        scoped(select(DataAuthorisation), DataAuthorisation, actor)
        .where(DataAuthorisation.firm_id == firm_id)
        .order_by(DataAuthorisation.granted_at.desc(), DataAuthorisation.id.desc())
        .limit(limit)
    )
    return [view_of(row) for row in rows]


def queries_statement(actor: User) -> Select[tuple[DataQuery]]:
    """The queries the actor may list, newest first."""
    return scoped(select(DataQuery), DataQuery, actor).order_by(
        DataQuery.created_at.desc(), DataQuery.id.desc()
    )


@dataclass(frozen=True)
class QueryRow:
    """One query with the names a list shows beside it."""

    query: DataQuery
    bank: str
    officer: str
    firm: str
    detail: str

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.query.source])

    @property
    def purpose_label(self) -> str:
        return str(services.PURPOSES.get(self.query.purpose, self.query.purpose))

    @property
    def outcome_label(self) -> str:
        return str(services.OUTCOME_LABELS.get(self.query.outcome, self.query.outcome))


def rows_of(queries: Sequence[DataQuery], actor: User) -> list[QueryRow]:
    """The queries of a page with their bank, officer and firm names."""
    ids = [query.id for query in queries]
    if not ids:
        return []
    names = {
        query_id: (bank, officer, firm)
        for query_id, bank, officer, firm in db.session.execute(
            scoped(
                select(
                    DataQuery.id,
                    FinancialInstitution.name,
                    User.full_name,
                    Firm.name,
                ),
                DataQuery,
                actor,
            )
            .join(FinancialInstitution, FinancialInstitution.id == DataQuery.institution_id)
            .join(User, User.id == DataQuery.user_id)
            .join(Firm, Firm.id == DataQuery.firm_id)
            .where(DataQuery.id.in_(ids))
        )
    }
    details = services.describe(queries)
    return [
        QueryRow(query, *names.get(query.id, ("—", "—", "—")), detail=details[query.id])
        for query in queries
    ]


def lead_history(actor: User, lead_id: int, limit: int = 20) -> list[QueryRow]:
    """The actor's bank's latest queries through one lead."""
    statement = queries_statement(actor).where(DataQuery.lead_id == lead_id).limit(limit)
    return rows_of(db.session.scalars(statement).all(), actor)


def recent_for_firm(actor: User, limit: int = 20) -> tuple[list[QueryRow], int]:
    """The firm's latest queries for its "who viewed my data" page, and how many there are."""
    statement = queries_statement(actor)
    rows = db.session.scalars(statement.limit(limit)).all()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    return rows_of(rows, actor), total or 0
