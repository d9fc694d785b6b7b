"""Message text as Telegram stores it: plain text plus entities, offsets in UTF-16 code units.

The parsers follow tdlib (the library behind the Bot API) closely enough to refuse what Telegram
refuses, with the same wording, so a bot that forgets to escape `<` or `.` fails here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sopbot.emulator.errors import ApiError, bad_request

JsonDict = dict[str, Any]

# Telegram trims these around a message text (and moves the entities with it).
_TRIMMED = " \t\r\n"
_HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_BOT_COMMAND = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")
KNOWN_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


@dataclass(frozen=True, slots=True)
class FormattedText:
    """A text after parsing: what the person reads and the entities that style it."""

    text: str
    entities: tuple[JsonDict, ...] = ()

    def entities_json(self) -> list[JsonDict]:
        """The entities as the Bot API lists them."""
        return [dict(entity) for entity in self.entities]


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


@dataclass(slots=True)
class _Output:
    """The visible text being built, with its length in UTF-16 units kept up to date."""

    parts: list[str] = field(default_factory=list)
    position: int = 0

    def add(self, text: str) -> None:
        """Append visible text."""
        self.parts.append(text)
        self.position += utf16_len(text)

    def text(self) -> str:
        """The visible text so far."""
        return "".join(self.parts)


@dataclass(slots=True)
class _OpenEntity:
    tag: str
    type: str
    start: int
    byte_offset: int
    extra: dict[str, str] = field(default_factory=dict)


def _entity(entity_type: str, start: int, end: int, extra: dict[str, str]) -> JsonDict | None:
    if end <= start:
        return None  # Telegram drops entities that cover nothing
    entity: JsonDict = {"type": entity_type, "offset": start, "length": end - start}
    entity.update(extra)
    return entity


def parse_html(source: str) -> FormattedText:
    """Telegram's HTML parse mode: the supported tags only, balanced, four named entities."""
    out = _Output()
    stack: list[_OpenEntity] = []
    entities: list[JsonDict] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            decoded, consumed = _html_entity(source, i)
            out.add(decoded)
            i += consumed
        elif char != "<":
            out.add(char)
            i += 1
        elif source.startswith("</", i):
            i = _html_end_tag(source, i, out, stack, entities)
        else:
            i = _html_start_tag(source, i, out, stack)
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return _finish(out.text(), entities)


def _html_entity(source: str, index: int) -> tuple[str, int]:
    match = re.match(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});", source[index:])
    if match is None:
        return "&", 1  # tdlib keeps an unrecognised '&' as it is
    name = match.group(1)
    if name.startswith(("#x", "#X")):
        code = int(name[2:], 16)
    elif name.startswith("#"):
        code = int(name[1:])
    elif name in _HTML_ENTITIES:
        return _HTML_ENTITIES[name], match.end()
    else:
        return "&", 1
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "&", 1
    return chr(code), match.end()


def _html_start_tag(source: str, begin: int, out: _Output, stack: list[_OpenEntity]) -> int:
    i = begin + 1
    while i < len(source) and not source[i].isspace() and source[i] != ">":
        i += 1
    if i >= len(source):
        raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    tag = source[begin + 1 : i].lower()
    if tag not in _HTML_TAGS:
        raise _cant_parse(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
        )
    attributes, i = _html_attributes(source, i, tag, begin)
    extra: dict[str, str] = {}
    entity_type = _HTML_TAGS[tag]
    if tag == "a":
        extra["url"] = attributes.get("href", "")
    elif tag == "span" and attributes.get("class") != "tg-spoiler":
        raise _cant_parse(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, begin)}'
        )
    elif tag == "code" and attributes.get("class", "").startswith("language-"):
        extra["language"] = attributes["class"].removeprefix("language-")
    elif tag == "blockquote" and "expandable" in attributes:
        entity_type = "expandable_blockquote"
    elif tag == "tg-emoji":
        extra["custom_emoji_id"] = attributes.get("emoji-id", "")
    stack.append(_OpenEntity(tag, entity_type, out.position, begin, extra))
    return i + 1


def _html_attributes(source: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    attributes: dict[str, str] = {}
    where = f'the tag "{tag}" at byte offset {_byte_offset(source, begin)}'
    while True:
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source):
            raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] == ">":
            return attributes, i
        name_match = re.match(r"[A-Za-z0-9_-]+", source[i:])
        if name_match is None:
            raise _cant_parse(f"Empty attribute name in {where}")
        name = name_match.group(0).lower()
        i += name_match.end()
        while i < len(source) and source[i].isspace():
            i += 1
        if i < len(source) and source[i] != "=":
            attributes[name] = ""  # a bare attribute, like <blockquote expandable>
            continue
        i += 1
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source):
            raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] in "\"'":
            end = source.find(source[i], i + 1)
            if end < 0:
                raise _cant_parse(f"Unclosed end of an attribute value in {where}")
            raw = source[i + 1 : end]
            i = end + 1
        else:
            value_match = re.match(r"[A-Za-z0-9.\-]*", source[i:])
            raw = value_match.group(0) if value_match else ""
            i += len(raw)
        attributes[name] = parse_html(raw).text if "&" in raw else raw


def _html_end_tag(
    source: str, begin: int, out: _Output, stack: list[_OpenEntity], entities: list[JsonDict]
) -> int:
    end = source.find(">", begin)
    if end < 0:
        raise _cant_parse(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
    tag = source[begin + 2 : end].strip().lower()
    if not stack:
        raise _cant_parse(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
    opened = stack.pop()
    if tag != opened.tag:
        raise _cant_parse(
            f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
            f'expected "</{opened.tag}>", found "</{tag}>"'
        )
    language = opened.extra.get("language")
    if opened.tag == "code" and stack and stack[-1].tag == "pre" and language is not None:
        # <pre><code class="language-x"> is one pre entity with a language, as in tdlib
        stack[-1].extra["language"] = language
        return end + 1
    if opened.tag == "code":
        opened.extra.pop("language", None)
    if opened.tag == "a" and not opened.extra.get("url"):
        return end + 1
    entity = _entity(opened.type, opened.start, out.position, opened.extra)
    if entity is not None:
        entities.append(entity)
    return end + 1


def parse_markdown_v2(source: str) -> FormattedText:
    """Telegram's MarkdownV2: every reserved character outside markup must be escaped."""
    out = _Output()
    stack: list[_OpenEntity] = []
    entities: list[JsonDict] = []
    quote_start: int | None = None
    i = 0
    while i < len(source):
        char = source[i]
        at_line_start = i == 0 or source[i - 1] == "\n"
        if char == "\\" and i + 1 < len(source) and 0 < ord(source[i + 1]) <= 126:
            out.add(source[i + 1])
            i += 2
            continue
        inside_code = bool(stack) and stack[-1].type in ("code", "pre")
        if inside_code and char != "`":
            out.add(char)
            i += 1
            continue
        if char == ">" and at_line_start and not stack:
            if quote_start is None:
                quote_start = out.position
            i += 1
            continue
        if char == "\n" and quote_start is not None and not source.startswith(">", i + 1):
            quote = _entity("blockquote", quote_start, out.position, {})
            entities.extend([quote] if quote else [])
            quote_start = None
        if char not in _MARKDOWN_V2_RESERVED:
            out.add(char)
            i += 1
            continue
        if stack and _ends_markdown_entity(stack[-1], source, i):
            i = _close_markdown_entity(source, i, out, stack.pop(), entities)
            continue
        i = _open_markdown_entity(source, i, out, stack)
    if stack:
        opened = stack[-1]
        name = _ENTITY_NAMES.get(opened.type, opened.type)
        raise _cant_parse(f"Can't find end of {name} entity at byte offset {opened.byte_offset}")
    if quote_start is not None:
        quote = _entity("blockquote", quote_start, out.position, {})
        entities.extend([quote] if quote else [])
    return _finish(out.text(), entities)


def _ends_markdown_entity(opened: _OpenEntity, source: str, i: int) -> bool:
    char = source[i]
    following = source[i + 1 : i + 3]
    ends = {
        "bold": char == "*",
        "italic": char == "_" and not following.startswith("_"),
        "underline": char == "_" and following.startswith("_"),
        "strikethrough": char == "~",
        "spoiler": char == "|" and following.startswith("|"),
        "code": char == "`",
        "pre": char == "`" and following == "``",
        "text_link": char == "]",
        "custom_emoji": char == "]",
    }
    return ends.get(opened.type, False)


def _open_markdown_entity(source: str, i: int, out: _Output, stack: list[_OpenEntity]) -> int:
    char = source[i]
    byte_offset = _byte_offset(source, i)
    following = source[i + 1 : i + 3]
    extra: dict[str, str] = {}
    if char == "_" and following.startswith("_"):
        entity_type, width = "underline", 2
    elif char == "_":
        entity_type, width = "italic", 1
    elif char == "*":
        entity_type, width = "bold", 1
    elif char == "~":
        entity_type, width = "strikethrough", 1
    elif char == "|" and following.startswith("|"):
        entity_type, width = "spoiler", 2
    elif char == "[":
        entity_type, width = "text_link", 1
    elif char == "!" and following.startswith("["):
        entity_type, width = "custom_emoji", 2
    elif char == "`" and following == "``":
        entity_type, width = "pre", 3
        newline = source.find("\n", i + 3)
        closing = source.find("```", i + 3)
        if newline >= 0 and (closing < 0 or newline < closing):
            language = source[i + 3 : newline]
            if language:
                extra["language"] = language
            width = newline + 1 - i
    elif char == "`":
        entity_type, width = "code", 1
    else:
        raise _cant_parse(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    stack.append(_OpenEntity(char, entity_type, out.position, byte_offset, extra))
    return i + width


def _close_markdown_entity(
    source: str, i: int, out: _Output, opened: _OpenEntity, entities: list[JsonDict]
) -> int:
    widths = {"underline": 2, "spoiler": 2, "pre": 3}
    after = i + widths.get(opened.type, 1)
    extra = dict(opened.extra)
    if opened.type in ("text_link", "custom_emoji"):
        if not source.startswith("(", after):
            return after  # "[text]" without a URL is plain text
        url, after = _markdown_url(source, after)
        if opened.type == "text_link":
            extra["url"] = url
        else:
            extra["custom_emoji_id"] = url.partition("id=")[2]
    entity = _entity(opened.type, opened.start, out.position, extra)
    if entity is not None:
        entities.append(entity)
    return after


def _markdown_url(source: str, open_paren: int) -> tuple[str, int]:
    url: list[str] = []
    i = open_paren + 1
    while i < len(source) and source[i] != ")":
        if source[i] == "\\" and i + 1 < len(source):
            i += 1
        url.append(source[i])
        i += 1
    if i >= len(source):
        raise _cant_parse(
            f"Can't find end of a URL at byte offset {_byte_offset(source, open_paren)}"
        )
    return "".join(url), i + 1


def parse_markdown_legacy(source: str) -> FormattedText:
    """The old Markdown mode: *bold*, _italic_, `code`, ```pre``` and [text](url), unnested."""
    out = _Output()
    entities: list[JsonDict] = []
    i = 0
    markers = {"*": "bold", "_": "italic", "`": "code"}
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "*_`[":
            out.add(source[i + 1])
            i += 2
        elif source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise _missing_legacy_end(source, i)
            body = source[i + 3 : end]
            start = out.position
            out.add(body)
            entities.extend(e for e in [_entity("pre", start, out.position, {})] if e)
            i = end + 3
        elif char in markers:
            end = source.find(char, i + 1)
            if end < 0:
                raise _missing_legacy_end(source, i)
            start = out.position
            out.add(source[i + 1 : end])
            entities.extend(e for e in [_entity(markers[char], start, out.position, {})] if e)
            i = end + 1
        elif char == "[":
            match = re.match(r"\[([^\]]*)\]\(([^)]*)\)", source[i:])
            if match is None:
                raise _missing_legacy_end(source, i)
            start = out.position
            out.add(match.group(1))
            link = _entity("text_link", start, out.position, {"url": match.group(2)})
            entities.extend([link] if link else [])
            i += match.end()
        else:
            out.add(char)
            i += 1
    return _finish(out.text(), entities)


def _missing_legacy_end(source: str, index: int) -> ApiError:
    return _cant_parse(
        f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}"
    )


def _finish(text: str, entities: list[JsonDict]) -> FormattedText:
    """Trim the text as Telegram does and keep the entities on the characters they styled."""
    stripped = text.strip(_TRIMMED)
    if not stripped:
        return FormattedText("")
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    limit = utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText(stripped, tuple(kept))


def plain_text(text: str, entities: list[Any] | None) -> FormattedText:
    """A text sent without parse_mode, with the entities the bot gave explicitly (if any)."""
    checked: list[JsonDict] = []
    for entity in entities or []:
        if not isinstance(entity, dict):
            raise bad_request("can't parse MessageEntity: MessageEntity must be an Object")
        kind, offset, length = entity.get("type"), entity.get("offset"), entity.get("length")
        if not isinstance(kind, str) or kind not in KNOWN_ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be an Integer')
        checked.append(dict(entity))
    return _finish(text, checked)


def format_text(text: str, parse_mode: str | None, entities: list[Any] | None) -> FormattedText:
    """The text as Telegram would store it for this parse_mode (explicit entities win)."""
    if entities is not None or not parse_mode:
        return plain_text(text, entities)
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown_legacy(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def command_entities(text: str) -> list[JsonDict]:
    """The bot_command entities Telegram marks in a person's text ("/start abc")."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _BOT_COMMAND.finditer(text)
    ]
