"""/status's pictures from a real run: a seed SOP played on a clock the test moves, with a step
done late, a "tidak" that sends the work back a round, and a step still open and late."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from PIL import Image

from sopbot.demo.staffing import Player, SeedAgency
from sopbot.documents.status_charts import MAX_HEIGHT_PX, most_late_first
from sopbot.engine.instance import StepRunState
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.status_pictures import (
    running_of,
    running_picture,
    timeline_of,
    timeline_picture,
)
from sopbot.services.views import Views
from sopbot.storage.database import Database
from tests.helpers.agencies import seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock

LIBRARY = seed_library()
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
WIB = ZoneInfo("Asia/Jakarta")


def wib(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in July 2026 in Pekalongan (6 July is a Monday)."""
    return dt.datetime(2026, 7, day, hour, minute, tzinfo=WIB)


# When each step of procedure No. 1 is done: (step, round) -> the moment, in order.
PLAYED = (
    ((2, 1), wib(6, 8, 12)),  # 5 menit: done in 12, 7 minutes late
    ((3, 1), wib(6, 8, 52)),  # 1 jam: 40 minutes
    ((4, 1), wib(6, 14, 0)),  # 1 hari
    ((5, 1), wib(6, 15, 0)),  # "tidak": back to step 4, round 2
    ((4, 2), wib(8, 11, 0)),  # 1 hari: done in 12 working hours, 4.5 late
    ((5, 2), wib(8, 11, 30)),
    ((6, 1), wib(8, 11, 33)),
)
NOW = wib(8, 15, 0)  # step 7 (30 menit) open since 11.33: 2 working hours 27 minutes


def played(database: Database) -> tuple[Views, SeedAgency]:
    """The agency with procedure No. 1 played as `PLAYED` says, and two more started later."""
    clock = ManualClock(wib(6, 8, 0).astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), KESBANGPOL)
    start_as(procedures, agency, KESBANGPOL, "Pengolahan Data Kinerja Triwulan III 2026")
    player = Player(procedures, agency, answers={(5, 1): ("tidak", "Format belum memuat target")})
    for (step, round_), moment in PLAYED:
        clock.set(moment)
        acted = False
        # Everyone the step waits for acts (one of a team, each Kepala Bidang).
        while work := [
            (member, item)
            for member, item in player.work()
            if (item.step_number, item.round) == (step, round_)
        ]:
            player.act(*work[0])
            acted = True
        assert acted, f"step {step} round {round_} was not open"
    clock.set(wib(7, 9, 0))
    start_as(procedures, agency, KESBANGPOL, "Data Kinerja Bidang Politik Dalam Negeri")
    clock.set(wib(8, 14, 45))
    start_as(procedures, agency, KESBANGPOL, "Data Kinerja Semester I")
    clock.set(NOW)
    return Views(procedures, clock=clock), agency


def png_size(content: bytes) -> tuple[int, int]:
    """The picture's size, decoded by Pillow (a PNG that does not decode fails here)."""
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def within_telegram_photo_limits(size: tuple[int, int]) -> bool:
    width, height = size
    return width + height <= 10_000 and max(width, height) <= 20 * min(width, height)


def test_the_timeline_shows_each_run_late_rounds_and_the_open_step(database: Database) -> None:
    views, agency = played(database)
    (status,) = views.status(agency.agency_id, 1)

    timeline = timeline_of(status)
    runs = [(r.step_label, r.round, r.state, r.late) for r in timeline.runs]
    assert runs == [
        ("1", 1, StepRunState.COMPLETED, False),
        ("2", 1, StepRunState.COMPLETED, True),
        ("3", 1, StepRunState.COMPLETED, False),
        ("4", 1, StepRunState.COMPLETED, False),
        ("5", 1, StepRunState.COMPLETED, False),
        ("4", 2, StepRunState.COMPLETED, True),
        ("5", 2, StepRunState.COMPLETED, False),
        ("6", 1, StepRunState.COMPLETED, False),
        ("7", 1, StepRunState.OPEN, True),
    ]
    by_run = {(r.step_label, r.round): r for r in timeline.runs}
    # Working time, as the standard is: 08.00 to 08.12 against 5 menit.
    assert by_run["2", 1].spent_seconds == 12 * 60
    assert by_run["2", 1].allowed_seconds == 5 * 60
    assert by_run["2", 1].late_seconds == 7 * 60
    # Round 2 of step 4: Monday 15.00 to Wednesday 11.00 is 12 working hours, 1 hari is 7.5.
    assert by_run["4", 2].spent_seconds == 12 * 3600
    assert by_run["4", 2].allowed_seconds == 7.5 * 3600
    assert by_run["4", 2].late_seconds == 4.5 * 3600
    # The open step counts to now, past its 30 menit.
    assert by_run["7", 1].spent_seconds == (2 * 60 + 27) * 60
    assert by_run["7", 1].executors == ("Kepala Bidang",)
    assert timeline.working_day_seconds == 7.5 * 3600

    for language in Language:
        picture = timeline_picture(status, language, default_catalog())
        size = png_size(picture)
        assert size[0] == 1080
        assert size[1] <= MAX_HEIGHT_PX
        assert within_telegram_photo_limits(size)


def test_the_agency_chart_puts_the_latest_first(database: Database) -> None:
    views, agency = played(database)
    statuses = views.status(agency.agency_id)

    running = running_of("Badan Kesatuan Bangsa dan Politik", statuses)
    summary = [(p.number, p.current_step, p.late) for p in running.procedures]
    assert summary == [(1, "7", True), (2, "2", True), (3, "2", True)]
    first = running.procedures[0]
    # Running since Monday 08.00: the rest of Monday, Tuesday, and Wednesday to 15.00.
    assert first.running_seconds == (7 + 7.5 + 6.5) * 3600
    assert first.late_seconds == (2 * 60 + 27 - 30) * 60
    # No. 3's step 2 (5 menit) opened at 14.45: 10 minutes late now.
    assert running.procedures[2].late_seconds == 10 * 60
    # The chart's order: No. 2's step 2 has waited since Tuesday 09.05, the longest.
    assert [p.number for p in most_late_first(running.procedures)] == [2, 1, 3]
    picture = running_picture(
        "Badan Kesatuan Bangsa dan Politik", statuses, Language.ID, default_catalog()
    )
    assert within_telegram_photo_limits(png_size(picture))
