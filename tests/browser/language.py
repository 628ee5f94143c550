"""Journeys in both languages: the language chosen before signing in, and the check that an
English page reads in English (Chinese only in the names people typed)."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Locator, expect

from tests.browser import guarantee_data
from tests.browser.support import Journey, demo_sign_in

HAN = re.compile(r"[\u3400-\u9fff]")


class Words:
    """The journey's language: messages as the portal shows them in it. In English, a message
    left in Chinese, or a checked element that reads in Chinese, is a problem of the journey."""

    def __init__(self, app: Flask, journey: Journey, locale: str) -> None:
        self.app = app
        self.journey = journey
        self.english = locale == "en"
        self.locale = locale

    def __call__(self, chinese: str) -> str:
        text = guarantee_data.translated(self.app, self.locale, chinese)
        if self.english and HAN.search(text):
            self.journey.problems.append(f"not translated to English: {chinese}")
        return text

    def check(self, element: Locator, what: str, *data: str) -> None:
        """In English, the element's text must have no Chinese in it but the names given."""
        text = element.inner_text()
        if self.english and HAN.search(without(text, data)):
            where = self.journey.page.url.removeprefix(self.journey.base_url)
            self.journey.problems.append(f"{what} on {where} is in Chinese: {text.strip()!r}")


def without(text: str, names: tuple[str, ...]) -> str:
    for name in names:
        text = text.replace(name, "")
    return text


def choose_language(journey: Journey, locale: str) -> None:
    """Switch the language on the sign-in page, as a visitor does before signing in."""
    page = journey.page
    journey.goto("/login", "sign-in-page")
    page.select_option("#lang-select", locale)
    page.locator(".lang-switch button").click()
    journey.step("language-chosen")
    expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en" else "zh-CN")


def sign_in_as(journey: Journey, email: str, locale: str) -> None:
    """Choose the language, then sign in as a demo account (the choice is kept on it)."""
    choose_language(journey, locale)
    demo_sign_in(journey, email)
