"""The parse modes, checked directly: what text and entities Telegram would store."""

from __future__ import annotations

import pytest

from sopbot.emulator.errors import ApiError
from sopbot.emulator.text_entities import (
    command_entities,
    format_text,
    parse_html,
    parse_markdown_legacy,
    parse_markdown_v2,
    utf16_len,
    utf16_slice,
)


def spans(text: str, entities: tuple[dict[str, object], ...]) -> list[tuple[object, str]]:
    """Each entity as (type, the text it covers)."""
    return [
        (e["type"], utf16_slice(text, int(str(e["offset"])), int(str(e["length"]))))
        for e in entities
    ]


def test_html_nesting_links_and_code_blocks() -> None:
    parsed = parse_html(
        '<b>Tebal <i>miring</i></b> <a href="https://x.go.id/?a=1&amp;b=2">tautan</a>\n'
        '<pre><code class="language-python">print("hai")</code></pre>'
    )
    assert parsed.text == 'Tebal miring tautan\nprint("hai")'
    assert spans(parsed.text, parsed.entities) == [
        ("bold", "Tebal miring"),
        ("italic", "miring"),
        ("text_link", "tautan"),
        ("pre", 'print("hai")'),
    ]
    assert parsed.entities[2]["url"] == "https://x.go.id/?a=1&b=2"
    assert parsed.entities[3]["language"] == "python"


def test_html_character_references() -> None:
    assert parse_html("a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &#8364; &#x1F4C4;").text == (
        'a < b && c > d "e" € 📄'
    )
    assert parse_html("R&D &nbsp; &copy").text == "R&D &nbsp; &copy"  # only four names exist


def test_html_spoilers_and_quotes() -> None:
    parsed = parse_html(
        '<span class="tg-spoiler">rahasia</span> <tg-spoiler>juga</tg-spoiler> '
        "<blockquote expandable>kutipan</blockquote>"
    )
    assert [e["type"] for e in parsed.entities] == ["spoiler", "spoiler", "expandable_blockquote"]
    with pytest.raises(ApiError, match='must have class "tg-spoiler"'):
        parse_html("<span>polos</span>")


def test_whitespace_around_a_text_is_trimmed_and_entities_follow() -> None:
    parsed = parse_html("\n  <b>Judul</b> isi  \n")
    assert parsed.text == "Judul isi"
    assert spans(parsed.text, parsed.entities) == [("bold", "Judul")]


def test_markdown_v2_entities() -> None:
    parsed = parse_markdown_v2(
        "*tebal* _miring_ __garis__ ~coret~ ||rahasia|| [tautan](https://x.go.id/a\\)b) "
        "`kode *apa* saja` \\#1"
    )
    assert parsed.text == "tebal miring garis coret rahasia tautan kode *apa* saja #1"
    assert spans(parsed.text, parsed.entities) == [
        ("bold", "tebal"),
        ("italic", "miring"),
        ("underline", "garis"),
        ("strikethrough", "coret"),
        ("spoiler", "rahasia"),
        ("text_link", "tautan"),
        ("code", "kode *apa* saja"),
    ]
    assert parsed.entities[5]["url"] == "https://x.go.id/a)b"


def test_markdown_v2_pre_blocks_and_quotes() -> None:
    parsed = parse_markdown_v2("```python\nx = 1\n```\n>baris satu\n>baris dua\nbiasa")
    assert parsed.text == "x = 1\n\nbaris satu\nbaris dua\nbiasa"
    assert spans(parsed.text, parsed.entities) == [
        ("pre", "x = 1\n"),
        ("blockquote", "baris satu\nbaris dua"),
    ]
    assert parsed.entities[0]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Selesai!", "Character '!' is reserved"),
        ("1-2", "Character '-' is reserved"),
        ("*tebal", "Can't find end of Bold entity at byte offset 0"),
        ("é _miring", "Can't find end of Italic entity at byte offset 3"),
        ("[tautan](https://x", "Can't find end of a URL at byte offset 8"),
    ],
)
def test_markdown_v2_refusals(source: str, reason: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities") as refused:
        parse_markdown_v2(source)
    assert reason in refused.value.description


def test_legacy_markdown() -> None:
    parsed = parse_markdown_legacy("*tebal* _miring_ `kode` [tautan](https://x.go.id) 1-2.")
    assert parsed.text == "tebal miring kode tautan 1-2."
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 2"):
        parse_markdown_legacy("a *b")


def test_parse_mode_names_and_explicit_entities() -> None:
    assert format_text("<b>x</b>", "html", None).text == "x"
    assert format_text("<b>x</b>", None, None).text == "<b>x</b>"
    explicit = format_text("abc", "HTML", [{"type": "bold", "offset": 0, "length": 1}])
    assert explicit.entities == ({"type": "bold", "offset": 0, "length": 1},)
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode", None)
    with pytest.raises(ApiError, match="MessageEntity"):
        format_text("x", None, [{"type": "sparkle", "offset": 0, "length": 1}])


def test_bot_commands_and_utf16() -> None:
    assert command_entities("/start") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("📄 /status ok") == [{"type": "bot_command", "offset": 3, "length": 7}]
    assert command_entities("a/b https://x/y") == []
    assert utf16_len("a📄é") == 4
