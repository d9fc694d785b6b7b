"""What changed between two versions of an SOP: header fields, roles, steps and their flow."""

from __future__ import annotations

from sopbot.engine.definition import SopDefinition
from sopbot.engine.definition_diff import Change, FieldChange, diff_definitions
from sopbot.engine.loader import parse_definition
from tests.helpers.definitions import definition_text

ROLES = (
    "  - id: kepala_dinas\n    nama: Kepala Dinas\n"
    "  - id: sekretaris\n    nama: Sekretaris\n"
    "  - id: kasubbag\n    nama: Kasubbag Umum\n"
)
STEPS = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menyiapkan konsep surat\n    pelaksana: kasubbag\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n    output: konsep surat\n"
    "  - no: 3\n    kegiatan: Memeriksa konsep surat\n    pelaksana: sekretaris\n"
    "    waktu: 30 Menit\n    jenis_output: catatan\n"
    "    keputusan: {ya: 4, tidak: 2}\n"
    "  - no: 4\n    kegiatan: Menandatangani surat\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: tidak_ada\n"
)


def parsed(text: str) -> SopDefinition:
    result = parse_definition(text, source="t.yaml", sop_id="dinas-contoh/surat", agency_key="x")
    assert result.definition is not None, result.errors
    return result.definition


BEFORE = parsed(definition_text(roles=ROLES, steps=STEPS))


def test_the_same_content_is_no_difference() -> None:
    again = parsed(definition_text(roles=ROLES, steps=STEPS) + "# a comment\n")
    assert diff_definitions(BEFORE, again).same


def test_a_changed_step_names_each_changed_field() -> None:
    steps = STEPS.replace("    waktu: 1 Hari\n", "    waktu: 2 Hari\n    kelengkapan: Disposisi\n")
    steps = steps.replace("Menyiapkan konsep surat", "Menyiapkan konsep surat dinas")
    diff = diff_definitions(BEFORE, parsed(definition_text(roles=ROLES, steps=steps)))
    (step,) = diff.steps
    assert step.change is Change.CHANGED
    assert (step.label_before, step.label_after) == ("2", "2")
    assert step.fields == (
        FieldChange("kegiatan", "Menyiapkan konsep surat", "Menyiapkan konsep surat dinas"),
        FieldChange("waktu", "1 Hari", "2 Hari"),
        FieldChange("kelengkapan", "", "Disposisi"),
    )
    assert diff.header == ()
    assert diff.roles == ()


def test_a_new_step_is_added_and_the_renumbering_is_no_change() -> None:
    new_step = (
        "  - no: 3\n    kegiatan: Memberi paraf pada konsep\n    pelaksana: sekretaris\n"
        "    waktu: 5 Menit\n    jenis_output: catatan\n"
    )
    steps = (
        STEPS.replace("  - no: 4\n", "  - no: 5\n")
        .replace("  - no: 3\n", new_step + "  - no: 4\n")
        .replace("{ya: 4, tidak: 2}", "{ya: 5, tidak: 2}")
    )
    diff = diff_definitions(BEFORE, parsed(definition_text(roles=ROLES, steps=steps)))
    (added,) = diff.steps
    assert added.change is Change.ADDED
    assert added.label_after == "3"
    assert added.activity == "Memberi paraf pada konsep"


def test_a_question_that_now_sends_work_elsewhere_is_a_flow_change() -> None:
    steps = STEPS.replace("{ya: 4, tidak: 2}", "{ya: 4, tidak: 1}")
    diff = diff_definitions(BEFORE, parsed(definition_text(roles=ROLES, steps=steps)))
    (step,) = diff.steps
    assert step.label_after == "3"
    assert step.fields == (
        FieldChange(
            "alur", "ya → langkah 4; tidak → langkah 2", "ya → langkah 4; tidak → langkah 1"
        ),
    )


def test_a_removed_role_and_its_step() -> None:
    roles = ROLES.replace("  - id: kasubbag\n    nama: Kasubbag Umum\n", "")
    steps = STEPS.replace(
        "  - no: 2\n    kegiatan: Menyiapkan konsep surat\n    pelaksana: kasubbag\n"
        "    waktu: 1 Hari\n    jenis_output: dokumen\n    output: konsep surat\n",
        "",
    ).replace("{ya: 4, tidak: 2}", "{ya: 4, tidak: 1}")
    diff = diff_definitions(BEFORE, parsed(definition_text(roles=roles, steps=steps)))
    assert [(r.change, r.key, r.name) for r in diff.roles] == [
        (Change.REMOVED, "kasubbag", "Kasubbag Umum")
    ]
    assert [(s.change, s.label_before) for s in diff.steps] == [
        (Change.REMOVED, "2"),
        (Change.CHANGED, "3"),  # its "tidak" went to the removed step; now to step 1
    ]


def test_header_and_role_fields() -> None:
    roles = ROLES.replace(
        "nama: Kasubbag Umum", "nama: Kasubbag Umum dan Kepegawaian\n    pemegang: semua"
    )
    text = definition_text(roles=roles, steps=STEPS).replace("nama: Contoh", "nama: Contoh Baru")
    diff = diff_definitions(BEFORE, parsed(text))
    assert diff.header == (FieldChange("nama", "Contoh", "Contoh Baru"),)
    (role,) = diff.roles
    assert role.change is Change.CHANGED
    assert role.fields == (
        FieldChange("nama", "Kasubbag Umum", "Kasubbag Umum dan Kepegawaian"),
        FieldChange("pemegang", "salah_satu", "semua"),
    )


def test_executors_of_a_shared_step() -> None:
    steps = STEPS.replace(
        "    pelaksana: kepala_dinas\n    waktu: 10 Menit",
        "    pelaksana: [sekretaris, kepala_dinas]\n    bersama: berurutan\n    waktu: 10 Menit",
    )
    diff = diff_definitions(BEFORE, parsed(definition_text(roles=ROLES, steps=steps)))
    (step,) = diff.steps
    assert step.fields == (
        FieldChange("pelaksana", "kepala_dinas", "sekretaris, kepala_dinas; bersama: berurutan"),
    )
