"""Hostile spreadsheets through the real upload page: each is refused with a message in Chinese,
nothing is applied, and no entity in any of the workbook's XML parts is ever fetched."""

from __future__ import annotations

import functools
import socket

import pytest

from portal.reporting.loan_files import MAX_BYTES
from tests.fuzz.conftest import World
from tests.fuzz.test_uploads import send
from tests.supervision import upload_corpus as corpus


@functools.cache
def built(name: str) -> bytes:
    return {n: b for n, b, _f in corpus.BOMBS}[name]()


@pytest.mark.parametrize(("name", "fragment"), [(n, f) for n, _b, f in corpus.BOMBS])
def test_bomb_upload_is_refused_with_a_message(app, client, auth, world: World, name, fragment):
    """The bank officer sees why the file was refused, and the month's reports are untouched."""
    auth.login(world.officer)
    data = built(name)
    assert len(data) <= MAX_BYTES
    upload = send(app, client, data, "october.xlsx")
    assert upload is not None and not upload.applied
    assert fragment in upload.problems[0]["message"]


@pytest.mark.parametrize(("name", "build"), corpus.URL_BOMBS)
def test_external_entity_url_is_never_fetched(app, client, auth, world: World, name, build):
    """An entity pointing at a local server: the upload is refused and no connection arrives."""
    auth.login(world.officer)
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/secret"
        upload = send(app, client, build(url), "october.xlsx")
        with pytest.raises(TimeoutError):
            server.accept()[0].close()
    assert upload is not None and not upload.applied
    assert "DTD" in upload.problems[0]["message"]


def test_file_entity_content_never_appears(app, client, auth, world: World):
    """An entity naming a local file is refused: the file's content is in no message."""
    auth.login(world.officer)
    upload = send(app, client, corpus.xxe("file:///etc/passwd"), "october.xlsx")
    assert upload is not None and not upload.applied
    assert all("root:" not in p["message"] for p in upload.problems)
