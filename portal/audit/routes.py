"""The audit log for admins: search and CSV export. Nothing here changes or removes an entry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import exports
from portal.audit import queries
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.audit.forms import AuditFilterForm
from portal.audit.labels import object_label
from portal.authz import Permission, requires
from portal.dates import today_in_china
from portal.extensions import db
from portal.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@requires(Permission.ADMIN_AUDIT_VIEW)
def index() -> str:
    """Search the log: every filter optional, newest first, a page at a time."""
    form = AuditFilterForm(request.args)
    page = names = None
    if form.validate():
        page = paginate(queries.search(current_user, form.filters()))
        names = queries.names_for(page.items)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        names=names,
        object_label=object_label,
        export_args=request.args.to_dict(),
        export_limit=queries.EXPORT_MAX_ROWS,
    )


@bp.get("/export.csv")
@requires(Permission.ADMIN_AUDIT_VIEW)
def export() -> Response:
    """The filtered entries as CSV; the export itself is recorded."""
    form = AuditFilterForm(request.args)
    args = {key: value for key, value in request.args.items() if key != "page"}
    if not form.validate():
        return redirect(url_for("audit.index", **args))
    filters = form.filters()
    statement = queries.search(current_user, filters)
    found = queries.count(statement)
    if found > queries.EXPORT_MAX_ROWS:
        flash(
            _(
                "符合条件的记录有 %(n)s 条，超过单次导出上限 %(max)s 条。"
                "请缩小日期范围或增加筛选条件。",
                n=found,
                max=queries.EXPORT_MAX_ROWS,
            ),
            "error",
        )
        return redirect(url_for("audit.index", **args))
    table = queries.export_table(statement)
    # End the read before writing: SQLite then waits for a busy writer instead of failing.
    db.session.rollback()
    audit.record(AuditAction.AUDIT_EXPORT, rows=len(table.rows), **filters.as_detail())
    db.session.commit()
    day = today_in_china().isoformat()
    return exports.export_response(table, "csv", f"审计日志-{day}", f"audit-log-{day}")
