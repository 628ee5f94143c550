"""Every permission is the one a view requires: a permission no view uses grants nothing, and
reads as if it did (a role's list would promise a power it does not have)."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.authz.permissions import Permission

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _required() -> set[str]:
    """The Permission members named in any @requires(...) decorator of the portal."""
    named: set[str] = set()
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == (
                    "requires"
                ):
                    named |= {
                        arg.attr
                        for arg in ast.walk(decorator)
                        if isinstance(arg, ast.Attribute)
                        and isinstance(arg.value, ast.Name)
                        and arg.value.id == "Permission"
                    }
    return named


def test_every_permission_guards_at_least_one_view():
    unused = sorted(p.name for p in Permission if p.name not in _required())
    assert unused == [], f"permissions no view requires: {unused}"


def test_the_check_sees_the_decorators_it_reads():
    """Guard against the test passing vacuously (e.g. a renamed decorator)."""
    assert {"DASHBOARD_VIEW", "REPORTS_ARCHIVE_VIEW", "BANK_LEADS_WORK"} <= _required()
