"""Every message the bot renders is one Telegram accepts, whatever people typed.

Checked with the emulator's own entity parser (what Telegram would parse) and Telegram's
measures: 4096 UTF-16 units of text per message after parsing, 1024 per caption. A disposition
is edited when it ends and an edit cannot be split, so it must fit in one message.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from sopbot.emulator.errors import ApiError
from sopbot.emulator.text_entities import FormattedText, parse_html, utf16_len
from sopbot.engine.definition import DecisionAnswer, OutputKind
from sopbot.engine.letters import MAX_NUMBER_LENGTH, MAX_SENDER_LENGTH, Letter
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    NOTE_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    escape,
    fit_caption,
    split_message,
)
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import MemberRow, OutboxRow, PositionRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.agencies import SeedAgency, fake_upload, next_key, seed_library, staff_agency
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.properties import examples

LIBRARY = seed_library()
PENGOLAHAN = "dinas-kukmp-samarinda/pengolahan-data-kinerja"
CATALOG = default_catalog()

# What people type that trips formatting up: HTML's own characters and escapes, line breaks,
# control characters, direction marks, emoji (two UTF-16 units; some several characters).
ODD = [
    "&",
    "<",
    ">",
    '"',
    "'",
    "&amp;",
    "&lt;b&gt;",
    "<b>",
    "</i>",
    "<a href='x'>",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u200f",
    "\u202e",
    "\u2028",
    "\x07",
    "\x1b",
    "\x7f",
    "\ufeff",
    "📄",
    "👩‍💼",
    "🇮🇩",
    "é",
    "ﷺ",
]
# Any character but NUL (Telegram never delivers it; PostgreSQL cannot store it) and lone
# surrogates (not text: Telegram refuses them as bad UTF-8).
CHARACTERS = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])


def cut_to(text: str, units: int) -> str:
    """The longest start of `text` of at most `units` UTF-16 units."""
    kept, used = [], 0
    for char in text:
        used += utf16_len(char)
        if used > units:
            break
        kept.append(char)
    return "".join(kept)


def typed(max_units: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text as a person might type it, up to `max_units`; long runs are made by repetition."""
    piece = st.one_of(st.text(CHARACTERS, min_size=1, max_size=12), st.sampled_from(ODD))
    run = st.tuples(st.lists(piece, min_size=1, max_size=8), st.integers(1, 400)).map(
        lambda drawn: "".join(drawn[0]) * drawn[1]
    )
    return (
        st.lists(st.one_of(piece, run), min_size=min_size, max_size=6)
        .map(lambda pieces: cut_to("".join(pieces), max_units))
        .filter(lambda text: len(text.strip()) >= min_size)
    )


def parsed(html: str) -> FormattedText:
    """The text as Telegram stores it; fails the test where Telegram would refuse it."""
    try:
        return parse_html(html)
    except ApiError as refusal:
        pytest.fail(f"Telegram would refuse {html[:200]!r}: {refusal.description}")


def assert_accepted(html: str, *, one_message: bool = False) -> None:
    """Every part of the message parses and fits; `one_message`: it needs no split."""
    parts = split_message(html)
    if one_message:
        assert parts == [html], f"needs {len(parts)} messages: {html[:200]!r}"
    assert parts, f"nothing to send: {html[:200]!r}"
    for part in parts:
        shown = parsed(part)
        assert shown.text, f"an empty part of {html[:200]!r}"
        assert utf16_len(shown.text) <= MESSAGE_LIMIT


# -- every text of the catalog ---------------------------------------------------------------


@settings(max_examples=examples(25), deadline=None)
@given(st.lists(typed(2500), min_size=1, max_size=4))
def test_every_catalog_text_filled_with_any_text_is_accepted(fillings: list[str]) -> None:
    for language in Language:
        for key in sorted(CATALOG.keys(language)):
            names = sorted(CATALOG.placeholders(language, key))
            values = dict(zip(names, itertools.cycle(fillings), strict=False))
            text = CATALOG.text(language, key, **{k: escape(v) for k, v in values.items()})
            if key == "document.caption":  # sent as plain text, without parse mode
                caption = CATALOG.text(language, key, **values)
                assert utf16_len(fit_caption(caption)) <= CAPTION_LIMIT
            elif text.strip():
                assert_accepted(text)


@settings(max_examples=examples(100), deadline=None)
@given(typed(5000))
def test_a_caption_is_cut_to_1024_units_and_only_when_it_must(caption: str) -> None:
    fitted = fit_caption(caption)
    assert utf16_len(fitted) <= CAPTION_LIMIT
    if utf16_len(caption) <= CAPTION_LIMIT:
        assert fitted == caption
    else:
        assert fitted.endswith("…")
        assert caption.startswith(fitted[:-1])


# -- splitting any Telegram HTML -------------------------------------------------------------

_TAGS = ["b", "i", "u", "s", "code", "tg-spoiler", 'a href="https://x.go.id/?a=1&amp;b=2"']


def _wrapped(drawn: tuple[str, list[str]]) -> str:
    tag, children = drawn
    return f"<{tag}>{''.join(children)}</{tag.split()[0]}>"


HTML = st.recursive(
    typed(300).map(escape),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(_TAGS), st.lists(children, max_size=4)).map(_wrapped),
        st.lists(children, max_size=5).map("".join),
    ),
    max_leaves=24,
)


def styled(text: FormattedText) -> list[tuple[str, frozenset[str]]]:
    """Each character shown (but the whitespace Telegram may trim) with its formatting."""
    encoded = text.text.encode("utf-16-le")
    result = []
    offset = 0
    for char in text.text:
        units = utf16_len(char)
        kinds = frozenset(
            str(e["type"])
            for e in text.entities
            if int(e["offset"]) <= offset < int(e["offset"]) + int(e["length"])
        )
        if char not in " \t\r\n":
            result.append((char, kinds))
        offset += units
    assert offset * 2 == len(encoded)
    return result


@settings(max_examples=examples(300), deadline=None)
@given(HTML, st.integers(8, 600))
def test_split_parts_parse_fit_and_keep_every_character_and_its_formatting(
    html: str, limit: int
) -> None:
    parts = split_message(html, limit)
    whole = parsed(html)
    shown = [parsed(part) for part in parts]
    for part in shown:
        assert part.text or parts == [html]  # (a text with nothing to show is left as it is)
        assert utf16_len(part.text) <= limit
    assert [s for part in shown for s in styled(part)] == styled(whole)


# -- the notices of whole procedures -----------------------------------------------------------


@dataclass
class Desk:
    """A staffed agency with the notifier writing the outbox, on SQLite."""

    database: Database
    procedures: ProcedureService
    agency: SeedAgency


def odd_names(database: Database, agency_id: int) -> None:
    """Give everyone the longest, oddest names Telegram allows (first + last: 2 x 64)."""
    first = ("&<b>" * 16)[:64]
    with database.transaction() as session:
        for index, member in enumerate(
            session.exec(select(MemberRow).where(MemberRow.agency_id == agency_id))
        ):
            member.name = f"{first} {'👩‍💼' * 12}{index:04d}\u200f"[:129]
            member.language = "en" if index % 2 else None
            session.add(member)
        for position in session.exec(select(PositionRow).where(PositionRow.agency_id == agency_id)):
            position.name = f"Kepala {'&amp;' * 18} {position.id} 📄"
            session.add(position)


def staffed(tmp: Path, sop_id: str) -> Desk:
    database = Database(f"sqlite:///{tmp / 'sopbot.db'}", audit_key=TEST_AUDIT_KEY)
    upgrade(database)
    procedures = ProcedureService(database, LIBRARY, observer=NoticeWriter(Notifier()))
    agency = staff_agency(OrganizationService(procedures), LIBRARY.definitions[sop_id])
    odd_names(database, agency.agency_id)
    return Desk(database, procedures, agency)


@pytest.fixture(scope="module")
def pengolahan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = staffed(tmp_path_factory.mktemp("pengolahan"), PENGOLAHAN)
    yield desk
    desk.database.dispose()


def outbox_after(database: Database, last_id: int) -> list[OutboxRow]:
    with database.reading() as session:
        return list(
            session.exec(
                select(OutboxRow).where(col(OutboxRow.id) > last_id).order_by(col(OutboxRow.id))
            )
        )


def last_outbox_id(database: Database) -> int:
    rows = outbox_after(database, 0)
    return max((row.id or 0 for row in rows), default=0)


def assert_all_accepted(rows: list[OutboxRow]) -> None:
    """Every message, edit and caption the change wrote is one Telegram takes."""
    assert rows
    for row in rows:
        payload = row.payload
        if row.kind == "document":
            assert utf16_len(str(payload.get("caption") or "")) <= CAPTION_LIMIT
            continue
        # A disposition is edited later, and an edit is one message: it must fit in one.
        one = row.kind == "edit" or row.disposition_id is not None
        assert_accepted(str(payload["text"]), one_message=one)


@settings(
    max_examples=examples(12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=typed(2 * TITLE_LIMIT, min_size=1),
    note=typed(NOTE_LIMIT, min_size=1),
    reason=typed(REASON_LIMIT, min_size=1),
)
def test_every_notice_of_a_procedure_is_accepted_whatever_was_typed(
    pengolahan: Desk, title: str, note: str, reason: str
) -> None:
    desk, procedures = pengolahan, pengolahan.procedures
    start = last_outbox_id(desk.database)
    outcome = procedures.start(
        next_key(),
        agency_id=desk.agency.agency_id,
        sop_id=PENGOLAHAN,
        title=title,
        starter_id=desk.agency.person("kepala_dinas"),
        note=note,
        letter=LONGEST_LETTER,
    )
    sekretaris = desk.agency.person("sekretaris")
    (item,) = procedures.inbox(sekretaris)
    colleague = desk.agency.person("kepala_bidang", 1)
    procedures.hand_over(
        next_key(),
        member_id=sekretaris,
        disposition_id=item.disposition_id,
        to_member_id=colleague,
        reason=reason,
    )
    (item,) = procedures.inbox(colleague)
    for _ in range(2):  # notes add up past the limit, one reply at a time
        procedures.save_note(
            next_key(), member_id=colleague, disposition_id=item.disposition_id, note=note
        )
    procedures.complete(next_key(), member_id=colleague, disposition_id=item.disposition_id)
    jafung = desk.agency.person("jafung_perencana")
    (item,) = procedures.inbox(jafung)
    procedures.send_back(
        next_key(), member_id=jafung, disposition_id=item.disposition_id, reason=reason
    )
    procedures.cancel(
        next_key(),
        member_id=desk.agency.admin_id,
        instance_id=outcome.result.instance_id,
        reason=reason,
    )
    rows = outbox_after(desk.database, start)
    assert_all_accepted(rows)
    edits = [parsed(str(row.payload["text"])).text for row in rows if row.kind == "edit"]
    assert any(cut_to(reason.strip(), REASON_LIMIT - 1) in text for text in edits)


# The longest letter a procedure can carry, in the units Telegram counts: every character of
# its number and sender an emoji (two units each), its date the longest month's name.
LONGEST_LETTER = Letter("📄" * MAX_NUMBER_LENGTH, dt.date(2026, 9, 30), "📄" * MAX_SENDER_LENGTH)


# Every seed SOP played from start to finish: the slow stage.
@pytest.mark.slow
@pytest.mark.parametrize("sop_id", sorted(LIBRARY.definitions))
def test_every_seed_sop_played_with_the_longest_inputs_fits(tmp_path: Path, sop_id: str) -> None:
    """The frame the limits leave (DISPOSITION_FRAME) holds every step of the seed SOPs."""
    desk = staffed(tmp_path, sop_id)
    definition = desk.agency.definition
    longest = {
        "title": "&" * TITLE_LIMIT,
        "note": "&<" * (NOTE_LIMIT // 2),
        "reason": "📄" * (REASON_LIMIT // 2),
    }
    procedures = desk.procedures
    procedures.start(
        next_key(),
        agency_id=desk.agency.agency_id,
        sop_id=sop_id,
        title=longest["title"],
        starter_id=desk.agency.person(definition.first_step.role),
        note=longest["note"],
        letter=LONGEST_LETTER,
    )
    members = [m for people in desk.agency.people.values() for m in people]
    for _ in range(300):
        work = [(m, item) for m in members for item in procedures.inbox(m)]
        if not work:
            break
        member, item = work[0]
        step = definition.step(item.step_number)
        if step.output_kind is OutputKind.DOCUMENT:
            procedures.attach_document(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                document=fake_upload(f"{'&' * 150}-{step.number}-{member}.pdf"),
            )
        if step.is_decision:
            first_round = item.round == 1
            procedures.decide(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                answer=DecisionAnswer.NO if first_round else DecisionAnswer.YES,
                reason=longest["reason"] if first_round else None,
            )
        else:
            procedures.complete(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                note=longest["note"],
            )
    else:
        pytest.fail("the procedure did not end")
    rows = outbox_after(desk.database, 0)
    assert_all_accepted(rows)
    # The closing lines were kept: each edit shows the reason or state it ended with.
    assert all(
        re.search(r"[✅❌☑️👤🔀↩️⛔]", parsed(str(r.payload["text"])).text.splitlines()[-1])
        for r in rows
        if r.kind == "edit" and r.payload.get("keyboard") is None
    )
    desk.database.dispose()
