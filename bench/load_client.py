"""An HTTP client that uses the portal as a browser does: real forms, CSRF tokens, redirects.

Every response (redirects included) is counted in a shared `Recorder`, so a load run can say how
many requests it made and whether any of them was a 5xx.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

TIMEOUT_SECONDS = 60
# Field names a one-time-code (TOTP) sign-in step may use for the code.
CODE_FIELD = re.compile(r"(^|_)(code|otp|totp|token)$")


@dataclass
class Form:
    """One <form> of a page: where it posts and the values its fields carry."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)

    def data(self, **values: str) -> dict[str, str]:
        """The form's own values (hidden fields, CSRF token) overlaid with ours."""
        return {**self.fields, **values}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._form)
            return
        name = values.get("name")
        if self._form is None or not name or tag not in ("input", "textarea", "select"):
            return
        kind = values.get("type", "text").lower()
        if kind in ("checkbox", "radio") and "checked" not in values:
            return
        if kind != "hidden":
            self._form.visible.append(name)
        self._form.fields.setdefault(name, values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


@dataclass
class Recorder:
    """Counts of every response, by status, shared by all the users of a run."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # 5xx and transport errors, described
    latencies: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def response(self, response: requests.Response, seconds: float) -> None:
        with self._lock:
            self.statuses[response.status_code] += 1
            self.latencies.append(seconds)
            if response.status_code >= 500:
                self.failures.append(
                    f"{response.status_code} {response.request.method} {response.url}"
                )

    def transport_error(self, method: str, url: str, error: Exception) -> None:
        with self._lock:
            self.failures.append(f"{type(error).__name__} {method} {url}: {error}")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def status_count(self, status: int) -> int:
        return self.statuses[status]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class PageError(Exception):
    """The portal answered, but not with the page the user expected."""


class PortalClient:
    """One user's browser: a cookie session against one portal address."""

    def __init__(self, base_url: str, recorder: Recorder, agent: str = "bench.load") -> None:
        self.base_url = base_url.rstrip("/")
        self.recorder = recorder
        self.http = requests.Session()
        self.http.headers["User-Agent"] = agent
        self.http.headers["Accept-Language"] = "zh-CN"

    def clone(self) -> PortalClient:
        """A second tab of the same signed-in browser (its own connection, the same cookies)."""
        twin = PortalClient(self.base_url, self.recorder, self.http.headers["User-Agent"])
        twin.http.cookies.update(self.http.cookies)
        return twin

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """Send one request and follow its redirects, counting every response on the way."""
        url = self.url(path)
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            self.recorder.transport_error(method, url, error)
            raise
        elapsed = time.perf_counter() - started
        for hop in [*response.history, response]:
            self.recorder.response(hop, elapsed / (len(response.history) + 1))
        return response

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str | list[str]]) -> requests.Response:
        return self.request("POST", path, data=data)

    def form(self, path: str, action: str | None = None) -> Form:
        """GET a page and return its form posting to `action` (default: the page itself)."""
        response = self.get(path)
        return form_in(response, action or path)

    def csrf_token(self, response: requests.Response) -> str:
        """The CSRF token of any form on the page (one token serves the whole session)."""
        for form in forms_of(response.text):
            if "csrf_token" in form.fields:
                return form.fields["csrf_token"]
        raise PageError(f"no CSRF token on {response.url}")

    def login(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """Sign in through the login form, and through the one-time-code step if there is one."""
        form = self.form("/login")
        page = self.post("/login", form.data(email=email, password=password))
        code_form = _code_form(page.text)
        if code_form is not None:
            if totp_secret is None:
                raise PageError(f"{email} was asked for a one-time code but has no secret")
            import pyotp

            name = next(n for n in code_form.visible if CODE_FIELD.search(n))
            action = code_form.action or urlsplit(page.url).path
            page = self.post(action, code_form.data(**{name: pyotp.TOTP(totp_secret).now()}))
        if not signed_in(page.text):
            raise PageError(f"sign-in as {email} failed (status {page.status_code}, {page.url})")


def form_in(response: requests.Response, action: str) -> Form:
    """The form of the page that posts to `action`."""
    wanted = urlsplit(action).path.rstrip("/")
    for form in forms_of(response.text):
        target = urlsplit(form.action).path.rstrip("/") or urlsplit(response.url).path.rstrip("/")
        if target == wanted:
            return form
    raise PageError(f"no form posting to {action} on {response.url} ({response.status_code})")


def signed_in(html: str) -> bool:
    """The page header shows the sign-out button only to a signed-in user."""
    return any(urlsplit(form.action).path == "/logout" for form in forms_of(html))


def flashed_success(html: str) -> bool:
    return "flash--success" in html


def _code_form(html: str) -> Form | None:
    for form in forms_of(html):
        if form.method == "post" and any(CODE_FIELD.search(name) for name in form.visible):
            return form
    return None


def path_of(response: requests.Response) -> str:
    return urlsplit(response.url).path
