"""Fixtures for the legal texts: the consent question switched on, and a newly published version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from portal.dates import today_in_china
from portal.legal import documents
from portal.legal.documents import Document, Version


@pytest.fixture
def consent_required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask signed-in users for their consent, as production and development do."""
    monkeypatch.setitem(app.config, "LEGAL_CONSENT_REQUIRED", True)


@pytest.fixture
def publish(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Version]:
    """Publish a new version of a document, in force today, with a short text in each language."""
    texts: dict[str, str] = {}
    monkeypatch.setattr(
        app.jinja_env, "loader", ChoiceLoader([DictLoader(texts), app.jinja_env.loader])
    )

    def publish_version(document: Document, summary: str = "第二版：变更了保存期限。") -> Version:
        today = today_in_china()
        version = Version(document, f"{today.isoformat()}", today, summary)
        assert all(
            v.version != version.version for v in documents.VERSIONS if v.document == document
        )
        texts[version.text_template("zh")] = f"<p>{document} 第二版正文</p>"
        texts[version.text_template("en")] = f"<p>{document} second edition text</p>"
        monkeypatch.setattr(documents, "VERSIONS", (*documents.VERSIONS, version))
        return version

    return publish_version
