"""The user agreement and the privacy policy: public pages in both languages, every version kept."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.dates import today_in_china
from portal.legal import documents
from portal.legal.documents import LANGUAGES, Document, current

TERMS, PRIVACY = Document.TERMS, Document.PRIVACY


def english(client) -> None:
    """Switch the visitor's language with the header's switch, as a person would."""
    assert client.post("/language", data={"locale": "en", "next": "/"}).status_code == 302


def text_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "title", "phrases"),
    [
        ("/terms", "用户服务协议", ["不构成任何金融机构的授信承诺", "运营方不向企业用户收取"]),
        (
            "/privacy",
            "隐私政策",
            ["《个人信息保护法》", "政务数据共享交换平台", "《征信业管理条例》", "不向境外提供"],
        ),
    ],
)
def test_current_version_in_chinese(client, path, title, phrases):
    """The page shows the version in force, its effective date and its Chinese text."""
    version = current(Document(path.strip("/")), today_in_china())
    html = text_of(client.get(path))
    assert f"<h1>{title}</h1>" in html
    assert f"版本 {version.version}" in html
    assert version.effective_on.isoformat() in html
    assert '<article class="card legal-text" lang="zh-CN">' in html
    for phrase in phrases:
        assert phrase in html, phrase


@pytest.mark.parametrize(
    ("path", "phrases"),
    [
        ("/terms", ["not a commitment by any financial institution to lend", "charges enterprise"]),
        (
            "/privacy",
            [
                "Personal Information Protection Law",
                "government data sharing and exchange platform",
                "Regulation on the Administration of Credit Investigation Industry",
                "not provided abroad",
            ],
        ),
    ],
)
def test_english_after_switching_language(client, path, phrases):
    """After the language switch the text is the English one, marked as English."""
    english(client)
    html = text_of(client.get(path))
    assert '<html lang="en">' in html
    assert '<article class="card legal-text" lang="en">' in html
    assert "the Chinese version prevails" in html
    for phrase in phrases:
        assert phrase in html, phrase
    assert "个人信息保护法" not in html


def test_texts_name_the_configured_operator_and_contact(app, client, monkeypatch):
    """The operator and the contact details come from the deployment's settings."""
    monkeypatch.setitem(app.config, "LEGAL_OPERATOR_NAME", "福建省金融服务中心")
    monkeypatch.setitem(app.config, "LEGAL_CONTACT_EMAIL", "privacy@portal.example.gov.cn")
    monkeypatch.setitem(app.config, "LEGAL_CONTACT_PHONE", "0591-12345678")
    html = text_of(client.get("/privacy"))
    assert "由福建省金融服务中心（以下简称" in html
    assert 'href="mailto:privacy@portal.example.gov.cn"' in html
    assert "0591-12345678" in html
    assert "尚未在此公布" not in html


def test_texts_say_when_no_contact_is_published(app, client, monkeypatch):
    """Without contact settings the page says so rather than inventing an address."""
    for key in ("LEGAL_CONTACT_EMAIL", "LEGAL_CONTACT_PHONE", "LEGAL_CONTACT_ADDRESS"):
        monkeypatch.setitem(app.config, key, "")
    assert "运营方尚未在此公布联系邮箱、电话和地址" in text_of(client.get("/terms"))


@pytest.mark.parametrize("version", documents.VERSIONS, ids=lambda v: f"{v.document}-{v.version}")
@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_every_published_version_renders_in_both_languages(client, version, language):
    """Each version has a text in each language, and its page (links included) renders."""
    client.post("/language", data={"locale": language, "next": "/"})
    html = text_of(client.get(f"/{version.document}/{version.version}"))
    assert f"{version.version}" in html
    assert html.count("<h2") >= 5  # the text's sections, not an empty include


def test_registry_is_well_formed(app: Flask):
    """Version ids are dates, unique per document, each with a text file per language."""
    texts = app.blueprints["legal"].jinja_loader
    for document in Document:
        ids = [v.version for v in documents.VERSIONS if v.document == document]
        assert ids and len(ids) == len(set(ids)), document
    for version in documents.VERSIONS:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", version.version), version
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(version.summary)), version
        for language in LANGUAGES:
            texts.get_source(app.jinja_env, version.text_template(language))


def test_texts_have_no_tables_that_would_overflow_a_phone(app: Flask):
    """The texts are headings, paragraphs and lists, which wrap on a 390 px screen."""
    texts = app.blueprints["legal"].jinja_loader
    for version in documents.VERSIONS:
        for language in LANGUAGES:
            source, _, _ = texts.get_source(app.jinja_env, version.text_template(language))
            assert "<table" not in source and "<pre" not in source, version


def test_old_version_stays_readable_after_a_new_one(client, publish):
    """A new version becomes the current page; the old one keeps its own address and says it
    has been replaced."""
    old = current(TERMS, today_in_china())
    new = publish(TERMS)
    html = text_of(client.get("/terms"))
    assert f"版本 {new.version}" in html and "terms 第二版正文" in html
    assert f'href="/terms/{old.version}"' in html  # listed among the versions
    html = text_of(client.get(f"/terms/{old.version}"))
    assert f"版本 {old.version}" in html
    assert "这是已被替换的历史版本" in html
    assert 'href="/terms"' in html
    assert "不构成任何金融机构的授信承诺" in html  # the old text itself


@pytest.mark.parametrize(
    "path",
    ["/terms/2020-01-01", "/privacy/latest", "/terms/..%2F..%2Fbase.html", "/terms/" + "9" * 300],
)
def test_unknown_versions_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_version_not_yet_in_force_is_not_shown(client, monkeypatch):
    """A version published ahead of its date is neither current nor reachable until then."""
    later = documents.Version(PRIVACY, "2999-01-01", today_in_china().replace(year=2999), "未来版")
    monkeypatch.setattr(documents, "VERSIONS", (*documents.VERSIONS, later))
    assert client.get("/privacy/2999-01-01").status_code == 404
    assert "2999-01-01" not in text_of(client.get("/privacy"))


def test_footer_links_to_both_texts(client):
    """Every page's footer links to the user agreement and the privacy policy."""
    html = text_of(client.get("/"))
    footer = html[html.index('<footer class="site-footer">') :]
    assert 'href="/terms"' in footer and 'href="/privacy"' in footer


@pytest.mark.parametrize("path", ["/register", "/institutions/apply"])
def test_sign_up_consent_box_links_to_both_texts(client, path):
    """The consent box of each sign-up form links to the texts it agrees to."""
    html = text_of(client.get(path))
    box = html[html.index("用户协议与隐私政策</legend>") :]
    box = box[: box.index("</fieldset>")]
    assert 'href="/terms"' in box and 'href="/privacy"' in box
    assert 'name="consent"' in box
