"""Monitoring reports over a year: an agency with 50 SOPs and 5,000 procedures.

A year (2025) of an agency in Samarinda (WITA) is written in bulk into a real database: 50 SOPs
of 12 steps (standards from 5 minutes to 1 day; step 10 a check whose "tidak" sends the work
back to step 8), 5,000 procedures started at working moments over the year (some SOPs far busier
than others), each step's real time drawn around its standard (about a quarter late; one step of
each SOP usually late), one check in seven answered "tidak" (a second round), a few procedures
cancelled, a few steps handed over or moved by an admin, a document on three steps of each, four
procedures in five about a letter (its number, date and mostly its sender), and the procedures
of the last days still running. The data are drawn from a seeded generator: the
same every run.

Then, with caches cold (a new ProcedureService each run, so the definitions are parsed again),
the figures are computed as /laporan and `sopbot report` will ask for them:

  * `compliance`: the agency's Mutu Baku compliance over the year (every SOP, position, month);
  * `monitoring_form` and `evaluation` (with the year before) of the busiest SOP.

Each is timed as its own figure (the data part). The files rendered from them are timed after,
each as its own figure, by the functions in `RENDERERS` (what /laporan sends for each report);
`..._total_s` is data and files together. Goal (issue 21): the three reports over a year in
under 10 s.

    python -m bench.monitoring_reports [--procedures 5000] [--sops 50] [--runs 5]
                                       [--postgres-url URL]

`--postgres-url ''` leaves PostgreSQL out; an unreachable server is reported as skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.figures import spread
from bench.transitions import fresh_schema
from sopbot.documents.compliance_files import compliance_files
from sopbot.documents.monitoring_pdf import evaluation_form_pdf, monitoring_form_pdf
from sopbot.documents.monitoring_xlsx import evaluation_form_xlsx, monitoring_form_xlsx
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import SopLibrary, load_library
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import WorkingCalendar, calendar_for
from sopbot.services.monitoring import MonitoringService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import (
    AgencyRow,
    DispositionRow,
    DocumentRow,
    InstanceRow,
    MemberRow,
    PositionRow,
    SopVersionRow,
    StepRunRow,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AGENCY = "dinas-laporan"
ZONE = "Asia/Makassar"
YEAR = 2025
FIRST_DAY, LAST_DAY = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
# The reports are asked for on the first working Monday after the year: its last procedures
# are still running then.
NOW = dt.datetime(YEAR + 1, 1, 5, 9, 0, tzinfo=dt.UTC)
SEED = 21
STEPS = 12
CHECK_STEP, REWORK_STEP = 10, 8
DOCUMENT_STEPS = frozenset({3, 7, 11})
STANDARDS = ("5 Menit", "15 Menit", "30 Menit", "1 Jam", "2 Jam", "1 Hari")
ROLES = (
    ("kepala_dinas", "Kepala Dinas"),
    ("sekretaris", "Sekretaris"),
    ("kepala_bidang", "Kepala Bidang"),
    ("staf", "Staf Pelaksana"),
)
GOAL_SECONDS = 10.0
LETTER_SENDERS = (None, "Kementerian Dalam Negeri", "Sekretariat Daerah", "Inspektorat Daerah")

Renderer = Callable[[Any], object]  # a file's bytes, or the charts (titles and PNGs)
RENDERERS: tuple[tuple[str, str, Renderer], ...] = (
    # The PDF, the workbook and the photos, the charts drawn once for the three.
    ("compliance_files", "compliance", compliance_files),
    ("monitoring_form_pdf", "monitoring_form", monitoring_form_pdf),
    ("monitoring_form_xlsx", "monitoring_form", monitoring_form_xlsx),
    ("evaluation_pdf", "evaluation", evaluation_form_pdf),
    ("evaluation_xlsx", "evaluation", evaluation_form_xlsx),
)
"""The files timed after the data: (figure name, the report it renders: "compliance",
"monitoring_form" or "evaluation", the function from that report to what /laporan sends).
Each becomes the figure `<name>_s`."""


# -- the agency's SOPs -----------------------------------------------------------------------


def sop_text(index: int, rng: random.Random) -> str:
    """The YAML of SOP `index`: 12 steps, the roles in turn, step 10 a check."""
    lines = [
        "sop:",
        "  instansi: Dinas Laporan Kota Samarinda",
        "  unit: Sekretariat",
        f"  nomor: 800/{index:02d}/LAP",
        f"  nama: SOP Uji Laporan {index:02d}",
        "  tanggal_pembuatan: 2 Januari 2025",
        "  tanggal_efektif: 2 Januari 2025",
        "  disahkan_oleh:",
        "    jabatan: Kepala Dinas",
        "    nama: Uji",
        "pelaksana:",
        *(f"  - id: {key}\n    nama: {name}" for key, name in ROLES),
        "langkah:",
    ]
    for number in range(1, STEPS + 1):
        role = ROLES[(number + index) % len(ROLES)][0]
        if number == 1:
            role = "kepala_dinas"
        kind = "dokumen" if number in DOCUMENT_STEPS else "catatan"
        lines += [
            f"  - no: {number}",
            f"    kegiatan: Kegiatan {number} SOP {index:02d}",
            f"    pelaksana: {role}",
            f"    waktu: {rng.choice(STANDARDS)}",
            f"    jenis_output: {kind}",
        ]
        if number == CHECK_STEP:
            lines += [
                "    keputusan:",
                f"      ya: {CHECK_STEP + 1}",
                f"      tidak: {REWORK_STEP}",
            ]
    return "\n".join(lines) + "\n"


def write_library(folder: Path, sops: int, rng: random.Random) -> SopLibrary:
    """The agency's SOP files in `folder`, loaded."""
    agency = folder / AGENCY
    agency.mkdir(parents=True)
    (agency / "instansi.yaml").write_text("zona_waktu: WITA\n", encoding="utf-8")
    for index in range(1, sops + 1):
        (agency / f"sop-{index:02d}.yaml").write_text(sop_text(index, rng), encoding="utf-8")
    library = load_library(folder)
    if library.errors:
        raise SystemExit(f"the benchmark's SOPs do not load: {library.errors[0]}")
    return library


# -- the year's procedures -------------------------------------------------------------------


@dataclass
class Rows:
    """The rows of the year, ready for bulk INSERTs."""

    instances: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    dispositions: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Office:
    """The stored ids the rows refer to."""

    agency_id: int
    admin_id: int
    member_of: dict[str, int]  # role key -> the member holding its post
    position_of: dict[str, int]  # role key -> the post
    version_of: dict[str, int]  # SOP id -> its stored version


class Year:
    """Draws the year's procedures: the same ones for the same seed."""

    def __init__(
        self,
        office: Office,
        definitions: list[SopDefinition],
        calendar: WorkingCalendar,
        rng: random.Random,
    ) -> None:
        self.office = office
        self.definitions = definitions
        self.calendar = calendar
        self.rng = rng
        self.rows = Rows()
        # Some SOPs are far busier than others; each has a step that is usually late.
        self.weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(definitions))]
        self.slow_step = {d.id: 2 + index % (STEPS - 1) for index, d in enumerate(definitions)}

    def new_id(self) -> uuid.UUID:
        """A random UUID from the seeded generator."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def draw(self, procedures: int) -> Rows:
        """`procedures` procedures started at working moments of the year, by start."""
        opening = self.calendar.next_opening(
            dt.datetime.combine(FIRST_DAY, dt.time(), self.calendar.zone).astimezone(dt.UTC)
        )
        year_end = dt.datetime.combine(
            LAST_DAY + dt.timedelta(days=1), dt.time(), self.calendar.zone
        ).astimezone(dt.UTC)
        working = self.calendar.working_seconds_between(opening, year_end)
        starts = sorted(self.rng.uniform(0, working - 60) for _ in range(procedures))
        for number, offset in enumerate(starts, start=1):
            definition = self.rng.choices(self.definitions, self.weights)[0]
            self.procedure(number, definition, self.calendar.add(opening, offset))
        return self.rows

    def procedure(self, number: int, definition: SopDefinition, started: dt.datetime) -> None:
        """One procedure from `started`, step by step until it ends or NOW comes."""
        instance_id = self.new_id()
        cancel_at_step = self.rng.randint(2, STEPS) if self.rng.random() < 0.02 else None
        rounds: dict[int, int] = {}
        state, finished = "running", None
        at, step_number, previous = started, 1, None
        while True:
            step = definition.step(step_number)
            rounds[step_number] = rounds.get(step_number, 0) + 1
            round_number = rounds[step_number]
            standard = step.standard_for_round(round_number)
            due = self.calendar.due(at, standard)
            standard_seconds = self.calendar.working_seconds_between(at, due)
            slow = step_number == self.slow_step[definition.id]
            real = standard_seconds * self.rng.lognormvariate(0.4 if slow else -0.4, 0.6)
            done = self.calendar.add(at, real)
            run_id = self.new_id()
            run = {
                "id": run_id,
                "instance_id": instance_id,
                "step_number": step_number,
                "round": round_number,
                "state": "open",
                "assignment": "salah_satu",
                "opened_at": at,
                "completed_at": None,
                "due_at": due,
                "previous_run_id": previous,
                "answer": None,
            }
            self.rows.runs.append(run)
            role = step.role
            if step_number == cancel_at_step:
                cancelled = self.calendar.add(at, real / 2)
                if cancelled <= NOW:
                    run["state"] = "cancelled"
                    self.disposition(instance_id, run_id, role, at, "cancelled", cancelled)
                    state, finished = "cancelled", cancelled
                    break
            if done > NOW:
                self.disposition(instance_id, run_id, role, at, "pending", None)
                break
            run["state"], run["completed_at"] = "completed", done
            self.disposition(instance_id, run_id, role, at, "done", done)
            if step_number in DOCUMENT_STEPS:
                self.document(instance_id, run_id, role, done)
            if step_number == CHECK_STEP:
                again = round_number == 1 and self.rng.random() < 1 / 7
                run["answer"] = "tidak" if again else "ya"
                step_number = REWORK_STEP if again else CHECK_STEP + 1
            elif step_number == STEPS:
                state, finished = "finished", done
                break
            else:
                step_number += 1
            at, previous = done, run_id
        self.rows.instances.append(
            {
                "id": instance_id,
                "agency_id": self.office.agency_id,
                "number": number,
                "sop_version_id": self.office.version_of[definition.id],
                "sop_id": definition.id,
                "title": f"Laporan {number}",
                **self.letter(number, started),
                "state": state,
                "started_by_id": self.office.admin_id,
                "started_at": started,
                "finished_at": finished,
                "version": 1,
            }
        )

    def letter(self, number: int, started: dt.datetime) -> dict[str, Any]:
        """The letter columns of procedure `number`: four in five have a letter, dated a day
        or two before it started, most with a sender (no draw: the same procedures as
        without)."""
        if number % 5 == 0:
            return {"letter_number": None, "letter_date": None, "letter_sender": None}
        return {
            "letter_number": f"{number:04d}/{number % 97:02d}/DL/{YEAR}",
            "letter_date": self.calendar.local_date(started) - dt.timedelta(days=1 + number % 2),
            "letter_sender": LETTER_SENDERS[number % 4],
        }

    def disposition(
        self,
        instance_id: uuid.UUID,
        run_id: uuid.UUID,
        role: str,
        at: dt.datetime,
        state: str,
        acted: dt.datetime | None,
    ) -> None:
        """The run's disposition to the role's post; one in fifty first handed on (by its
        holder, or by the admin) with the same post."""
        member, position = self.office.member_of[role], self.office.position_of[role]
        handed_from, sender, manual = None, None, False
        if acted is not None and self.rng.random() < 0.02:
            first = self.new_id()
            self.rows.dispositions.append(
                self._disposition(first, instance_id, run_id, member, position, at, "handed_over")
                | {"acted_at": at + (acted - at) / 4}
            )
            handed_from, manual = first, True
            sender = member if self.rng.random() < 0.5 else self.office.admin_id
            member = self.office.member_of["staf"] if role != "staf" else self.office.admin_id
            at = at + (acted - at) / 4
        self.rows.dispositions.append(
            self._disposition(self.new_id(), instance_id, run_id, member, position, at, state)
            | {
                "acted_at": acted,
                "manual": manual,
                "handed_from_id": handed_from,
                "sender_id": sender,
            }
        )

    @staticmethod
    def _disposition(
        disposition_id: uuid.UUID,
        instance_id: uuid.UUID,
        run_id: uuid.UUID,
        member: int,
        position: int,
        at: dt.datetime,
        state: str,
    ) -> dict[str, Any]:
        return {
            "id": disposition_id,
            "instance_id": instance_id,
            "step_run_id": run_id,
            "assignee_id": member,
            "position_id": position,
            "state": state,
            "created_at": at,
            "manual": False,
            "handed_from_id": None,
            "sender_id": None,
            "acted_at": None,
        }

    def document(
        self, instance_id: uuid.UUID, run_id: uuid.UUID, role: str, at: dt.datetime
    ) -> None:
        """The file a step's holder uploaded."""
        digest = hashlib.sha256(run_id.bytes).hexdigest()
        self.rows.documents.append(
            {
                "id": self.new_id(),
                "instance_id": instance_id,
                "step_run_id": run_id,
                "disposition_id": None,
                "telegram_file_id": f"file-{digest[:16]}",
                "telegram_file_unique_id": f"uniq-{digest[:12]}",
                "original_name": "laporan.pdf",
                "mime_type": "application/pdf",
                "size_bytes": 1000,
                "sha256": digest,
                "storage_key": f"{digest[:2]}/{digest}",
                "uploaded_by_id": self.office.member_of[role],
                "uploaded_at": at,
            }
        )


def build(database: Database, library: SopLibrary, procedures: int) -> dict[str, int]:
    """Write the agency, its posts, its SOP versions and the year's procedures; their counts."""
    rng = random.Random(SEED)
    definitions = library.for_agency(AGENCY)
    created = dt.datetime(YEAR - 1, 12, 1, tzinfo=dt.UTC)
    with database.transaction() as session:
        agency = AgencyRow(
            key=AGENCY, name="Dinas Laporan Kota Samarinda", timezone=ZONE, created_at=created
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        admin = MemberRow(agency_id=agency.id, name="Admin", is_admin=True, created_at=created)
        session.add(admin)
        members, positions = {}, {}
        for key, name in ROLES:
            members[key] = MemberRow(
                agency_id=agency.id, name=f"Pejabat {name}", created_at=created
            )
            positions[key] = PositionRow(agency_id=agency.id, key=key, name=name)
            session.add(members[key])
            session.add(positions[key])
        versions = {
            d.id: SopVersionRow(
                sop_id=d.id,
                version=d.version,
                digest=d.digest,
                source=d.source_text,
                loaded_at=created,
            )
            for d in definitions
        }
        session.add_all(versions.values())
        session.flush()
        office = Office(
            agency.id,
            _id(admin.id),
            {key: _id(row.id) for key, row in members.items()},
            {key: _id(row.id) for key, row in positions.items()},
            {sop_id: _id(row.id) for sop_id, row in versions.items()},
        )
    calendar = calendar_for(ZONE, national=national_days_off(range(YEAR - 1, YEAR + 2)))
    rows = Year(office, definitions, calendar, rng).draw(procedures)
    with database.engine.begin() as connection:
        for model, table_rows in (
            (InstanceRow, rows.instances),
            (StepRunRow, rows.runs),
            (DispositionRow, rows.dispositions),
            (DocumentRow, rows.documents),
        ):
            for start in range(0, len(table_rows), 5_000):
                connection.execute(insert(model), table_rows[start : start + 5_000])
    return {
        "agency_id": office.agency_id,
        "procedures": len(rows.instances),
        "step_runs": len(rows.runs),
        "dispositions": len(rows.dispositions),
        "documents": len(rows.documents),
        "rounds_2": sum(1 for run in rows.runs if run["round"] > 1),
    }


def _id(value: int | None) -> int:
    assert value is not None
    return value


# -- the timed reports -------------------------------------------------------------------------


def busiest_sop(library: SopLibrary) -> str:
    """The SOP the weights make busiest: the first."""
    return library.for_agency(AGENCY)[0].id


def measure(database: Database, library: SopLibrary, agency_id: int) -> dict[str, float]:
    """One run of the three reports, with cold caches; seconds per figure."""
    procedures = ProcedureService(database, library, clock=lambda: NOW)
    service = MonitoringService(procedures, clock=lambda: NOW)
    sop_id = busiest_sop(library)
    figures: dict[str, float] = {}
    reports: dict[str, Any] = {}
    for name, ask in (
        ("compliance", lambda: service.compliance(agency_id, FIRST_DAY, LAST_DAY)),
        (
            "monitoring_form",
            lambda: service.monitoring_form(agency_id, sop_id, FIRST_DAY, LAST_DAY),
        ),
        ("evaluation", lambda: service.evaluation(agency_id, sop_id, FIRST_DAY, LAST_DAY)),
    ):
        started = time.perf_counter()
        reports[name] = ask()
        figures[f"{name}_s"] = time.perf_counter() - started
        figures[f"{name}_total_s"] = figures[f"{name}_s"]
    for name, report, render in RENDERERS:
        started = time.perf_counter()
        render(reports[report])
        figures[f"{name}_s"] = time.perf_counter() - started
        figures[f"{report}_total_s"] += figures[f"{name}_s"]
    figures["reports_total_s"] = sum(figures[f"{r}_total_s"] for r in reports)
    compliance = reports["compliance"]
    figures["measured_runs"] = compliance.time.measured
    figures["procedures_started"] = compliance.procedures.started
    return figures


def summarise(
    runs: list[dict[str, float]], built: dict[str, int], build_s: float
) -> dict[str, Any]:
    """One database's figures over the runs."""
    timed = [key for key in runs[0] if key.endswith("_s")]
    return {
        "build_s": build_s,
        **{key: spread([run[key] for run in runs]) for key in timed},
        "procedures_in_report": int(runs[0]["procedures_started"]),
        "measured_runs": int(runs[0]["measured_runs"]),
        "step_runs": built["step_runs"],
        "dispositions": built["dispositions"],
        "documents": built["documents"],
        "rework_runs": built["rounds_2"],
    }


def run_on(database: Database, library: SopLibrary, procedures: int, runs: int) -> dict[str, Any]:
    """Build the year in `database`, then time the reports `runs` times."""
    upgrade(database)
    started = time.perf_counter()
    built = build(database, library, procedures)
    build_s = time.perf_counter() - started
    results = [measure(database, library, built["agency_id"]) for _ in range(runs)]
    return summarise(results, built, build_s)


def postgres_summary(library: SopLibrary, url: str, procedures: int, runs: int) -> dict[str, Any]:
    """The PostgreSQL figures, or why there are none."""
    if not url:
        return {"skipped": "no --postgres-url given"}
    base = make_url(url)
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except (psycopg.Error, OSError) as exc:
        return {"skipped": f"server unreachable: {type(exc).__name__}: {exc}".strip()}
    with fresh_schema(base) as schema_url:
        database = Database(schema_url.render_as_string(hide_password=False))
        try:
            summary = run_on(database, library, procedures, runs)
        finally:
            database.dispose()
    return {"server_version": str(row[0]) if row else "?", **summary}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procedures", type=int, default=5_000)
    parser.add_argument("--sops", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sopbot-bench-") as scratch:
        library = write_library(Path(scratch) / "sop_defs", args.sops, random.Random(SEED))
        database = Database(f"sqlite:///{Path(scratch) / 'sopbot.db'}")
        try:
            sqlite_figures = run_on(database, library, args.procedures, args.runs)
        finally:
            database.dispose()
        postgres_figures = postgres_summary(library, args.postgres_url, args.procedures, args.runs)
    summary: dict[str, Any] = {
        "procedures": args.procedures,
        "sops": args.sops,
        "steps_per_sop": STEPS,
        "period": f"{FIRST_DAY} to {LAST_DAY}",
        "renderers": ", ".join(name for name, _, _ in RENDERERS) or "none yet",
        "sqlite": sqlite_figures,
        "postgresql": postgres_figures,
    }
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
