"""What every browser journey does on each page: accessibility, layout, console, speed, screenshots.

A journey calls `journey.step("what happened")` after each page it reaches. The step waits for the
page, checks it (axe-core serious/critical violations, horizontal scrolling, console errors and CSP
violations), records its server time and transfer size, and saves a full-page screenshot. Problems
are collected and reported together when the journey ends, so one run shows all of them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import ConsoleMessage, Error, Locator, Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Only the dashboard carries a chart library; every other page must stay under this.
PAGE_BUDGET_BYTES = 1_000_000
BUDGET_EXEMPT = ("/dashboard/",)
BLOCKING_IMPACTS = ("serious", "critical")

# Runs in every document before its own scripts (the DevTools protocol is not subject to the CSP).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""

# Hidden inputs carry per-request tokens; without them, equal markup means an equal axe result.
MARKUP = """() => document.documentElement.outerHTML.replace(/value="[^"]*"/g, '')"""

RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    count: v.nodes.length,
  }));
}
"""

PAGE_METRICS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const size = (e) => Math.max(e.transferSize || 0, e.encodedBodySize || 0);
  const resources = performance.getEntriesByType('resource');
  return {
    server_ms: nav ? nav.responseStart - nav.requestStart : null,
    html_bytes: nav ? size(nav) : 0,
    transfer_bytes: (nav ? size(nav) : 0) + resources.reduce((sum, e) => sum + size(e), 0),
    resources: resources.length,
  };
}
"""

OVERFLOW = """
() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        wide: [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
                          && !el.closest('.table-wrap'))
          .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.className ? '.' +
            String(el.className).split(' ').join('.') : ''))})
"""


@dataclass
class PageMetric:
    """One visit of one page: how long the server took and how many bytes came over the wire."""

    journey: str
    viewport: str
    page: str
    url: str
    server_ms: float
    transfer_bytes: int
    html_bytes: int
    resources: int


@dataclass
class Session:
    """Everything the journeys of one run measured, written to artifacts/ at the end."""

    metrics: list[PageMetric] = field(default_factory=list)
    accessibility: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    checked_markup: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)

    def write(self) -> None:
        """Save page-metrics.json and accessibility.json under artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "page-metrics.json").write_text(
            json.dumps([asdict(m) for m in self.metrics], ensure_ascii=False, indent=2)
        )
        (ARTIFACTS / "accessibility.json").write_text(
            json.dumps(self.accessibility, ensure_ascii=False, indent=2)
        )

    def slowest(self) -> list[dict[str, Any]]:
        """One row per page (its worst visit), slowest server time first."""
        worst: dict[str, dict[str, Any]] = {}
        for m in self.metrics:
            row = worst.setdefault(
                m.page, {"page": m.page, "visits": 0, "server_ms": 0.0, "transfer_bytes": 0}
            )
            row["visits"] += 1
            row["server_ms"] = max(row["server_ms"], m.server_ms)
            row["transfer_bytes"] = max(row["transfer_bytes"], m.transfer_bytes)
        return sorted(worst.values(), key=lambda r: r["server_ms"], reverse=True)


def page_key(url: str, base_url: str) -> str:
    """The page a URL shows, ids replaced: /bank/leads/17 → /bank/leads/<id>."""
    path = url.removeprefix(base_url).split("#")[0].split("?")[0] or "/"
    return re.sub(r"/\d+", "/<id>", path)


class Journey:
    """One journey at one viewport, driving one page of a fresh browser context."""

    def __init__(
        self,
        page: Page,
        name: str,
        viewport: str,
        base_url: str,
        session: Session,
        forget_last_code: Callable[[str], None],
    ) -> None:
        self.page = page
        self.forget_last_code = forget_last_code
        self.name = name
        self.viewport = viewport
        self.base_url = base_url
        self.session = session
        self.steps = 0
        self.problems: list[str] = []
        self.allowed_console: list[str] = []
        self.directory = SCREENSHOTS / name / viewport
        shutil.rmtree(self.directory, ignore_errors=True)
        self.watch(page)

    def watch(self, page: Page) -> None:
        """Count console errors and uncaught exceptions of a page as problems."""
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(a in message.text for a in self.allowed_console):
            where = message.page.url if message.page else "?"
            self.problems.append(f"console error on {where}: {message.text}")

    def _page_error(self, error: Error) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def url(self, path: str) -> str:
        """The live server's URL for a path."""
        return self.base_url + path

    def goto(self, path: str, label: str) -> None:
        """Open a page and check it."""
        self.page.goto(self.url(path))
        self.step(label)

    def step(self, label: str, screenshot: bool = True) -> None:
        """Check the page just reached and save its screenshot as NN-label.png."""
        page = self.page
        page.wait_for_load_state("load")
        self.steps += 1
        where = page_key(page.url, self.base_url)
        self._check_csp(page, where)
        self._check_overflow(page, where)
        self._check_axe(page, where)
        self._record_metrics(page, where)
        if screenshot:
            self.directory.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=self.directory / f"{self.steps:02d}-{label}.png", full_page=True)

    def _check_csp(self, page: Page, where: str) -> None:
        for violation in page.evaluate("() => window.__cspViolations || []"):
            self.problems.append(f"CSP violation on {where}: {violation}")

    def _check_overflow(self, page: Page, where: str) -> None:
        box = page.evaluate(OVERFLOW)
        if box["scrollWidth"] > box["innerWidth"]:
            self.problems.append(
                f"horizontal scrolling on {where} at {self.viewport}: page is "
                f"{box['scrollWidth']}px wide in a {box['innerWidth']}px window ({box['wide']})"
            )

    def _check_axe(self, page: Page, where: str) -> None:
        markup = (self.viewport, hash(page.evaluate(MARKUP)))
        violations = self.session.checked_markup.get(markup)
        if violations is None:
            violations = self.session.checked_markup[markup] = page.evaluate(RUN_AXE)
        if violations:
            self.session.accessibility[f"{where} ({self.viewport})"] = violations
        for v in violations:
            if v["impact"] in BLOCKING_IMPACTS:
                self.problems.append(
                    f"axe {v['impact']} {v['id']} on {where} ({v['count']} nodes): "
                    f"{'; '.join(v['targets'])}"
                )

    def _record_metrics(self, page: Page, where: str) -> None:
        numbers = page.evaluate(PAGE_METRICS)
        metric = PageMetric(
            journey=self.name,
            viewport=self.viewport,
            page=where,
            url=page.url.removeprefix(self.base_url),
            server_ms=round(numbers["server_ms"] or 0.0, 1),
            transfer_bytes=int(numbers["transfer_bytes"]),
            html_bytes=int(numbers["html_bytes"]),
            resources=int(numbers["resources"]),
        )
        self.session.metrics.append(metric)
        if metric.transfer_bytes > PAGE_BUDGET_BYTES and where not in BUDGET_EXEMPT:
            self.problems.append(
                f"{where} transferred {metric.transfer_bytes} bytes (budget {PAGE_BUDGET_BYTES})"
            )

    def submit(self, button: str, within: Locator | None = None) -> None:
        """Press a form's named button, ticking its confirmation box or page when asked."""
        pressed = (within or self.page).get_by_role("button", name=button).first
        _tick_confirmation(pressed.locator("xpath=ancestor::form"))
        pressed.click()
        self.page.wait_for_load_state("load")
        confirmation = self.page.locator("form.confirm-form")
        if confirmation.count():
            self.step("confirm")
            _tick_confirmation(confirmation)
            confirmation.locator("button[type=submit]").click()
            self.page.wait_for_load_state("load")

    def finish(self) -> None:
        """Fail with every problem the journey met."""
        assert not self.problems, "\n".join(self.problems)


def _tick_confirmation(form: Locator) -> None:
    box = form.locator("input[name=confirmed]")
    if box.count():
        box.check()


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus reaches the element, which must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            ring = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"
            )
            assert ring, f"{selector} has no visible focus indicator"
            return
    raise AssertionError(f"{selector} is not reachable with Tab ({limit} presses)")


def sign_in(journey: Journey, email: str, password: str, totp_secret: str | None) -> None:
    """Sign in through the form, and answer the two-factor page when it appears."""
    page = journey.page
    journey.goto("/login", "login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    if page.locator("input[name=code]").count() == 0:
        return
    assert totp_secret, f"{email} was asked for a two-factor code, but no secret is known"
    journey.step("two-factor")
    answer_two_factor(journey, email, totp_secret)


def demo_sign_in(journey: Journey, email: str) -> None:
    """Sign in as a demo account (pre-enrolled in two-factor sign-in with the demo secret)."""
    from demo import seed

    sign_in(journey, email, seed.DEMO_PASSWORD, getattr(seed, "DEMO_TOTP_SECRET", None))


def answer_two_factor(journey: Journey, email: str, secret: str) -> None:
    """Type the account's current code.

    The server takes each time step once per account, and journeys sign the same demo staff in
    many times a minute: as the suite's `Auth` does, the account's last accepted step is forgotten
    first, so no journey waits for the next step (tests/accounts cover the refused replay).
    """
    page = journey.page
    journey.forget_last_code(email)
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.locator("input[name=code]").press("Enter")
    page.wait_for_load_state("load")
    assert page.locator("input[name=code]").count() == 0, f"the code for {email} was refused"
