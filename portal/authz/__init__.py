"""Authorization: permissions per role, access declarations on views, and tenant scoping."""

from portal.authz.access import login_required_any, public, requires
from portal.authz.permissions import Permission
from portal.authz.scoping import get_or_404, scoped

__all__ = ["Permission", "get_or_404", "login_required_any", "public", "requires", "scoped"]
