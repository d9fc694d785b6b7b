"""The message catalog: every text the bot shows, in Bahasa Indonesia and English.

Texts live in `catalog_<lang>.toml` beside this module, never in code. A key missing in a
language falls back to Indonesian; a test checks that both languages have the same keys and the
same placeholders.
"""

from __future__ import annotations

import string
import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


class Language(StrEnum):
    """The languages the bot speaks; Indonesian is the default."""

    ID = "id"
    EN = "en"

    @classmethod
    def of(cls, code: str | None) -> Language:
        """The language for a stored preference or a Telegram language_code ("en-GB" -> EN)."""
        if code and code.lower().split("-")[0] == "en":
            return cls.EN
        return cls.ID


class Catalog:
    """Looks texts up by key and fills in their named placeholders."""

    def __init__(self, texts: dict[Language, dict[str, str]]) -> None:
        self._texts = texts

    def text(self, language: Language, key: str, /, **params: Any) -> str:
        """The text for a key in a language, with its placeholders filled in."""
        template = self._texts[language].get(key)
        if template is None:
            template = self._texts[Language.ID][key]  # KeyError: a bug, caught by the tests
        return template.format(**params) if params else template

    def keys(self, language: Language) -> set[str]:
        """Every key a language defines."""
        return set(self._texts[language])

    def placeholders(self, language: Language, key: str) -> set[str]:
        """The named placeholders a text expects."""
        return {
            name for _, name, _, _ in string.Formatter().parse(self._texts[language][key]) if name
        }


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def default_catalog() -> Catalog:
    """The catalog shipped with sopbot (read once)."""
    texts = {
        language: _flatten(
            tomllib.loads((_HERE / f"catalog_{language.value}.toml").read_text(encoding="utf-8"))
        )
        for language in Language
    }
    return Catalog(texts)
