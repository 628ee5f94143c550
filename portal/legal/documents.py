"""Every published version of the user agreement and the privacy policy, and which is in force.

A version is published by adding its texts, `texts/<document>/<version>.<language>.html` beside
this module (one file per language, rendered with the operator's contact details), and a line
to VERSIONS saying when it takes effect and, in one sentence, what changed. The newest version
whose effective date has come is the current one; a signed-in user who has not accepted the
current version of both documents is asked to (portal/legal/gate.py). Earlier versions stay
readable at /terms/<version> and /privacy/<version>.

Pure: no session and no request; `today` is always passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Document(StrEnum):
    TERMS = "terms"  # 用户服务协议
    PRIVACY = "privacy"  # 隐私政策


DOCUMENT_LABELS: dict[Document, object] = {
    Document.TERMS: _l("用户服务协议"),
    Document.PRIVACY: _l("隐私政策"),
}
# The languages every version is written in: the portal's two (zh_Hans_CN and en).
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Version:
    """One published text of a document. `version` is its id in URLs and consent records."""

    document: Document
    version: str
    effective_on: dt.date
    summary: object  # what changed from the version before, a lazy Chinese message

    @property
    def label(self) -> str:
        return str(DOCUMENT_LABELS[self.document])

    def text_template(self, language: str) -> str:
        """The template of this version's text in `language` ("zh" or "en")."""
        if language not in LANGUAGES:
            raise ValueError(f"no text in {language!r}")
        return f"{self.document}/{self.version}.{language}.html"


VERSIONS: tuple[Version, ...] = (
    Version(
        Document.TERMS,
        "2026-12-01",
        dt.date(2026, 12, 1),
        _l(
            "首次发布：平台提供哪些服务，企业用户和机构用户各自的承诺与义务，"
            "匹配结果和秒批预授信不是授信承诺，以及账号、违约和争议的处理。"
        ),
    ),
    Version(
        Document.PRIVACY,
        "2026-12-01",
        dt.date(2026, 12, 1),
        _l(
            "首次发布：平台收集哪些信息、来自哪里，谁能看到，保存多久，"
            "您依法享有的权利和行使方式，以及安全措施。"
        ),
    ),
)


def published(document: Document, today: dt.date) -> list[Version]:
    """The document's versions in force today or before, newest first."""
    found = [v for v in VERSIONS if v.document == document and v.effective_on <= today]
    return sorted(found, key=lambda v: v.effective_on, reverse=True)


def current(document: Document, today: dt.date) -> Version:
    """The version of the document in force today."""
    versions = published(document, today)
    if not versions:
        raise LookupError(f"no version of {document} is in force on {today}")
    return versions[0]


def current_versions(today: dt.date) -> list[Version]:
    """The version in force today of each document, the user agreement first."""
    return [current(document, today) for document in Document]


def find(document: Document, version: str, today: dt.date) -> Version | None:
    """The published version with this id, or None (unknown, or not yet in force)."""
    return next((v for v in published(document, today) if v.version == version), None)


def changes_since(document: Document, accepted: str | None, today: dt.date) -> list[Version]:
    """The versions published after the one the user accepted (all of them when none was),
    newest first: what a user asked to accept again should read about."""
    versions = published(document, today)
    before = find(document, accepted, today) if accepted else None
    if before is None:
        return versions
    return [v for v in versions if v.effective_on > before.effective_on]
