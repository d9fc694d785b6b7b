"""The province of the province-day, set up before the clock starts (not measured).

Each agency (an OPD of one province, all in WITA) gets the four seed SOPs as files of its own
folder, the positions those SOPs need (one set shared by the four, as in a real office: the
Kepala serves the SOPs' Kepala Dinas, Kadis and Camat), its ~100 members already joined
(bound to their Telegram accounts, as after onboarding), an admin, and working hours round the
clock (the run happens at any hour of the machine's day; the reminders and escalations must fall
due during it). Everything goes through the services, as an admin's commands would, in this
process: much faster than onboarding 4,000 people through Telegram, which the end-to-end tests
already cover.

The backlog: procedures started through the services with a clock set in the past, so that
their open step's due time (the reminder) or twice its standard (the escalation) falls inside
the run. Their titles carry `NEGLECTED`, and the simulated officials never act on them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.staffing import next_key
from sopbot.engine.library import load_library
from sopbot.engine.national_holidays import national_days_off
from sopbot.messaging.notices import Notifier
from sopbot.services.calendar_admin import CalendarAdmin
from sopbot.services.live_definitions import LiveDefinitions
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.notice_writer import NoticeWriter

REPO = Path(__file__).resolve().parents[1]
ZONE = "Asia/Makassar"  # WITA: a province of Kalimantan Timur, where two seeds come from
NEGLECTED = "Tunggakan"  # the backlog's titles: officials never act on these
# The seed SOPs by file name, and the folder each is copied from.
SEEDS = {
    "pengolahan-data-kinerja": "dinas-kukmp-samarinda",
    "penyusunan-pelaporan-kinerja": "dinas-kukmp-samarinda",
    "pengumpulan-data-kinerja": "kecamatan-samarinda-ilir",
    "pengumpulan-pengolahan-data-kinerja": "kesbangpol-pekalongan",
}
# The positions of one agency: key, name, how many people hold it (a team shares one post).
POSITIONS = (
    ("kepala", "Kepala", 1),
    ("sekretaris", "Sekretaris", 1),
    ("jafung_perencana", "Jafung Perencana", 1),
    ("tim_perencanaan", "Tim Perencanaan Program", 2),
    ("kepala_bidang_1", "Kepala Bidang I", 1),
    ("kepala_bidang_2", "Kepala Bidang II", 1),
    ("kepala_bidang_3", "Kepala Bidang III", 1),
    ("kasubag_keuangan", "Kasubag Keuangan", 1),
    ("staf_jfu", "Staf Jabatan Fungsional Umum", 2),
    ("kassubag_renval", "Kassubag Renval", 1),
    ("petugas_data", "Petugas Pengelola Data Kinerja", 2),
)
HEADS = ("kepala_bidang_1", "kepala_bidang_2", "kepala_bidang_3")
# Each seed's roles and the positions that serve them ("semua" roles: every head of division).
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "pengolahan-data-kinerja": {
        "kepala_dinas": ("kepala",),
        "sekretaris": ("sekretaris",),
        "jafung_perencana": ("jafung_perencana",),
        "tim_perencanaan_program": ("tim_perencanaan",),
        "kepala_bidang": HEADS,
    },
    "penyusunan-pelaporan-kinerja": {
        "kadis": ("kepala",),
        "sekretaris": ("sekretaris",),
        "jafung_perencana": ("jafung_perencana",),
        "tim_kerja_perencanaan_program": ("tim_perencanaan",),
    },
    "pengumpulan-data-kinerja": {
        "camat": ("kepala",),
        "sekretaris": ("sekretaris",),
        "kasubag_keuangan": ("kasubag_keuangan",),
        "staf_jfu": ("staf_jfu",),
    },
    "pengumpulan-pengolahan-data-kinerja": {
        "kepala_dinas": ("kepala",),
        "sekretaris": ("sekretaris",),
        "kepala_bidang": HEADS,
        "kassubag_renval": ("kassubag_renval",),
        "petugas_pengelola_data_kinerja": ("petugas_data",),
    },
}
# The backlog's SOP: the Sekretaris starts it (holding step 1, done at once) and its step 2
# opens for the Kasubag Keuangan with a standard of "2 Jam": started two or four hours in the
# past, its reminder or escalation falls anywhere in a run of minutes.
BACKLOG_SOP = "pengumpulan-data-kinerja"
BACKLOG_STARTER = "sekretaris"
BACKLOG_STANDARD = dt.timedelta(hours=2)
BACKLOG_NOTE = "Mohon segera ditindaklanjuti"


def agency_key(index: int) -> str:
    """The folder (and agency key) of the index-th agency."""
    return f"opd-{index + 1:02d}"


def write_sop_folder(folder: Path, agencies: int) -> None:
    """An agency folder per agency: its agency file (WITA) and a copy of each seed SOP."""
    for index in range(agencies):
        target = folder / agency_key(index)
        target.mkdir(parents=True)
        (target / "instansi.yaml").write_text(
            f"nama: Organisasi Perangkat Daerah {index + 1:02d}\nzona_waktu: WITA\n",
            encoding="utf-8",
        )
        for stem, origin in SEEDS.items():
            shutil.copyfile(REPO / "sop_defs" / origin / f"{stem}.yaml", target / f"{stem}.yaml")


@dataclass
class Agency:
    """One agency as set up: its id and key, its admin, who holds which position (member id,
    Telegram id), and its SOPs' ids."""

    id: int
    key: str
    admin: int
    holders: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    sops: dict[str, str] = field(default_factory=dict)  # seed file name -> SOP id

    def telegram_of(self, position: str, index: int = 0) -> int:
        """The Telegram id of a position's index-th holder."""
        return self.holders[position][index][1]


@dataclass(frozen=True, slots=True)
class Backlog:
    """A neglected procedure: when its step opened, and its reminder and escalation times."""

    agency: str
    title: str
    opened_at: dt.datetime
    reminder_at: dt.datetime
    escalation_at: dt.datetime


def open_catalog(database: Database, folder: Path) -> LiveDefinitions:
    """The SOP folder synced into the installed catalog, as `sopbot run` does at start-up."""
    return sync_at_start_up(database, load_library(folder))


def set_up_agencies(
    database: Database,
    definitions: LiveDefinitions,
    telegram_ids: list[int],
    agencies: int,
    members: int,
) -> list[Agency]:
    """Every agency with its positions, mappings, members (joined) and round-the-clock hours.

    The holdings start two days ago, so the backlog's procedures (started in the past) find
    their officials in post."""
    procedures = ProcedureService(database, definitions)
    organization = OrganizationService(procedures)
    calendar = CalendarAdmin(procedures)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    result = []
    for index in range(agencies):
        ids = telegram_ids[index * members : (index + 1) * members]
        result.append(_set_up_agency(organization, calendar, index, ids, since))
    return result


def _set_up_agency(
    organization: OrganizationService,
    calendar: CalendarAdmin,
    index: int,
    telegram_ids: list[int],
    since: dt.datetime,
) -> Agency:
    key = agency_key(index)
    agency_id = organization.create_agency(
        key=key, name=f"Organisasi Perangkat Daerah {index + 1:02d}", timezone=ZONE
    )
    _round_the_clock(calendar, agency_id)
    people = iter(telegram_ids)
    admin = organization.add_member(
        agency_id=agency_id, name="Admin Kepegawaian", telegram_user_id=next(people), is_admin=True
    )
    agency = Agency(agency_id, key, admin)
    positions: dict[str, int] = {}
    for position_key, name, holders in POSITIONS:
        position = organization.add_position(agency_id=agency_id, key=position_key, name=name)
        positions[position_key] = position
        for number in range(holders):
            telegram_id = next(people)
            member = organization.add_member(
                agency_id=agency_id,
                name=f"{name} {number + 1}" if holders > 1 else name,
                telegram_user_id=telegram_id,
            )
            organization.appoint(None, member_id=member, position_id=position, since=since)
            agency.holders.setdefault(position_key, []).append((member, telegram_id))
    for stem, roles in ROLES.items():
        sop_id = f"{key}/{stem}"
        agency.sops[stem] = sop_id
        for role_key, served_by in roles.items():
            for position_key in served_by:
                organization.map_role(
                    agency_id=agency_id,
                    role_key=role_key,
                    position_id=positions[position_key],
                    sop_id=sop_id,
                )
    # The rest of the office: staff who joined and hold no post these SOPs use.
    for number, telegram_id in enumerate(people, start=1):
        organization.add_member(
            agency_id=agency_id, name=f"Pegawai {number:03d}", telegram_user_id=telegram_id
        )
    return agency


def _round_the_clock(calendar: CalendarAdmin, agency_id: int) -> None:
    """Every hour of every day a working hour, national holidays of this year and the next
    worked: reminders fall due whenever the benchmark runs."""
    calendar.set_hours(agency_id, list(range(7)), [(dt.time(0, 0), dt.time.max)])
    today = dt.datetime.now(dt.UTC).date()
    for day in national_days_off(range(today.year, today.year + 2)):
        if today - dt.timedelta(days=3) <= day <= today + dt.timedelta(days=3):
            calendar.set_day(agency_id, day, "working", "benchmark: bekerja")


class _SetClock:
    """A clock a test sets: the services of the backlog start procedures in the past."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def start_backlog(
    database: Database,
    definitions: LiveDefinitions,
    agencies: list[Agency],
    due_moments: list[tuple[dt.datetime, str]],
) -> list[Backlog]:
    """One neglected procedure per (moment, kind): started in the past so that its reminder
    (`kind` "reminder") or its escalation ("escalation") falls due at the moment. The agencies
    take them in turn; their messages are queued as the start's would have been."""
    clock = _SetClock()
    procedures = ProcedureService(
        database, definitions, clock=clock, observer=NoticeWriter(Notifier())
    )
    backlog = []
    for number, (moment, kind) in enumerate(due_moments, start=1):
        agency = agencies[number % len(agencies)]
        factor = 1 if kind == "reminder" else 2
        opened = moment - factor * BACKLOG_STANDARD
        clock.now = opened
        title = f"{NEGLECTED} {agency.key} #{number}"
        procedures.start(
            next_key(),
            agency_id=agency.id,
            sop_id=agency.sops[BACKLOG_SOP],
            title=title,
            starter_id=agency.holders[BACKLOG_STARTER][0][0],
            note=BACKLOG_NOTE,
        )
        backlog.append(
            Backlog(
                agency.key,
                title,
                opened,
                opened + BACKLOG_STANDARD,
                opened + 2 * BACKLOG_STANDARD,
            )
        )
    return backlog
