"""`sopbot procedure list | cancel | reassign | letter | search | export`: the command-line
twins of /status, /batal, /pindah, /surat, /cari and /ekspor, for the server's operator.

Changes are made as the server's operator (the audit row's actor is empty) through the same
service methods the bot calls, and their notices go to the outbox, which the running bot
delivers. A refusal prints why, exits 1, and writes nothing. `search` and `export` read every
procedure of the agency, as its admins do; `export` has no size limit (Telegram's 50 MB is why
the bot names it), and exits 1 when the zip it wrote reports a missing or changed document or
an audit chain that is not intact.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sopbot.bot import cli_lookup
from sopbot.bot.cli_lookup import EXIT_OK, EXIT_PROBLEMS, find_agency, open_database
from sopbot.bot.settings import Settings
from sopbot.bot.terminal_table import Column, render_table, shown_on_terminal
from sopbot.engine.archive_query import ENDED_STATES, ArchiveQuery
from sopbot.engine.errors import DomainError, NotFound
from sopbot.engine.instance import InstanceState
from sopbot.engine.letters import (
    Letter,
    LetterEdit,
    LetterError,
    LetterPart,
    means_none,
    read_date,
    read_number,
    read_sender,
)
from sopbot.engine.library import load_library
from sopbot.engine.procedure_record import DocumentCheck
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import zone_name
from sopbot.messaging.notices import Notifier
from sopbot.services.archive import ArchivePage, ExportedArchive
from sopbot.services.letters import LetterDesk
from sopbot.services.procedure_admin import (
    Candidate,
    OpenDisposition,
    ProcedureAdmin,
    RunningProcedure,
)
from sopbot.services.procedures import ProcedureService
from sopbot.storage.notice_writer import NoticeWriter


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sopbot procedure ...`."""
    procedure = commands.add_parser(
        "procedure", help="running procedures: list, cancel, move a stuck step"
    )
    sub = procedure.add_subparsers(title="procedure commands", metavar="PROCEDURE_COMMAND")
    listing = sub.add_parser(
        "list", help="running procedures with their numbers, open steps and who holds them"
    )
    listing.add_argument("agency", help="the agency key")
    listing.set_defaults(handler=_list)
    cancel = sub.add_parser(
        "cancel", help="cancel a running procedure (closed as cancelled, never deleted)"
    )
    cancel.add_argument("agency", help="the agency key")
    cancel.add_argument("number", type=int, help="the procedure's number, as /status shows it")
    cancel.add_argument("--reason", required=True, help="why it is cancelled (everyone told)")
    cancel.set_defaults(handler=_cancel)
    reassign = sub.add_parser(
        "reassign",
        help="move an open step to another official of its role, or to a Plt/Plh in office",
    )
    reassign.add_argument("agency", help="the agency key")
    reassign.add_argument("number", type=int, help="the procedure's number")
    reassign.add_argument("step", help="the step's number as the SOP prints it, e.g. 3 or 5.1")
    reassign.add_argument("--to", dest="to_member", type=int, required=True, help="member id")
    reassign.add_argument(
        "--from",
        dest="from_member",
        type=int,
        help="the holder to move it from, when the step has several (member id)",
    )
    reassign.add_argument("--reason", required=True, help="why (the new holder reads it)")
    reassign.set_defaults(handler=_reassign)
    letter = sub.add_parser(
        "letter",
        help="the letter a procedure is about (nomor surat / nomor agenda, its date and "
        "sender): show it, set its parts, or remove it",
    )
    letter.add_argument("agency", help="the agency key")
    letter.add_argument("number", type=int, help="the procedure's number, as /status shows it")
    letter.add_argument(
        "--number", dest="letter_number", help="the letter number, e.g. 005/123/Disdik/2026"
    )
    letter.add_argument(
        "--date",
        dest="letter_date",
        help='the letter\'s date: "3 Desember 2026", 03/12/2026, 2026-12-03, "hari ini"; '
        '"-" clears it',
    )
    letter.add_argument("--sender", dest="letter_sender", help='who sent the letter; "-" clears it')
    letter.add_argument(
        "--clear", action="store_true", help="remove the letter (the audit trail keeps it)"
    )
    letter.set_defaults(handler=_letter)

    _add_archive_commands(sub)


def _add_archive_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sopbot procedure search` and `procedure export` (the twins of /cari and /ekspor)."""
    search = sub.add_parser(
        "search",
        help="find procedures (all states) by title words, number, letter number, SOP, official "
        "or dates, newest first, as /cari does",
    )
    search.add_argument("agency", help="the agency key")
    search.add_argument(
        "words",
        nargs="*",
        help="words the title or the letter number must hold (a whole number also finds the "
        "procedure of that number)",
    )
    search.add_argument("--sop", help="part of the SOP's id or name")
    search.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="started or finished on or after this day (1/11/2026, 2026-11-01, '1 November 2026')",
    )
    search.add_argument("--to", dest="date_to", metavar="DATE", help="... on or before this day")
    search.add_argument(
        "--by",
        metavar="NAME",
        help="part of the name of an official who "
        "started it, acted in it or was given a step of it",
    )
    search.add_argument("--letter", metavar="NO", help="part of the letter (agenda) number")
    ended = search.add_mutually_exclusive_group()
    ended.add_argument("--finished", action="store_true", help="finished procedures only")
    ended.add_argument(
        "--ended",
        action="store_true",
        help="finished or cancelled ones, the latest to end first (as /arsip)",
    )
    search.add_argument(
        "--limit", type=int, default=100, help="show at most this many (default 100)"
    )
    search.set_defaults(handler=_search)
    export = sub.add_parser(
        "export",
        help="write a procedure's zip for an auditor: its documents, the PDF of its history, "
        "SHA256SUMS and README.txt (as /ekspor, without Telegram's 50 MB limit)",
    )
    export.add_argument("agency", help="the agency key")
    export.add_argument("number", type=int, help="the procedure's number")
    export.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.zip", help="where to write it"
    )
    export.add_argument(
        "--lang",
        choices=[language.value for language in Language],
        default=Language.ID.value,
        help="the language of the PDF and README.txt (default id)",
    )
    export.set_defaults(handler=_export)


def _services(settings: Settings) -> tuple[ProcedureService, ProcedureAdmin]:
    database = open_database(settings)
    # The notices are written to the outbox: the running bot delivers them.
    procedures = ProcedureService(
        database, load_library(settings.definitions_dir()), observer=NoticeWriter(Notifier())
    )
    return procedures, ProcedureAdmin(procedures)


def _agency_id(procedures: ProcedureService, key: str, err: TextIO) -> int | None:
    agency = find_agency(procedures.database, key, err)
    return agency.id if agency else None


def _list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    procedures, admin = _services(settings)
    agency_id = _agency_id(procedures, args.agency, err)
    if agency_id is None:
        return EXIT_PROBLEMS
    running = admin.running(agency_id)
    for found in running:
        for line in _lines(found):
            print(line, file=out)
    print(f"{len(running)} running procedure(s) in {args.agency}", file=out)
    return EXIT_OK


def _lines(found: RunningProcedure) -> list[str]:
    summary = found.summary
    lines = [f"No. {summary.number}  {summary.title}  [{summary.sop_id}]"]
    for step in found.open_steps:
        holders = ", ".join(_holder(h) for h in step.holders) or "vacant"
        again = f", round {step.round}" if step.round > 1 else ""
        lines.append(f"    step {step.step_label}{again} ({_short(step.activity)}): {holders}")
    return lines


def _holder(holder: OpenDisposition) -> str:
    acting = f", {holder.acting.prefix}" if holder.acting is not None else ""
    return f"{holder.holder} (member {holder.holder_id}{acting})"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _procedure(
    procedures: ProcedureService, admin: ProcedureAdmin, args: argparse.Namespace, err: TextIO
) -> RunningProcedure | None:
    """The procedure the command names, running (or None, told why)."""
    agency_id = _agency_id(procedures, args.agency, err)
    if agency_id is None:
        return None
    try:
        found = admin.procedure(agency_id, args.number)
    except DomainError:
        print(f"no procedure No. {args.number} in {args.agency}", file=err)
        return None
    if found.summary.state.value != "running":
        print(
            f"procedure No. {args.number} is {found.summary.state.value}, not running; "
            "nothing changed",
            file=err,
        )
        return None
    return found


def _cancel(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    procedures, admin = _services(settings)
    found = _procedure(procedures, admin, args, err)
    if found is None:
        return EXIT_PROBLEMS
    try:
        procedures.cancel(
            None, member_id=None, instance_id=found.summary.instance_id, reason=args.reason
        )
    except DomainError as refusal:
        print(f"cannot: {refusal}; nothing changed", file=err)
        return EXIT_PROBLEMS
    told = sum(len(step.holders) for step in found.open_steps)
    print(
        f"procedure No. {args.number} ({found.summary.title}) cancelled: {args.reason.strip()}; "
        f"{told} holder(s) of open steps told",
        file=out,
    )
    return EXIT_OK


def _reassign(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    procedures, admin = _services(settings)
    found = _procedure(procedures, admin, args, err)
    if found is None:
        return EXIT_PROBLEMS
    holder = _holder_to_move(found, args, err)
    if holder is None:
        return EXIT_PROBLEMS
    try:
        choice = admin.move_choice(None, holder.disposition_id)
    except DomainError as refusal:
        print(f"cannot: {refusal}; nothing changed", file=err)
        return EXIT_PROBLEMS
    try:
        procedures.reassign(
            None,
            member_id=None,
            disposition_id=holder.disposition_id,
            to_member_id=args.to_member,
            reason=args.reason,
        )
    except DomainError as refusal:
        print(f"cannot: {refusal}; nothing changed", file=err)
        if refusal.code == "not_serving_role":
            who = "; ".join(_candidate(c) for c in choice.candidates) or "nobody"
            print(f"who may take step {args.step}: {who}", file=err)
        return EXIT_PROBLEMS
    to = next(c.name for c in choice.candidates if c.member_id == args.to_member)
    print(
        f"step {args.step} of No. {args.number} moved from {holder.holder} "
        f"(member {holder.holder_id}) to {to} (member {args.to_member})",
        file=out,
    )
    return EXIT_OK


def _holder_to_move(
    found: RunningProcedure, args: argparse.Namespace, err: TextIO
) -> OpenDisposition | None:
    """The live disposition of the step the command names (or None, told why)."""
    step = next((s for s in found.open_steps if s.step_label == args.step), None)
    if step is None:
        open_steps = ", ".join(s.step_label for s in found.open_steps) or "none"
        print(
            f"step {args.step} of No. {args.number} is not open (open steps: {open_steps})",
            file=err,
        )
        return None
    holders = list(step.holders)
    if args.from_member is not None:
        holders = [h for h in holders if h.holder_id == args.from_member]
        if not holders:
            print(f"member {args.from_member} does not hold step {args.step}", file=err)
            return None
    if not holders:
        print(f"step {args.step} is vacant: nobody holds it, so there is nothing to move", file=err)
        return None
    if len(holders) > 1:
        print(
            f"step {args.step} has {len(holders)} holders; say which with --from: "
            + ", ".join(_holder(h) for h in holders),
            file=err,
        )
        return None
    return holders[0]


def _letter(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Show the procedure's letter; with options, change it first (as the server's operator,
    who may change any procedure's letter, running or ended)."""
    procedures, _ = _services(settings)
    agency = find_agency(procedures.database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    given = [args.letter_number, args.letter_date, args.letter_sender]
    if args.clear and any(value is not None for value in given):
        print("--clear removes the whole letter: give it alone; nothing changed", file=err)
        return EXIT_PROBLEMS
    try:
        card = LetterDesk(procedures).of_agency(agency.id, args.number)
    except DomainError:
        print(f"no procedure No. {args.number} in {args.agency}", file=err)
        return EXIT_PROBLEMS
    try:
        edits = _letter_edits(args, agency.timezone, procedures.runner.clock())
    except LetterError as refusal:
        print(f"cannot: {refusal}; nothing changed", file=err)
        return EXIT_PROBLEMS
    if not edits:
        print(f"procedure No. {card.number} ({card.title}): {_letter_text(card.letter)}", file=out)
        return EXIT_OK
    try:
        outcome = procedures.change_letter(
            None, member_id=None, instance_id=card.instance_id, edits=edits
        )
    except DomainError as refusal:
        print(f"cannot: {refusal}; nothing changed", file=err)
        return EXIT_PROBLEMS
    result = outcome.result
    done = "removed" if args.clear else "set" if result.changed else "unchanged"
    print(
        f"letter of procedure No. {result.number} ({result.title}) {done}: "
        f"{_letter_text(result.letter)}",
        file=out,
    )
    return EXIT_OK


def _letter_edits(args: argparse.Namespace, timezone: str, now: dt.datetime) -> list[LetterEdit]:
    """The changes the options ask for, read as /surat reads them ("-": cleared)."""
    if args.clear:
        return [LetterEdit(None)]
    edits = []
    if args.letter_number is not None:
        edits.append(LetterEdit(LetterPart.NUMBER, read_number(args.letter_number)))
    if args.letter_date is not None:
        today = now.astimezone(ZoneInfo(timezone)).date()
        day = None if means_none(args.letter_date) else read_date(args.letter_date, today=today)
        edits.append(LetterEdit(LetterPart.DATE, day))
    if args.letter_sender is not None:
        sender = None if means_none(args.letter_sender) else read_sender(args.letter_sender)
        edits.append(LetterEdit(LetterPart.SENDER, sender))
    return edits


def _letter_text(letter: Letter | None) -> str:
    """A letter in one line of the command's output (dates as ISO, for scripts)."""
    if letter is None:
        return "no letter"
    date = f" of {letter.date.isoformat()}" if letter.date else ""
    sender = f" from {letter.sender}" if letter.sender else ""
    return shown_on_terminal(f"letter {letter.number}{date}{sender}")


def _candidate(candidate: Candidate) -> str:
    post = (
        f"{candidate.acting.prefix} {candidate.position}"
        if candidate.acting
        else candidate.position
    )
    return f"member {candidate.member_id} {candidate.name} ({post})"


# -- search and export -------------------------------------------------------------------


def _search(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    query = _query(args, err)
    if query is None:
        return EXIT_PROBLEMS
    database, archive = cli_lookup.archive(settings)
    agency = find_agency(database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    found = archive.search_agency(agency.id, query, limit=max(1, args.limit))
    if found.unknown_sop:
        print(
            f"no procedure of {args.agency} ran an SOP whose id or name holds {args.sop!r}",
            file=out,
        )
    if found.unknown_official:
        print(f"no member of {args.agency} has a name holding {args.by!r}", file=out)
    if found.items:
        print(_results_table(found), file=out)
    shown = len(found.items)
    more = f"; showing the first {shown} (--limit to see more)" if shown < found.total else ""
    print(f"{found.total} procedure(s) found in {args.agency}{more}", file=out)
    return EXIT_OK


def _query(args: argparse.Namespace, err: TextIO) -> ArchiveQuery | None:
    """The search the options ask for, or None once a date that cannot be read is named."""
    days: list[dt.date | None] = []
    for option, text in (("--from", args.date_from), ("--to", args.date_to)):
        try:
            days.append(parse_day(text) if text is not None else None)
        except WrittenDateError:
            print(
                f"{option}: cannot read the date {text!r}; write e.g. 1/11/2026 or 2026-11-01",
                file=err,
            )
            return None
    if days[0] is not None and days[1] is not None and days[0] > days[1]:
        print(f"--from {args.date_from} is after --to {args.date_to}", file=err)
        return None
    states: frozenset[InstanceState] = frozenset()
    if args.finished:
        states = frozenset({InstanceState.FINISHED})
    elif args.ended:
        states = ENDED_STATES
    return ArchiveQuery(
        words=tuple(word for word in args.words if word.strip()),
        letter=args.letter,
        sop=args.sop,
        official=args.by,
        date_from=days[0],
        date_to=days[1],
        states=states,
    )


def _results_table(found: ArchivePage) -> str:
    zone = ZoneInfo(found.timezone)

    def when(moment: dt.datetime | None) -> str:
        return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    rows = [
        [
            str(item.number),
            item.title,
            item.letter.number if item.letter else "-",
            item.sop_name,
            item.state.value,
            when(item.started_at),
            when(item.finished_at),
        ]
        for item in found.items
    ]
    columns = [
        Column("No", 3),
        Column("Title", 16, weight=4),
        Column("Letter", 8, weight=2),
        Column("SOP", 12, weight=3),
        Column("State", 9),
        Column(f"Started ({zone_name(found.timezone)})", 16),
        Column("Ended", 16),
    ]
    width = max(80, shutil.get_terminal_size((140, 40)).columns)
    return render_table(columns, rows, width=width)


def _export(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, archive = cli_lookup.archive(settings)
    agency = find_agency(database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    output: Path = args.output
    if not output.parent.is_dir():
        print(f"no folder {output.parent} to write {output.name} in", file=err)
        return EXIT_PROBLEMS
    # Written beside the target and renamed at the end: a failed export leaves no half zip.
    descriptor, name = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".part"
    )
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as target:
            exported = archive.export(
                None,
                target,
                agency_id=agency.id,
                number=args.number,
                language=Language(args.lang),
                limit=None,
            )
    except NotFound:
        partial.unlink(missing_ok=True)
        print(f"no procedure No. {args.number} in {args.agency}", file=err)
        return EXIT_PROBLEMS
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    _report(exported, output, out)
    return EXIT_OK if exported.intact else EXIT_PROBLEMS


def _report(exported: ExportedArchive, output: Path, out: TextIO) -> None:
    record = exported.record
    print(
        f"wrote {output} ({exported.size_bytes} bytes): procedure No. {record.number} "
        f"({record.title}), {exported.documents_in_zip} document(s), the history PDF, "
        "SHA256SUMS and README.txt",
        file=out,
    )
    for document in record.documents:
        if document.check is not DocumentCheck.INTACT:
            print(f"left out: {document.entry} ({document.check.value}: {document.name})", file=out)
        elif not document.audited:
            print(f"not as the audit trail recorded its upload: {document.entry}", file=out)
    chain = record.chain
    if chain.intact:
        print(f"audit chain {chain.chain} intact: {chain.rows} rows", file=out)
    else:
        print(
            f"audit chain {chain.chain} NOT intact: {len(chain.problems)} problem(s) in "
            f"{chain.rows} rows ({chain.procedure_problems} on this procedure's rows); "
            "`sopbot audit verify` lists them",
            file=out,
        )
