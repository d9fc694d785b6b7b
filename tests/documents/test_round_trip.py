"""The importer's first suite: every definition drawn as the official document (PDF and Word)
and imported again gives back what the document shows of it: the header, the Pelaksana
columns, every step's number, activity, executors, time as written (with its standard and its
rework time), Kelengkapan, Output and Keterangan, and where each step and each answer leads.

What paper cannot show (who of several holders acts, the output kind, how several roles share
a step) is the importer's default or left for a person to confirm: the report says so, and it
is not compared here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sopbot.documents.importing import import_bytes
from sopbot.documents.rendering import render_docx, render_pdf
from sopbot.documents.review import ReviewKind
from sopbot.engine.definition import END, SopDefinition
from sopbot.engine.library import load_paths

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = load_paths(
    [ROOT / "sop_defs", ROOT / "tests/e2e/defs", ROOT / "tests/engine/other_shapes"]
).definitions
RENDERERS: dict[str, Callable[[SopDefinition], bytes]] = {"pdf": render_pdf, "docx": render_docx}


def shown(definition: SopDefinition) -> dict[str, Any]:
    """What the official document shows of a definition."""
    ident = definition.identity
    roles = {role.key: role.name for role in definition.roles}
    labels = {step.number: step.label for step in definition.steps}

    def target(number: int) -> str:
        return "selesai" if number == END else labels[number]

    def flow(step: Any) -> Any:
        if step.decision is None:
            return target(step.next)
        return (
            step.decision.question,
            tuple(
                (b.label or b.key, target(b.target), b.rejects, b.output)
                for b in step.decision.branches
            ),
        )

    def time(standard: Any) -> tuple[str, str | None] | None:
        return None if standard is None else (standard.as_written, standard.counted_as)

    return {
        "header": (
            ident.number,
            ident.name,
            ident.agency,
            ident.government,
            ident.created_on.as_written,
            ident.effective_on.as_written,
            ident.approved_by,
            # A number the document leaves blank and one it does not state look alike on paper.
            ident.not_stated - {"nomor"},
            {
                key: ident.header_list(key)
                for key in (
                    "dasar_hukum",
                    "kualifikasi_pelaksana",
                    "keterkaitan",
                    "peralatan_perlengkapan",
                    "peringatan",
                    "pencatatan_pendataan",
                )
            },
        ),
        "roles": [role.name for role in definition.roles],
        "steps": [
            (
                step.label,
                step.activity,
                sorted(roles[r] for r in step.roles),
                time(step.standard_time),
                time(step.rework_time),
                step.inputs,
                step.output,
                step.remarks,
                flow(step),
            )
            for step in definition.steps
        ],
    }


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("sop_id", sorted(DEFINITIONS))
def test_render_then_import_gives_back_the_definition(sop_id: str, kind: str) -> None:
    definition = DEFINITIONS[sop_id]
    result = import_bytes(
        RENDERERS[kind](definition), f"dokumen.{kind}", agency_key=definition.agency_key
    )
    assert result.refusal is None
    assert result.errors == (), [str(p) for p in result.errors]
    assert result.definition is not None
    imported = shown(result.definition)
    expected = shown(definition)
    assert imported["roles"] == expected["roles"]
    assert imported["steps"] == expected["steps"]
    assert imported["header"] == expected["header"]
    assert result.report.to_decide == 0
    assert result.report.of_kind(ReviewKind.CONFIRM)  # what paper cannot show is reported
