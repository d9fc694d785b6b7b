"""A seed SOP played from invitation to the last step by simulated officials.

Used by `sopbot demo` (printing each official's chat) and by the end-to-end tests. The agency is
set up as an admin would (positions, the SOP's roles mapped to them, invitation links); every
official joins by tapping their link; the director only looks up whose turn it is, and each
official then acts through Telegram.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sopbot.bot.acting_sweep import SWEEP_SECONDS
from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.delivery.flood import FloodLimits
from sopbot.demo.choices import choose
from sopbot.demo.officials import NAMES, Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.staffing import agency_timezone
from sopbot.emulator import BotApiEmulator, SeenMessage
from sopbot.engine.definition import Assignment, OutputKind, SopDefinition
from sopbot.engine.library import SopLibrary
from sopbot.handlers.inbound_limit import InboundLimits
from sopbot.services.commands import utc_now
from sopbot.services.live_definitions import DEFAULT_CHECK_SECONDS
from sopbot.services.organization import OrganizationService
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

DEMO_SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
TITLE = "Pengolahan Data Kinerja Triwulan III 2026"
NOTE = "Untuk ditindaklanjuti sesuai SOP"
# The letter the demo's procedure follows up (the date typed as officials do: "hari ini").
DEMO_LETTER_NUMBER = "000.8/512/Bappeda/2026"
DEMO_LETTER_SENDER = "Bappeda Kota Pekalongan"
# (step, round) -> reason: the demo sends step 5's first check back, as a reviewer would.
DEFAULT_REJECTIONS = {(5, 1): "Format belum memuat kolom target dan realisasi triwulan"}
SIMULATED_INBOUND = InboundLimits(burst=1000.0, per_second=100.0)
SIMULATED_FLOOD = FloodLimits(
    per_private_chat_per_second=1000.0, private_burst=1000.0, overall_per_second=10_000.0
)
# What an official writes as a note on a step before pressing Selesai (None: no note).
NoteWriter = Callable[["Official", int, int], str | None]


@dataclass
class World:
    """A running bot, its emulator, and the agency's simulated people."""

    emulator: BotApiEmulator
    parts: BotParts
    definition: SopDefinition
    agency_id: int
    admin: Official
    officials: dict[str, Official] = field(default_factory=dict)  # by role key: the first holder
    holders: dict[str, list[Official]] = field(default_factory=dict)  # by role key: every holder
    narrative: list[str] = field(default_factory=list)
    refused: set[tuple[int, int]] = field(default_factory=set)  # (step, round) answered "tidak"
    rounds: dict[int, int] = field(default_factory=dict)  # step -> the last round it ran

    def everyone(self) -> list[Official]:
        """Every official of the agency (not the admin), role by role."""
        return [official for people in self.holders.values() for official in people]

    def role_of(self, official: Official) -> str:
        """The role key an official holds in the play."""
        for key, people in self.holders.items():
            if official in people:
                return key
        raise LookupError(f"{official.name} holds no role")

    def official_of(self, member_id: int) -> Official:
        """The simulated person of a member."""
        for official in (*self.everyone(), self.admin):
            if official.member_id == member_id:
                return official
        raise KeyError(member_id)


@asynccontextmanager
async def world(  # noqa: PLR0913 - what a test may change in the world, keyword-only
    library: SopLibrary,
    sop_id: str,
    *,
    database: Database | None = None,
    documents_dir: Path | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    holders: int = 1,
    inbound: InboundLimits | None = None,
    audit_anchor_file: Path | None = None,
    flood: FloodLimits | None = None,
    catalog_check_seconds: float = DEFAULT_CHECK_SECONDS,
    acting_sweep_seconds: float = SWEEP_SECONDS,
) -> AsyncIterator[World]:
    """Start the emulator and the bot, set the agency up and enrol one official per role
    (`holders` officials, each in a position of their own, on a step every holder does).

    The folder is synced into the database's SOP catalog first, as `sopbot run` does, and the
    bot starts procedures from the catalog (`catalog_check_seconds`: how often it looks for
    a change; `acting_sweep_seconds`: how often Plt/Plh terms that have passed are applied)."""
    if library.get(sop_id) is None:
        raise KeyError(sop_id)
    with tempfile.TemporaryDirectory(prefix="sopbot-demo-") as scratch:
        # A key of its own for each run: the demo's trail is thrown away with the run.
        db = database or Database(
            f"sqlite:///{Path(scratch) / 'demo.db'}", audit_key=AuditKey.generate()
        )
        await asyncio.to_thread(upgrade, db)
        definitions = await asyncio.to_thread(
            sync_at_start_up, db, library, check_every=catalog_check_seconds
        )
        definition = definitions.get(sop_id)
        if definition is None:  # the database holds a version of its own that no longer loads
            raise KeyError(sop_id)
        async with BotApiEmulator() as emulator:
            parts = build_bot(
                token=emulator.token,
                database=db,
                library=definitions,
                documents_dir=documents_dir or Path(scratch) / "documents",
                base_url=f"http://127.0.0.1:{emulator.port}",
                clock=clock,
                sender_idle_wait=0.2,
                # Simulated officials act far faster than people: they get a wide limit
                # unless a test asks for another.
                inbound=inbound or SIMULATED_INBOUND,
                # The emulator keeps no flood limits unless a test turns them on, and that
                # test passes Telegram's own here: the others need not wait a second a reply.
                flood=flood or SIMULATED_FLOOD,
                audit_anchor_file=audit_anchor_file,
                acting_sweep_seconds=acting_sweep_seconds,
            )
            async with running(parts):
                yield await _enrol(emulator, parts, definition, holders)
            await settle_quietly(emulator, parts)
        if database is None:
            db.dispose()


async def settle_quietly(emulator: BotApiEmulator, parts: BotParts) -> None:
    """Settle if possible (used on the way out)."""
    with suppress(TimeoutError):
        await settle(emulator, parts, within=2)


async def _enrol(
    emulator: BotApiEmulator, parts: BotParts, definition: SopDefinition, holders: int = 1
) -> World:
    services = parts.services
    organization = OrganizationService(services.procedures)
    agency_id = await asyncio.to_thread(
        organization.create_agency,
        key=definition.agency_key,
        name=definition.identity.agency or definition.agency_key,  # instansi not stated
        timezone=agency_timezone(services.procedures.library, definition.agency_key),
    )
    admin_member = await asyncio.to_thread(
        organization.add_member, agency_id=agency_id, name="Nur Aini (Admin)", is_admin=True
    )
    token, _ = await asyncio.to_thread(
        services.onboarding.invite, agency_id=agency_id, member_id=admin_member, is_admin=True
    )
    admin = Official(emulator.add_user("Nur", "Aini"), "Admin")
    await admin.say(f"/start {token}")
    admin.member_id = admin_member
    result = World(emulator, parts, definition, agency_id, admin)
    people = 0
    # An outside party (a citizen, another office) is nobody's post: its steps go to the
    # official who records them.
    for role in (r for r in definition.roles if not r.external):
        count = holders if role.assignment is Assignment.EVERY_HOLDER else 1
        for index in range(count):
            suffix = f" {index + 1}" if count > 1 else ""
            position = await asyncio.to_thread(
                organization.add_position,
                agency_id=agency_id,
                key=f"{role.key}_{index + 1}" if count > 1 else role.key,
                name=f"{role.name}{suffix}",
            )
            await asyncio.to_thread(
                organization.map_role,
                agency_id=agency_id,
                role_key=role.key,
                position_id=position,
                sop_id=definition.id,
            )
            token, _ = await asyncio.to_thread(
                services.onboarding.invite,
                agency_id=agency_id,
                position_id=position,
                created_by_id=admin_member,
            )
            first, _, last = NAMES[people % len(NAMES)].partition(" ")
            people += 1
            official = Official(emulator.add_user(first, last or None), f"{role.name}{suffix}")
            await official.say(f"/start {token}")
            member = await asyncio.to_thread(services.onboarding.member_for, official.user.id)
            assert member is not None  # noqa: S101 - the invitation was just accepted
            official.member_id = member.id
            result.officials.setdefault(role.key, official)
            result.holders.setdefault(role.key, []).append(official)
    await settle(emulator, parts)
    return result


@dataclass(frozen=True, slots=True)
class TypedLetter:
    """The letter a procedure is about, as its starter types it at /mulai: its number, and its
    date and sender as written (None: skipped with Lewati)."""

    number: str
    date: str | None = None
    sender: str | None = None


async def give_title(official: Official, title: str, letter: TypedLetter | None = None) -> None:
    """At /mulai, once the title is asked: type it, then the letter's parts (no letter: its
    first question skipped, one tap). The note's question is on the screen afterwards."""
    (question,) = await official.say(title)
    if letter is None:
        await official.press(question, "button.skip")
        await official.user.wait_for_bot_messages(1)
        return
    (question,) = await official.say(letter.number)
    for part in (letter.date, letter.sender):
        if part is None:
            await official.press(question, "button.skip")
            (question,) = await official.user.wait_for_bot_messages(1)
        else:
            (question,) = await official.say(part)


async def start_procedure(
    world: World, *, title: str = TITLE, note: str = NOTE, letter: TypedLetter | None = None
) -> None:
    """The holder of the first step starts the procedure with /mulai (with the letter it
    follows up, when given)."""
    definition = world.definition
    starter = world.officials[definition.routed_role(definition.first_step.roles[0])]
    (menu,) = await starter.say("/mulai")
    await starter.press_text(menu, world.definition.identity.name[:60])
    await starter.user.wait_for_bot_messages(1)
    await give_title(starter, title, letter)
    await starter.say(note)
    world.narrative.append(f"▶ {starter.name} ({starter.role_name}) memulai “{title}”.")
    await settle(world.emulator, world.parts)


async def play(
    world: World,
    rejections: dict[tuple[int, int], str] | None = None,
    *,
    limit: int = 200,
    notes: NoteWriter | None = None,
) -> None:
    """Act on every disposition as it arrives, until the procedure is done."""
    rejections = DEFAULT_REJECTIONS if rejections is None else rejections
    procedures = world.parts.services.procedures
    for _ in range(limit):
        turn = None
        for official in world.everyone():
            assert official.member_id is not None  # noqa: S101 - enrolled
            items = await asyncio.to_thread(procedures.inbox, official.member_id)
            if items:
                turn = (official, items[0])
                break
        if turn is None:
            return
        official, item = turn
        await act(world, official, item.step_number, item.round, rejections, notes)
    raise RuntimeError("the procedure did not end")


async def act(
    world: World,
    official: Official,
    step_number: int,
    round_: int,
    rejections: dict[tuple[int, int], str],
    notes: NoteWriter | None = None,
) -> None:
    """One official does one step: reads the disposition, uploads, writes a note (when
    `notes` gives one), answers or completes."""
    definition = world.definition
    step = definition.step(step_number)
    world.rounds[step_number] = max(round_, world.rounds.get(step_number, 0))
    message = official.disposition()
    note = notes(official, step_number, round_) if notes is not None else None
    if note is not None:
        await official.say(note, reply_to=message)
        world.narrative.append(f"📝 {official.name}: {note}")
    role = world.role_of(official)
    # What this holder does on the step: on a step of several roles, only the one named by
    # output_oleh uploads, and in a chain only the last answers the question.
    owes, asks = definition.part_of(step, role)
    answer = choose(step, round_, rejections) if asks else None
    if owes and step.output_kind_on(answer.branch if answer else None) is OutputKind.DOCUMENT:
        name = f"langkah-{step.label}-putaran-{round_}.pdf"
        await official.upload(
            message, sample_pdf(f"Langkah {step.label}: {step.output}"), name, "application/pdf"
        )
        world.narrative.append(f"📎 {official.name} mengunggah {name}.")
    who = f"{official.name} ({official.role_name}), langkah {step.label}"
    if answer is None:
        await official.press(message, "button.complete")
        world.narrative.append(
            f"✅ {official.name} ({official.role_name}) menyelesaikan langkah {step.label}."
        )
    elif answer.branch.label is not None:
        await official.press_text(message, _button_of(message, answer.branch.label))
        if answer.reason is not None:
            await official.user.wait_for_bot_messages(1)
            await official.say(answer.reason)
            world.refused.add((step_number, round_))
        because = f": {answer.reason}" if answer.reason else ""
        world.narrative.append(f"☑️ {who}: {answer.branch.label}{because}")
    elif answer.reason is not None:
        await official.press(message, "button.no")
        await official.user.wait_for_bot_messages(1)
        await official.say(answer.reason)
        world.refused.add((step_number, round_))
        world.narrative.append(f"❌ {who}: tidak sesuai: {answer.reason}")
    else:
        await official.press(message, "button.yes")
        world.narrative.append(f"✅ {who}: sesuai")
    await settle(world.emulator, world.parts)


async def hand_out_reports(world: World) -> list[SeenMessage]:
    """The admin asks /laporan for this month's monitoring form and compliance report of the
    SOP just played, and /ekspor 1 for the auditor's zip; what reached the admin's chat."""
    admin = world.admin
    (menu,) = await admin.say("/laporan")
    await admin.press_text(menu, menu.button_list[1])  # the SOP (the first is the agency)
    await admin.press(admin.user.message(menu.message_id), "report_button.this_month")
    offers = admin.user.message(menu.message_id)
    await admin.press(offers, "report_button.monitoring")
    handed = list(await admin.user.wait_for_bot_messages(2, timeout=60))  # PDF, XLSX
    await admin.press(offers, "report_button.compliance")
    handed.extend(await admin.user.wait_for_bot_messages(2, timeout=60))
    await settle(world.emulator, world.parts)
    charts = admin.user.unread_bot_messages()
    if charts:
        handed.extend(await admin.user.wait_for_bot_messages(len(charts)))
    handed.extend(await admin.say("/ekspor 1"))
    return handed


def _button_of(message: SeenMessage, answer: str) -> str:
    """The button that carries a labelled answer (the bot marks it with an arrow)."""
    for text in message.button_list:
        if str(text).endswith(f" {answer}"):
            return str(text)
    raise LookupError(f"no button for the answer {answer!r}")


async def run_demo(
    library: SopLibrary,
    sop_id: str,
    out: TextIO,
    err: TextIO | None = None,
    rejections: dict[tuple[int, int], str] | None = None,
) -> int:
    """`sopbot demo`: play the SOP and print every official's chat, then the admin's /status.

    `rejections` ((step, round) -> reason) are the decisions answered "tidak" (default: the
    demo's own); one that the play never reached is reported on `err`, and the exit code is 1.
    """
    async with world(library, sop_id) as demo:
        definition = demo.definition
        zone = agency_timezone(library, definition.agency_key)
        settings = library.agencies[definition.agency_key]
        print(f"sopbot demo: {definition.identity.name}", file=out)
        print(
            f"{definition.identity.agency} · {len(definition.steps)} langkah · "
            f"Telegram emulator on 127.0.0.1:{demo.emulator.port}",
            file=out,
        )
        print(
            f"Times in the chats are the agency's: {settings.timezone_written} ({zone}), "
            f"from {settings.source}\n",
            file=out,
        )
        letter = TypedLetter(DEMO_LETTER_NUMBER, "hari ini", DEMO_LETTER_SENDER)
        await start_procedure(demo, letter=letter)
        await play(demo, rejections)
        status = await demo.admin.say("/status 1", expect=2)  # the timeline, then the text
        handed = await hand_out_reports(demo)
        for line in demo.narrative:
            print(line, file=out)
        for official in demo.officials.values():
            print(f"\n{'═' * 78}\n📱 {official.name}, {official.role_name}\n{'═' * 78}", file=out)
            print(demo.emulator.render_chat(official.user), file=out)
        print(
            f"\n{'═' * 78}\n📱 {demo.admin.name}, admin instansi: /status 1\n{'═' * 78}", file=out
        )
        for message in status:
            picture = "🖼️ (foto) " if message.photo else ""
            print(f"{picture}{message.text or ''}", file=out)
        print(
            f"\n{'═' * 78}\n📱 {demo.admin.name}, admin instansi: /laporan, /ekspor 1\n{'═' * 78}",
            file=out,
        )
        for message in handed:
            shown = f"📎 {message.document}" if message.document else "🖼️ (foto)"
            print(
                f"{shown}\n      {(message.text or '').replace(chr(10), chr(10) + '      ')}",
                file=out,
            )
        unused = sorted(set(rejections or {}) - demo.refused)
    for step, round_ in unused:
        label = definition.step(step).label
        runs = demo.rounds.get(step, 0)
        ran = f"ran {runs} round(s)" if runs else "did not run"
        print(
            f"--tolak {label}:{round_} was not used: step {label} {ran} in this play; a round "
            "after the first comes only when a 'tidak' sends the work back over the step",
            file=err or out,
        )
    return 1 if unused else 0
