"""The message catalog: both languages complete and consistent, and valid Telegram HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from sopbot.messaging.catalog import Language, default_catalog

ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote"}


def test_both_languages_have_the_same_keys() -> None:
    catalog = default_catalog()
    assert catalog.keys(Language.ID) == catalog.keys(Language.EN)


def test_placeholders_match_in_both_languages() -> None:
    catalog = default_catalog()
    for key in sorted(catalog.keys(Language.ID)):
        assert catalog.placeholders(Language.ID, key) == catalog.placeholders(Language.EN, key), key


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not Telegram HTML")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


@pytest.mark.parametrize("language", list(Language))
def test_every_text_is_balanced_telegram_html_per_line(language: Language) -> None:
    catalog = default_catalog()
    for key in catalog.keys(language):
        filled = catalog.text(
            language, key, **dict.fromkeys(catalog.placeholders(language, key), "x")
        )
        for line in filled.split("\n"):
            checker = _TagChecker()
            checker.feed(line)
            checker.close()
            assert checker.problems == [], (key, line)
            assert checker.open == [], (key, line)


def test_language_of_telegram_codes() -> None:
    assert Language.of("en-GB") is Language.EN
    assert Language.of("en") is Language.EN
    assert Language.of("id") is Language.ID
    assert Language.of("ms") is Language.ID
    assert Language.of(None) is Language.ID


def test_command_descriptions_fit_telegram() -> None:
    catalog = default_catalog()
    for language in Language:
        for key in catalog.keys(language):
            if key.startswith("command."):
                assert re.fullmatch(r"[a-z0-9_]{1,32}", key.split(".", 1)[1])
                assert 1 <= len(catalog.text(language, key)) <= 256
