"""A small HTTP client for the stateful benchmark scenarios: cookies, CSRF tokens, sign-in.

One `Browser` is one signed-in user on one keep-alive connection. It keeps the cookies the
portal sets, reads the CSRF token from forms, and signs in through the real pages, filling in
the two-factor code page when the portal shows one (staff accounts of the demo share
`demo.seed.DEMO_TOTP_SECRET`).
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pyotp

CSRF = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')


class SignInFailed(RuntimeError):
    """The portal did not sign the user in."""


@dataclass
class Response:
    status: int
    location: str | None
    body: str
    seconds: float


class Browser:
    """One user's session against the portal on one keep-alive connection."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def cookie_header(self) -> str:
        """The Cookie header this browser sends."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        """One request; the time covers sending it and reading the whole answer."""
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                answer = self.connection.getresponse()
                content = answer.read()
            except (http.client.HTTPException, ConnectionError):
                # gunicorn closes idle keep-alive connections; reconnect once.
                self.connection.close()
                self.connection = self._connect()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if not morsel.value or "1970" in morsel["expires"]:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            location = answer.headers.get("Location")
            return Response(answer.status, location, content.decode("utf-8", "replace"), seconds)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        return self.request("POST", path, form)

    def follow(self, response: Response, limit: int = 5) -> tuple[str, Response]:
        """Follow redirects with GET; the final path and its answer."""
        path = ""
        while response.location and limit:
            path = urlsplit(response.location).path or "/"
            query = urlsplit(response.location).query
            response = self.get(path + (f"?{query}" if query else ""))
            limit -= 1
        return path, response

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """Sign in through /login, and through the code page if the portal asks for one."""
        token = csrf_token(self.get("/login").body)
        answer = self.post("/login", {"csrf_token": token, "email": email, "password": password})
        path, answer = self.follow(answer) if answer.location else ("/login", answer)
        code_form = _form_with_field(answer.body, "code")
        if code_form is not None:
            if totp_secret is None:
                raise SignInFailed(f"{email}: the portal asks for a code and no secret is known")
            action = code_form or path
            answer = self.post(
                action,
                {"csrf_token": csrf_token(answer.body), "code": pyotp.TOTP(totp_secret).now()},
            )
            path, answer = self.follow(answer) if answer.location else (action, answer)
        if path.startswith("/login") or answer.status != 200:
            raise SignInFailed(f"{email}: ended on {path or '/login'} ({answer.status})")


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on the page."""
    found = CSRF.search(html)
    if found is None:
        raise ValueError("no csrf_token on the page")
    return found.group(1) or found.group(2)


def _form_with_field(html: str, field: str) -> str | None:
    """The action of the form holding an input named `field` ("" if it posts to the page)."""
    for attributes, inner in FORM.findall(html):
        if re.search(rf'name="{field}"', inner):
            action = ACTION.search(attributes)
            return action.group(1) if action else ""
    return None
