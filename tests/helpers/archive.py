"""Procedures for the archive's tests: played to the end with real documents in a real
document store (the upload path of the bot, without Telegram), and their zips read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import select

from sopbot.demo.samples import sample_pdf
from sopbot.engine.definition import OutputKind, SopDefinition
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import NewDocument, ProcedureChanged, ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.file_kinds import FileType
from sopbot.storage.file_types import detect_file_type
from sopbot.storage.models import InstanceRow
from tests.helpers.agencies import (
    Player,
    SeedAgency,
    next_key,
    seed_library,
    staff_agency,
    start_as,
)
from tests.helpers.clock import ManualClock


def stored_upload(store: LocalDocumentStore, name: str, content: bytes) -> NewDocument:
    """An upload checked and kept as the bot keeps one: in the store, under its content key."""
    found = detect_file_type(content)
    assert isinstance(found, FileType), found
    stored = store.put(content, found)
    return NewDocument(
        telegram_file_id=f"file-{stored.sha256[:16]}",
        telegram_file_unique_id=f"uniq-{stored.sha256[:12]}",
        original_name=name,
        mime_type=found.mime,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
    )


def play_storing(
    player: Player,
    store: LocalDocumentStore,
    *,
    clock: ManualClock | None = None,
    limit: int = 200,
) -> list[str]:
    """Play the player's procedures to the end as `Player.play_to_end` does, each document
    step's output a real PDF in `store` (with `clock`, each action 20 minutes after the one
    before); the names the documents were sent under."""
    names: list[str] = []
    definition = player.agency.definition
    for _ in range(limit):
        pending = player.work()
        if not pending:
            return names
        member, item = pending[0]
        if clock is not None:
            clock.advance(minutes=20)
        step = definition.step(item.step_number)
        role = next(key for key, people in player.agency.people.items() if member in people)
        owes, asks = definition.part_of(step, role)
        answer = step.decision.onward.key if step.decision is not None else ""
        branch = step.decision.branch(answer) if asks and step.decision is not None else None
        if owes and step.output_kind_on(branch) is OutputKind.DOCUMENT:
            name = f"Laporan langkah {step.label} putaran {item.round} ({member}).pdf"
            content = sample_pdf(f"Langkah {step.label} putaran {item.round} oleh {member}")
            player.procedures.attach_document(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                document=stored_upload(store, name, content),
            )
            names.append(name)
        if asks:
            player.procedures.decide(
                next_key(), member_id=member, disposition_id=item.disposition_id, answer=answer
            )
        else:
            player.procedures.complete(
                next_key(), member_id=member, disposition_id=item.disposition_id
            )
    raise AssertionError("the procedure did not end")


@dataclass(frozen=True)
class OpenedZip:
    """A zip's files by name, and its SHA256SUMS read as (digest, name) lines."""

    files: dict[str, bytes]
    sums: list[tuple[str, str]]

    def check_sums(self) -> list[str]:
        """What `sha256sum -c SHA256SUMS` would say is wrong (empty: every line OK)."""
        wrong = []
        for digest, name in self.sums:
            content = self.files.get(name)
            if content is None or hashlib.sha256(content).hexdigest() != digest:
                wrong.append(name)
        return wrong

    def documents(self) -> dict[str, bytes]:
        """The files under dokumen/."""
        return {name: data for name, data in self.files.items() if name.startswith("dokumen/")}

    def pdf(self) -> bytes:
        """The history PDF."""
        (name,) = [n for n in self.files if n.startswith("riwayat-") and n.endswith(".pdf")]
        return self.files[name]


def open_zip(content: bytes) -> OpenedZip:
    """Read a zip as an auditor's unzip would, and its SHA256SUMS."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    sums = []
    for line in files["SHA256SUMS"].decode("ascii").splitlines():
        digest, name = line.split("  ", 1)
        sums.append((digest, name))
    return OpenedZip(files, sums)


WITA = ZoneInfo("Asia/Makassar")
LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
PELAPORAN = LIBRARY.definitions["dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja"]
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
OLDER = 12
"""How many old finished-looking procedures the office has besides its named ones."""


def wita(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment of 2026 in Samarinda (WITA), as UTC."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WITA).astimezone(dt.UTC)


@dataclass
class ArchiveOffice:
    """Dinas KUKMP Samarinda with procedures of two SOPs over autumn 2026, and another agency
    (Kesbangpol) whose procedure shares their words and letter number."""

    database: Database
    procedures: ProcedureService
    clock: ManualClock
    agency: SeedAgency
    reporters: dict[str, int]  # Penyusunan Pelaporan Kinerja: role key -> its one holder
    other: SeedAgency
    numbers: dict[str, int]  # a procedure's name in the tests -> its number

    def set_letter(self, number: int, letter: str, *, agency_id: int | None = None) -> None:
        """Give a procedure its letter number, as an admin's edit would store it."""
        with self.database.transaction() as session:
            row = session.exec(
                select(InstanceRow).where(
                    InstanceRow.agency_id == (agency_id or self.agency.agency_id),
                    InstanceRow.number == number,
                )
            ).one()
            row.letter_number = letter
            row.letter_date = dt.date(2026, 10, 30)
            row.letter_sender = "Bappeda Kota Samarinda"
            session.add(row)

    def set_times(
        self, number: int, started: dt.datetime, finished: dt.datetime | None = None
    ) -> None:
        """Move a procedure's start (and end) to the given moments."""
        with self.database.transaction() as session:
            row = session.exec(
                select(InstanceRow).where(
                    InstanceRow.agency_id == self.agency.agency_id, InstanceRow.number == number
                )
            ).one()
            row.started_at = started
            if finished is not None:
                row.finished_at = finished
            session.add(row)


def archive_office(database: Database) -> ArchiveOffice:
    """The office, its procedures as the archive tests name them:

    - "rapat": PENGOLAHAN "Rapat Koordinasi Triwulan III", started 2 Nov, finished 3 Nov,
      letter 005/UND/XI/2026;
    - "persen": PELAPORAN "Laporan Kinerja 100% tercapai", started 5 Nov, running, letter
      B-12/KUKMP_2026;
    - "garis": PENGOLAHAN "Evaluasi data_kinerja", started 10 Nov, cancelled 12 Nov;
    - "strip": PENGOLAHAN "Evaluasi data-kinerja", started 1 Dec, running;
    - OLDER more, "Arsip lama 1".., PELAPORAN, started in October a day apart, running.
    """
    clock = ManualClock(wita(10, 1))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    agency = staff_agency(organization, PENGOLAHAN)
    reporters = {}
    for role in PELAPORAN.roles:
        position = organization.add_position(
            agency_id=agency.agency_id, key=f"lapor_{role.key}", name=f"{role.name} (lapor)"
        )
        organization.map_role(
            agency_id=agency.agency_id,
            role_key=role.key,
            position_id=position,
            sop_id=PELAPORAN.id,
        )
        member = organization.add_member(agency_id=agency.agency_id, name=f"Pelapor {role.name}")
        organization.appoint(None, member_id=member, position_id=position)
        reporters[role.key] = member
    other = staff_agency(organization, KESBANGPOL)
    office = ArchiveOffice(database, procedures, clock, agency, reporters, other, {})

    def start(name: str, definition: SopDefinition, title: str, starter: int) -> ProcedureChanged:
        outcome = procedures.start(
            next_key(),
            agency_id=agency.agency_id,
            sop_id=definition.id,
            title=title,
            starter_id=starter,
        )
        office.numbers[name] = outcome.result.number
        return outcome.result

    for index in range(1, OLDER + 1):
        clock.set(wita(10, 1 + index))
        start(f"lama{index}", PELAPORAN, f"Arsip lama {index}", reporters["kadis"])
    kepala = agency.person("kepala_dinas")
    clock.set(wita(11, 2))
    rapat = start("rapat", PENGOLAHAN, "Rapat Koordinasi Triwulan III", kepala).number
    clock.set(wita(11, 3))
    Player(procedures, agency).play_to_end()
    clock.set(wita(11, 5))
    start("persen", PELAPORAN, "Laporan Kinerja 100% tercapai", reporters["kadis"])
    clock.set(wita(11, 10))
    garis = start("garis", PENGOLAHAN, "Evaluasi data_kinerja", kepala)
    clock.set(wita(11, 12))
    procedures.cancel(
        next_key(), member_id=kepala, instance_id=garis.instance_id, reason="Data ganda"
    )
    clock.set(wita(12, 1))
    start("strip", PENGOLAHAN, "Evaluasi data-kinerja", kepala)
    office.set_letter(rapat, "005/UND/XI/2026")
    office.set_letter(office.numbers["persen"], "B-12/KUKMP_2026")
    # Another agency: the same words and the same letter number, never to be found here.
    clock.set(wita(11, 2))
    start_as(procedures, other, KESBANGPOL, "Rapat Koordinasi Triwulan III 100% data_kinerja")
    office.set_letter(1, "005/UND/XI/2026", agency_id=other.agency_id)
    return office
