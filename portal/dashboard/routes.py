"""The supervision dashboard and its exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from portal import exports, settings
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import requires
from portal.authz.permissions import Permission
from portal.dashboard import services as dashboard
from portal.dashboard.forms import DashboardFilterForm
from portal.dates import today_in_china
from portal.db import writes_on_get
from portal.extensions import db
from portal.figures import rollups

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _dashboard() -> tuple[DashboardFilterForm, dashboard.Dashboard]:
    """The filter form read from the query string and the dashboard it asks for."""
    today = today_in_china()
    try:
        form = DashboardFilterForm(
            request.args,
            options=dashboard.filter_options(current_user),
            default_range=dashboard.default_range(today),
            default_threshold=settings.npl_alert_threshold(),
        )
        view = dashboard.build(current_user, form.requested(), form.threshold(), today)
    except dashboard.DashboardRefused:
        abort(403)
    form.show_effective(view.filters, view.threshold)
    return form, view


@bp.get("/")
@requires(Permission.DASHBOARD_VIEW)
def index() -> str:
    form, view = _dashboard()
    return render_template(
        "dashboard/index.html",
        form=form,
        view=view,
        tables={key: dashboard.table(view, key) for key in dashboard.TABLES},
        charts=dashboard.chart_data(view),
        export_args=form.query_args(view.filters, view.threshold),
        cell=dashboard.display_value,
        min_banks=dashboard.MIN_BANKS_FOR_MEDIAN,
        refresh_minutes=int(rollups.REFRESH_EVERY.total_seconds() // 60),
    )


@bp.get(
    "/export/<any(months, banks, regions, industries, sizes, products, alerts, guarantors,"
    " guaranteed_banks,"
    " guaranteed_regions, guaranteed_industries, guaranteed_sizes, subsidies):table>"
    ".<any(csv, xlsx):fmt>"
)
@requires(Permission.DASHBOARD_VIEW)
@writes_on_get
def export(table: str, fmt: str) -> Response:
    """One table of the dashboard as CSV or XLSX; the export is recorded with its filters."""
    _form, view = _dashboard()
    filename, fallback = dashboard.export_names(view, table)
    rows = dashboard.export_table(dashboard.table(view, table))
    rows.notes = dashboard.export_notes(view)
    audit.record(
        AuditAction.DASHBOARD_EXPORT,
        table=table,
        format=fmt,
        rows=len(rows.rows),
        **dashboard.filters_detail(view.filters),
    )
    db.session.commit()
    return exports.export_response(rows, fmt, filename, fallback)
