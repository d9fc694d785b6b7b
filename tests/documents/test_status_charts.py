"""/status's pictures: PNGs within Telegram's photo limits, the same bytes for the same
procedure, words in the reader's language, and nothing written over anything else."""

from __future__ import annotations

import io
import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from sopbot.documents.status_charts import (
    MAX_HEIGHT_PX,
    ProcedureTimeline,
    RunningProcedure,
    RunningProcedures,
    TimelineRun,
    draw_running,
    draw_timeline,
    running_figure,
    timeline_figure,
)
from sopbot.engine.durations import parse_standard_time
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.messaging.catalog import Language

DAY = 7.5 * 3600
LONG_ACTIVITY = (
    "Kepala Sub Bagian Perencanaan, Evaluasi dan Pelaporan memverifikasi kelengkapan dan "
    "kebenaran data capaian kinerja triwulan dari seluruh bidang beserta bukti dukungnya "
    "sebelum diteruskan kepada Sekretaris untuk diparaf ($ dan % tetap tanda biasa)"
)


def run(
    label: str,
    round_: int = 1,
    state: StepRunState = StepRunState.COMPLETED,
    spent: float = 240.0,
    standard: str = "5 menit",
    allowed: float | None = 300.0,
    late: float = 0.0,
    activity: str = "Verifikasi berkas",
) -> TimelineRun:
    """A step run of the timeline, done in time unless told otherwise."""
    return TimelineRun(
        step_label=label,
        activity=activity,
        executors=("Kasubag Umum",),
        round=round_,
        state=state,
        spent_seconds=spent,
        standard=parse_standard_time(standard),
        allowed_seconds=allowed,
        late_seconds=late,
    )


def a_procedure(runs: int) -> ProcedureTimeline:
    """A procedure with this many runs: minutes to days, late ones, rounds, the last open."""
    kinds = itertools.cycle(
        [
            run("1", spent=180),
            run("2", spent=900, late=600),
            run("3", spent=3000, standard="1 jam", allowed=3600),
            run("4", spent=2.5 * DAY, standard="1 hari", allowed=DAY, late=1.5 * DAY),
            run("5", state=StepRunState.RETURNED, spent=1200, activity=LONG_ACTIVITY),
            run("5", round_=2, spent=600, activity=LONG_ACTIVITY),
        ]
    )
    made = [next(kinds) for _ in range(runs - 1)]
    made.append(
        run(
            "6",
            state=StepRunState.OPEN,
            spent=6 * DAY,
            standard="5 hari",
            allowed=5 * DAY,
            late=DAY,
        )
    )
    return ProcedureTimeline(
        number=12,
        title="Pengolahan Data Kinerja Triwulan III 2026",
        sop_name="Standar Operasional Prosedur Pengumpulan dan Pengolahan Data Kinerja",
        state=InstanceState.RUNNING,
        runs=tuple(made),
        working_day_seconds=DAY,
    )


def agency(count: int) -> RunningProcedures:
    """An agency with this many running procedures, a third of them late."""
    procedures = tuple(
        RunningProcedure(
            number=number,
            title=f"Permohonan rekomendasi kegiatan organisasi kemasyarakatan nomor {number}",
            running_seconds=number * 1800.0,
            late_seconds=number * 600.0 if number % 3 == 0 else 0.0,
            current_step=str(number % 9 + 1),
        )
        for number in range(1, count + 1)
    )
    return RunningProcedures("Badan Kesatuan Bangsa dan Politik", procedures, DAY)


def decoded_size(content: bytes) -> tuple[int, int]:
    """The PNG's size as Pillow reads it (a PNG that does not decode fails here)."""
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def assert_a_phone_photo(content: bytes) -> None:
    """1080 px wide, within Telegram's photo limits and the height it keeps unshrunk."""
    width, height = decoded_size(content)
    assert width == 1080
    assert height <= MAX_HEIGHT_PX
    assert width + height <= 10_000
    assert max(width, height) <= 20 * min(width, height)
    assert len(content) <= 10 * 1024 * 1024


def words_on(figure: Figure) -> list[str]:
    """Every text drawn on the figure (its own, and the time axis's)."""
    return [text.get_text() for text in _texts(figure)]


def reading(figure: Figure) -> str:
    """The figure's words in reading order, a wrapped line joined to the next by a space."""
    return " ".join(words_on(figure))


def _texts(figure: Figure) -> list[Text]:
    texts = list(figure.texts)
    for axes in figure.axes:
        texts.extend(axes.get_xticklabels())
        texts.append(axes.xaxis.label)
    return [text for text in texts if text.get_text() and text.get_visible()]


def assert_nothing_overlaps(figure: Figure) -> None:
    """No two texts touch, and every text is inside the picture."""
    renderer = FigureCanvasAgg(figure).get_renderer()  # type: ignore[no-untyped-call]
    figure.draw(renderer)
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in _texts(figure)]
    whole = Bbox.from_bounds(0, 0, figure.bbox.width, figure.bbox.height)
    for text, box in boxes:
        assert whole.x0 <= box.x0, text
        assert box.x1 <= whole.x1, text
        assert whole.y0 <= box.y0, text
        assert box.y1 <= whole.y1, text
    for (first, a), (second, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (first, second)


@pytest.mark.parametrize("runs", [1, 12, 60])
def test_a_timeline_is_a_photo_a_phone_shows_whole(runs: int) -> None:
    timeline = a_procedure(runs)
    assert_a_phone_photo(draw_timeline(timeline, Language.ID))
    assert_nothing_overlaps(timeline_figure(timeline, Language.ID))


def test_a_long_timeline_shows_its_latest_runs_and_says_so() -> None:
    figure = timeline_figure(a_procedure(60), Language.ID)
    rows = [w for w in words_on(figure) if w[0].isdigit() and ". " in w]
    assert 10 <= len(rows) <= 20
    assert (
        f"Ditampilkan {len(rows)} langkah terakhir dari 60; semuanya ada di pesan teks."
        in reading(figure)
    )
    # The open run is the last: it is among those shown.
    assert rows[-1] == "6. Verifikasi berkas (Kasubag Umum)"
    assert "▶ berjalan 6 hari kerja · baku 5 hari kerja · terlambat 1 hari kerja" in reading(figure)


def test_a_row_names_the_step_who_does_it_and_its_round_however_long_the_activity() -> None:
    figure = timeline_figure(a_procedure(7), Language.ID)
    words = words_on(figure)
    assert "1. Verifikasi berkas (Kasubag Umum)" in words
    # The long activity is cut with "…" on its second line; who does it and the round stay.
    assert "5. Kepala Sub Bagian Perencanaan, Evaluasi dan Pelaporan" in words
    (second,) = [w for w in words if w.endswith("(Kasubag Umum) · putaran 2")]
    assert second.startswith("memverifikasi kelengkapan")
    assert "… (Kasubag Umum)" in second
    text = reading(figure)
    assert "2,5 hari kerja · baku 1 hari kerja · terlambat 1,5 hari kerja" in text
    assert "↩ dikembalikan setelah 20 menit · baku 5 menit" in text
    assert "Berjalan · 7 langkah dijalankan · 3 terlambat" in text
    assert "SOP: Standar Operasional Prosedur Pengumpulan dan Pengolahan Data Kinerja" in text
    assert "Waktu kerja, skala logaritmik · 1 hari = 7,5 jam kerja" in text


def test_the_words_follow_the_reader_s_language() -> None:
    timeline = a_procedure(6)
    english = reading(timeline_figure(timeline, Language.EN))
    assert "Running · step runs: 6 · late: 3" in english
    assert "2.5 working days · standard 1 working day · late by 1.5 working days" in english
    assert draw_timeline(timeline, Language.EN) != draw_timeline(timeline, Language.ID)


def test_times_of_one_scale_get_a_linear_axis_in_their_unit() -> None:
    timeline = ProcedureTimeline(
        3,
        "Surat masuk",
        "SOP Surat Masuk",
        InstanceState.FINISHED,
        (run("1", spent=120), run("2", spent=290), run("3", spent=420, late=120)),
        DAY,
    )
    words = words_on(timeline_figure(timeline, Language.ID))
    assert "Waktu kerja · 1 hari = 7,5 jam kerja" in words
    assert "Selesai · 3 langkah dijalankan · 1 terlambat" in words
    assert {"0", "2 menit", "4 menit", "6 menit"} <= set(words)


def test_a_linear_axis_keeps_its_unit_past_a_working_day() -> None:
    # Ten hours against one hari of 7.5: the axis counts hours, "10 jam", not "1,3 hari".
    timeline = ProcedureTimeline(
        4,
        "Rekap",
        "SOP Rekap",
        InstanceState.RUNNING,
        (run("1", spent=10 * 3600, standard="1 hari", allowed=DAY, late=2.5 * 3600),),
        DAY,
    )
    words = words_on(timeline_figure(timeline, Language.ID))
    ticks = [w for w in words if w == "0" or w.endswith((" jam", " hari"))]
    assert ticks == ["0", "2 jam", "4 jam", "6 jam", "8 jam", "10 jam"]
    assert "1,3 hari kerja · baku 1 hari kerja · terlambat 2 jam 30 menit" in reading(
        timeline_figure(timeline, Language.ID)
    )


def test_the_same_procedure_gives_the_same_bytes() -> None:
    assert draw_timeline(a_procedure(12), Language.ID) == draw_timeline(
        a_procedure(12), Language.ID
    )
    assert draw_running(agency(7), Language.ID) == draw_running(agency(7), Language.ID)


@pytest.mark.parametrize("count", [1, 25, 60])
def test_the_agency_chart_is_a_photo_a_phone_shows_whole(count: int) -> None:
    assert_a_phone_photo(draw_running(agency(count), Language.ID))
    assert_nothing_overlaps(running_figure(agency(count), Language.ID))


def test_the_agency_chart_shows_the_latest_first_and_says_how_many_it_leaves_out() -> None:
    figure = running_figure(agency(25), Language.ID)
    rows = [w for w in words_on(figure) if w.startswith("No. ")]
    # Late ones (every third) from the latest, then the longest running; a title too long
    # for its line is cut with "…".
    assert [row.split(" · ")[0] for row in rows[:9]] == [
        "No. 24",
        "No. 21",
        "No. 18",
        "No. 15",
        "No. 12",
        "No. 9",
        "No. 6",
        "No. 3",
        "No. 25",
    ]
    assert rows[0].startswith("No. 24 · Permohonan rekomendasi kegiatan")
    assert rows[0].endswith("…")
    text = reading(figure)
    assert f"Ditampilkan {len(rows)} prosedur; {25 - len(rows)} lainnya ada di pesan teks." in text
    assert "25 prosedur · 8 dengan langkah terlambat · yang paling terlambat di atas" in text
    assert "berjalan 1,6 hari kerja · langkah 7 terlambat 4 jam" in text


def test_what_the_font_cannot_draw_is_left_out_without_a_warning() -> None:
    # Emoji, a flag, direction marks and terminal controls: warnings are errors in the tests,
    # and a glyph the font lacks would warn (and draw an empty box).
    title = "📄 Nota <dinas> & \u200fرسالة\u200f \u202eLaporan\u202c 🇮🇩 Rapat\u0007 \u001b[31m"
    timeline = ProcedureTimeline(
        7,
        title,
        "SOP $x$ 👩‍💼",
        InstanceState.CANCELLED,
        (run("1", activity="Paraf 📝 konsep"), run("2", state=StepRunState.CANCELLED)),
        DAY,
    )
    figure = timeline_figure(timeline, Language.ID)
    text = reading(figure)
    assert "No. 7 · Nota <dinas> &" in text
    assert "Laporan Rapat [31m" in text
    assert "SOP: SOP $x$" in text  # a dollar sign, not mathematics
    assert "1. Paraf konsep (Kasubag Umum)" in text
    assert "dihentikan setelah 4 menit (prosedur dibatalkan)" in text
    assert_a_phone_photo(draw_timeline(timeline, Language.ID))
    procedures = (RunningProcedure(7, title, 60.0, 0.0, "1"),)
    assert_a_phone_photo(draw_running(RunningProcedures("Dinas 🏛", procedures, DAY), Language.ID))


def test_an_agency_with_nothing_running_has_no_chart() -> None:
    with pytest.raises(ValueError, match="no running procedure"):
        draw_running(RunningProcedures("Dinas Kosong", (), DAY), Language.ID)
