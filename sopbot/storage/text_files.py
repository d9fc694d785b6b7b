"""Plain text and CSV: what is accepted, and the text that is refused although it is text.

Text is the easiest disguise: a batch file, an HTML page or an HTA is valid UTF-8, and the
program that opens it is chosen by the name it ends up with. A delivered file is always named
by its detected type (``.txt``, ``.csv``), but a person can save it under another name, so text
that is markup or a script is refused outright rather than passed on.

A CSV file is opened by a spreadsheet, which runs a cell starting with ``=``, ``+``, ``-`` or
``@`` as a formula (CSV injection: ``=cmd|' /C calc'!A0`` starts a program through DDE). Such
files are refused, not rewritten: the stored bytes stay the bytes the official sent (their
SHA-256 is what the audit trail records), a silent edit could change an official figure, and
the answer tells the official how to send it instead (as Excel or PDF, or with a leading ').
Plain numbers such as ``-12,5`` or ``+62812...`` are not formulas and pass.
"""

from __future__ import annotations

import collections
import csv
import functools
import io
import re
from dataclasses import dataclass

from sopbot.storage.file_kinds import CSV, TEXT, FileType, Refusal

_UTF8_BOM = b"\xef\xbb\xbf"
# C0 and C1 control characters other than tab, line feed, vertical tab, form feed and
# carriage return: a text file has hardly any, a binary file that happens to be valid UTF-8
# has many.
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_FRACTION = 0.01
_CSV_SAMPLE_CHARS = 64 * 1024
_CSV_SAMPLE_LINES = 50
_CSV_MIN_LINES = 2
_CSV_AGREEMENT = 0.8
_CSV_DELIMITERS = (",", ";")
# Word reads a file starting like this as RTF, whatever it is named.
_RTF_START = "{\\rt"


@dataclass(frozen=True)
class _Sign:
    """A sign of markup or a script: a pattern over the lower-cased text, and whether it
    counts only at the start of a line (after spaces, tabs or a batch file's "@")."""

    pattern: re.Pattern[str]
    line_start: bool = False


def _signs(*patterns: str, line_start: bool = False) -> list[_Sign]:
    """Signs for ``patterns``. Each starts with literal text, which the regular expression
    engine finds with a fast scan: one pattern of many alternatives would be tried at every
    position, which on a 20 MB file takes minutes."""
    return [_Sign(re.compile(pattern), line_start) for pattern in patterns]


_EXECUTABLE = (
    r"[^\s\"]{0,260}\.(?:exe|com|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|msi|msc|scr|pif"
    r"|cpl|lnk|dll|jar|sh)\b"
)
_ACTIVE_SIGNS = [
    # Markup a browser, an SVG viewer or mshta would render and run. A tag name must follow
    # "<" directly (as browsers require), so "nilai < p" in prose is not a tag.
    *_signs(
        r"<(?:!doctype|html|head|body|script|iframe|frame|frameset|object|embed|applet|svg"
        r"|math|meta|link|style|base|form|img|image|video|audio|source|template|marquee|title"
        r"|div|table|input|button|a|hta:application|xml)(?=[\s/>]|$)",
        r"<\?xml",
        r"<!--",
        r"<!\[cdata\[",
        r"href[ \t]*=",
        r"javascript:",
        r"vbscript:",
        r"livescript:",
    ),
    # Batch, and the programs scripts start to do their work.
    *_signs(
        r"echo[ \t]+o(?:ff|n)\b",
        r"start[ \t]+(?:/\w+[ \t]+)*\"?" + _EXECUTABLE,
        r"call[ \t]+(?:/\w+[ \t]+)*\"?" + _EXECUTABLE,
        r"(?:cmd|command|powershell|pwsh|mshta|wscript|cscript|rundll32|regsvr32|certutil"
        r"|bitsadmin|msiexec|schtasks|wmic|vssadmin)(?:\.exe)?(?=\s|$)",
        r"rm[ \t]+-[a-z]*[rf]",
        r"chmod[ \t]+(?:\+x|[0-7]{3,4})\s",
        r"curl[ \t]+\S",
        r"wget[ \t]+\S",
        r"sudo[ \t]+\S",
        r"on[ \t]+error[ \t]+resume[ \t]+next\b",  # VBScript
        # Files Windows acts on when opened: shortcuts, folder settings, registry files.
        r"\[(?:internetshortcut|desktop entry|\.shellclassinfo)\]",
        r"windows registry editor version",
        r"regedit4\b",
        line_start=True,
    ),
    *_signs(
        r"%~[a-z0-9]",  # batch parameters and variables
        r"%(?:comspec|temp|tmp|appdata|localappdata|userprofile|systemroot|windir|programdata"
        r"|public)%",
        # PowerShell: a cmdlet with what it acts on (the name alone in a sentence is prose)
        r"invoke-(?:expression|webrequest|restmethod|command)\b[ \t]*[-\w$(\"']",
        r"start-process[ \t]+[-\w$(\"']",
        r"new-object[ \t]+[-\w$(\"']",
        r"set-executionpolicy[ \t]+[-\w$(\"']",
        r"add-type[ \t]+[-\w$(\"']",
        r"download(?:string|file)\b",
        r"frombase64string\b",
        r"encodedcommand\b",
        r"iex[ \t]*[(\$]",
        r"\$env:\w",
        # Windows Script Host (VBScript, JScript)
        r"activexobject[ \t]*\(",
        r"createobject[ \t]*\(",
        r"getobject[ \t]*\(",
        r"wscript\.\w",
        r"wsh\.\w",
        r"shell\.application\b",
        r"scripting\.filesystemobject\b",
        # JavaScript
        r"eval[ \t]*\(",
        r"function[ \t]*[\w$]{0,100}[ \t]*\([^)\n]{0,200}\)[ \t]*\{",
        r"fromcharcode[ \t]*\(",
        r"document\.(?:write|cookie|location)\b",
        r"window\.location\b",
        r"child_process",
        # shell
        r"/bin/(?:ba|z|da)?sh\b",
        r"/dev/tcp/",
    ),
]
# How far into a line a line-start sign may sit (indentation); no script indents further.
_MAX_INDENT = 64
_INDENT = frozenset(" \t@")


# A spreadsheet runs a cell as a formula when it starts with one of these (after spaces,
# tabs and carriage returns, which Excel skips).
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_CELL_PADDING = " \t\r\n\x0b\x0c"
# A sign followed by nothing but digits, spaces and arithmetic ("-12,5", "+62 812-3456", a
# lone "-" for "none") can at worst compute a number: no name, call or DDE link can be
# written without letters, so such a cell is not refused.
_PLAIN_VALUE = re.compile(r"[+-][\d\s.,()+\-/%]*")


def detect_text(content: bytes) -> FileType | Refusal:
    """CSV or plain text for mostly printable UTF-8 without NUL bytes and without markup,
    scripts or (in CSV) formulas; otherwise why it is refused."""
    text = _printable_text(content)
    if text is None:
        return Refusal.NOT_ACCEPTED
    if text.lstrip().startswith(_RTF_START):
        return Refusal.NOT_ACCEPTED  # Word opens it as RTF, with any OLE objects inside
    if _is_active(text):
        return Refusal.ACTIVE_CONTENT
    if _csv_delimiter(text) is None:
        return TEXT
    # The spreadsheet that opens the file splits it at its own locale's list separator (","
    # in many, ";" in Indonesian Excel), not at the one detected here: both readings count.
    if any(_has_formula(text, delimiter) for delimiter in _CSV_DELIMITERS):
        return Refusal.FORMULA
    return CSV


def _printable_text(content: bytes) -> str | None:
    """The text of ``content`` when it is UTF-8 (a byte order mark dropped), not empty, without
    NUL bytes and with few control characters; None otherwise."""
    if b"\x00" in content:
        return None
    body = content.removeprefix(_UTF8_BOM)
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(_CONTROL_CHARACTERS.findall(text)) > len(text) * _MAX_CONTROL_FRACTION:
        return None
    return text


def _is_active(text: str) -> bool:
    """Whether ``text`` shows a sign of markup or a script anywhere."""
    if text.lstrip().startswith("#!"):
        return True  # a shebang: the interpreter it names runs the file
    lowered = text.lower()
    for sign in _ACTIVE_SIGNS:
        for found in sign.pattern.finditer(lowered):
            if not sign.line_start or _starts_line(lowered, found.start()):
                return True
    return False


def _starts_line(text: str, position: int) -> bool:
    """Whether only a little indentation stands between ``position`` and its line's start."""
    line_start = text.rfind("\n", max(0, position - _MAX_INDENT - 1), position) + 1
    if line_start == 0 and position > _MAX_INDENT:
        return False
    return all(character in _INDENT for character in text[line_start:position])


def _csv_delimiter(text: str) -> str | None:
    """The delimiter most of the first lines split on into the same number (2+) of fields,
    or None when the text is not CSV."""
    sample = text[:_CSV_SAMPLE_CHARS]
    lines = sample.splitlines()
    if len(text) > len(sample):
        lines = lines[:-1]  # the sample may have cut the last line short
    lines = [line for line in lines if line.strip()][:_CSV_SAMPLE_LINES]
    if len(lines) < _CSV_MIN_LINES:
        return None
    for delimiter in _CSV_DELIMITERS:
        try:
            # csv, not str.count: a quoted field may contain the delimiter.
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts:
            continue
        fields, agreeing = collections.Counter(counts).most_common(1)[0]
        if fields >= 2 and agreeing >= _CSV_AGREEMENT * len(counts):
            return delimiter
    return None


def _has_formula(text: str, delimiter: str) -> bool:
    """Whether any cell of the whole file would run as a formula in a spreadsheet."""
    # Every cell, not a sample: one formula at the bottom of a long file is enough. A first
    # pass in the regular expression engine looks for a cell that might be one, ignoring
    # quotes; only a file where it finds one is read cell by cell, which costs far more.
    if not _formula_suspects(delimiter).search("\n" + text):
        return False
    # A file csv cannot read (a field over its size limit) is split at every delimiter,
    # quotes or not, which can only find more cell starts, never fewer.
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        rows = [line.split(delimiter) for line in text.splitlines()]
    return any(_is_formula(cell) for row in rows for cell in row)


@functools.cache
def _formula_suspects(delimiter: str) -> re.Pattern[str]:
    """Where a cell might start with a formula: after a line break or the delimiter (quotes
    not considered), padding and opening quotes, "=" or "@", or a sign followed by anything
    that is not a plain value (see `_PLAIN_VALUE`) before the cell ends. It may find cells
    that are not formulas (the careful reading decides), never miss one that is."""
    boundary = re.escape(delimiter)
    padding = r"[ \t\r\x0b\x0c]*"
    return re.compile(
        rf"[{boundary}\n\r]{padding}\"*{padding}"
        rf"(?:[=@]|[+-][\d\s.,()+/%-]*[^\d\s.,()+/%{boundary}-])"
    )


def _is_formula(cell: str) -> bool:
    """Whether a spreadsheet would read ``cell`` as a formula."""
    value = cell.lstrip(_CELL_PADDING)
    return value.startswith(_FORMULA_TRIGGERS) and not _PLAIN_VALUE.fullmatch(value.rstrip())
