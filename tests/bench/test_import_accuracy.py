"""The import benchmark still runs (a few documents, one run; no timing is asserted)."""

from __future__ import annotations

from bench import import_accuracy


def test_the_import_benchmark_runs_end_to_end() -> None:
    summary = import_accuracy.main(["--documents", "9", "--runs", "1", "--details"])
    assert summary["documents"] > 9  # nine of the corpus, and the definitions rendered
    assert summary["steps_counted"] > 0
    assert set(summary["by_layout"]) == set(import_accuracy.LAYOUT_KINDS) | {
        "rendered-pdf",
        "rendered-docx",
    }
    assert summary["document_s_slowest"]["median"] >= 0
