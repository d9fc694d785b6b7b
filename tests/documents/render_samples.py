"""The definitions the rendering tests draw: every SOP under sop_defs/, tests/e2e/defs/ and
tests/engine/other_shapes/, and long ones made here whose flow crosses pages both ways."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import load_library, load_paths
from tests.helpers.definitions import definition_text, write_definition

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("sop_defs", "tests/e2e/defs", "tests/engine/other_shapes")


@cache
def collected() -> dict[str, SopDefinition]:
    """Every definition of the three folders, by id (they all load)."""
    found: dict[str, SopDefinition] = {}
    for folder in FOLDERS:
        library = load_library(REPO / folder)
        assert not library.errors, library.errors
        found.update(library.definitions)
    return found


def long_text(steps: int = 30, roles: int = 4) -> str:
    """A long SOP: a step per row, each role in turn, a check near the end that sends the work
    back near the start (across pages), a labelled question that jumps ahead, and a last check
    whose "ya" ends it."""
    role_lines = "".join(f"  - id: peran_{n}\n    nama: Peran Nomor {n}\n" for n in range(roles))
    rows = []
    for number in range(1, steps + 1):
        role = f"peran_{(number - 1) % roles}"
        row = (
            f"  - no: {number}\n    kegiatan: Kegiatan nomor {number} dikerjakan dengan teliti\n"
            f"    pelaksana: {role}\n    waktu: {number} menit\n    jenis_output: catatan\n"
        )
        if number == steps - 5:
            row += f"    keputusan: {{pertanyaan: Sudah benar?, ya: {number + 1}, tidak: 2}}\n"
        if number == 5:
            row += (
                "    pertanyaan:\n      teks: Mendesak?\n      pilihan:\n"
                "        - {jawaban: Mendesak, lanjut: 8}\n        - {jawaban: Biasa, lanjut: 6}\n"
            )
        if number == steps:
            row += "    keputusan: {ya: selesai, tidak: 10}\n"
        rows.append(row)
    return definition_text(roles=role_lines, steps="".join(rows))


@cache
def long_definition(folder: Path, steps: int = 30, roles: int = 4) -> SopDefinition:
    """The long SOP written under `folder` and loaded."""
    path = write_definition(folder, f"dinas-panjang/sop-{steps}-{roles}", long_text(steps, roles))
    library = load_paths([path])
    assert not library.errors, library.errors
    (definition,) = library.definitions.values()
    return definition
