"""Agencies for an SOP, staffed through the real services, and a player that drives procedures
by acting for whoever has work, as officials would (for tests and benchmarks, no Telegram)."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass, field

from sopbot.engine.agency_file import AGENCY_FILE
from sopbot.engine.definition import Assignment, OutputKind, SopDefinition
from sopbot.engine.library import DefinitionSource
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import InboxItem, NewDocument, ProcedureService

# How many people hold a role held by several: three Kepala Bidang, teams of two.
SEVERAL = 3


def linear_sop(steps: int, name: str) -> str:
    """The YAML of a linear SOP whose steps alternate between two officials (roles a and b),
    for load and fault runs that need many plain transitions."""
    body = "".join(
        f"  - no: {n}\n    kegiatan: Langkah uji {n}\n    pelaksana: {'a' if n % 2 else 'b'}\n"
        f"    waktu: 1 Hari\n    jenis_output: catatan\n"
        for n in range(1, steps + 1)
    )
    return (
        f"sop:\n  instansi: Dinas Uji\n  nomor: 000.1/9\n  nama: {name}\n"
        "  tanggal_pembuatan: 4 Mei 2026\n  tanggal_efektif: 4 Mei 2026\n"
        "  disahkan_oleh:\n    jabatan: Kepala Dinas\n    nama: Uji\n"
        "pelaksana:\n  - id: a\n    nama: Pejabat A\n  - id: b\n    nama: Pejabat B\n"
        f"langkah:\n{body}"
    )


def agency_timezone(library: DefinitionSource, agency_key: str) -> str:
    """The agency's zone as its agency file states it; LookupError, saying which file to
    write, when it states none (a demo or a test never plays on a guessed zone)."""
    zone = library.zone_of(agency_key)
    if zone is None:
        raise LookupError(
            f"the agency '{agency_key}' has no time zone: its folder needs {AGENCY_FILE} with "
            "e.g. 'zona_waktu: WITA' (see `sopbot sop validate`)"
        )
    return zone


@dataclass
class SeedAgency:
    """An agency staffed for one SOP: its admin, and the people and positions of each role."""

    agency_id: int
    admin_id: int
    definition: SopDefinition
    people: dict[str, list[int]] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=dict)

    def person(self, role_key: str, index: int = 0) -> int:
        """The index-th holder of a role."""
        return self.people[role_key][index]


def staff_agency(organization: OrganizationService, definition: SopDefinition) -> SeedAgency:
    """Create the agency of a seed SOP with one person per role (several for shared roles).

    A role every holder must act on (Kepala Bidang) gets one position per person; a team role
    gets one position held by several people.
    """
    agency_id = organization.create_agency(
        key=definition.agency_key,
        name=definition.identity.agency or definition.agency_key,  # instansi not stated
        timezone=agency_timezone(organization.procedures.library, definition.agency_key),
    )
    admin = organization.add_member(agency_id=agency_id, name="Admin Agency", is_admin=True)
    agency = SeedAgency(agency_id, admin, definition)
    for role in (r for r in definition.roles if not r.external):  # outside parties hold no post
        several = role.assignment is Assignment.EVERY_HOLDER or role.key.startswith(
            ("tim_", "staf", "petugas")
        )
        count = SEVERAL if role.assignment is Assignment.EVERY_HOLDER else (2 if several else 1)
        shared_position = None
        for index in range(count):
            if role.assignment is Assignment.EVERY_HOLDER or shared_position is None:
                position = organization.add_position(
                    agency_id=agency_id,
                    key=f"{role.key}_{index + 1}",
                    name=f"{role.name} {index + 1}",
                )
                organization.map_role(
                    agency_id=agency_id,
                    role_key=role.key,
                    position_id=position,
                    sop_id=definition.id,
                )
                agency.positions.setdefault(role.key, []).append(position)
                shared_position = position
            member = organization.add_member(
                agency_id=agency_id,
                name=f"{role.name} #{index + 1}",
                nip=f"19800101200501{len(agency.people):04d}"[:18],
            )
            organization.appoint(None, member_id=member, position_id=shared_position)
            agency.people.setdefault(role.key, []).append(member)
    return agency


_keys = itertools.count(1)


def next_key() -> str:
    """A fresh idempotency key, as a Telegram update id would be."""
    return f"update-{next(_keys)}-{uuid.uuid4().hex[:6]}"


def fake_upload(name: str) -> NewDocument:
    """The record of an uploaded file (the content check and store come with the bot)."""
    content = name.encode()
    digest = hashlib.sha256(content).hexdigest()
    return NewDocument(
        telegram_file_id=f"file-{digest[:16]}",
        telegram_file_unique_id=f"uniq-{digest[:12]}",
        original_name=name,
        mime_type="application/pdf",
        size_bytes=len(content),
        sha256=digest,
        storage_key=f"{digest[:2]}/{digest}",
    )


@dataclass
class Player:
    """Drives a procedure by acting for whoever has work, as officials would."""

    procedures: ProcedureService
    agency: SeedAgency
    # (step, round) -> (answer key, reason) for questions; the first answer that goes on when
    # not listed.
    answers: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)
    acted: list[tuple[int, int, int]] = field(default_factory=list)  # (step, round, member)

    def everyone(self) -> list[int]:
        """Every member of the agency who holds a role."""
        return [m for members in self.agency.people.values() for m in members]

    def work(self, members: list[int] | None = None) -> list[tuple[int, InboxItem]]:
        """The live dispositions of the given members (default: everyone)."""
        return [
            (member, item)
            for member in (members or self.everyone())
            for item in self.procedures.inbox(member)
        ]

    def act(self, member: int, item: InboxItem) -> None:
        """Do one disposition: upload when the step needs a document, then complete/decide."""
        definition = self.agency.definition
        step = definition.step(item.step_number)
        role = next(key for key, people in self.agency.people.items() if member in people)
        owes, asks = definition.part_of(step, role)
        answer, reason = self.answers.get(
            (item.step_number, item.round),
            (step.decision.onward.key if step.decision is not None else "", None),
        )
        branch = step.decision.branch(answer) if asks and step.decision is not None else None
        if owes and step.output_kind_on(branch) is OutputKind.DOCUMENT:
            self.procedures.attach_document(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                document=fake_upload(f"langkah-{step.label}-{member}.pdf"),
            )
        if asks:
            self.procedures.decide(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                answer=answer,
                reason=reason,
            )
        else:
            self.procedures.complete(
                next_key(),
                member_id=member,
                disposition_id=item.disposition_id,
                note=f"Langkah {step.number} selesai",
            )
        self.acted.append((item.step_number, item.round, member))

    def play_to_end(self, *, limit: int = 200) -> None:
        """Act on whatever is open until nothing is left (or the limit is reached)."""
        for _ in range(limit):
            pending = self.work()
            if not pending:
                return
            member, item = pending[0]
            self.act(member, item)
        raise AssertionError("the procedure did not end")
