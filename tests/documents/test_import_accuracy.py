"""The importer meets issue 19's accuracy goals on the corpus and on the repository's
definitions rendered and imported back (scored by bench/import_accuracy). The corpus and the
scorer are tested on their own (test_corpus, test_scorer). No time is asserted here (timings
belong to the benchmark)."""

from __future__ import annotations

from bench import import_accuracy


def test_the_importer_meets_the_accuracy_goals() -> None:
    summary = import_accuracy.main(["--runs", "1"])
    misses = "\n".join(summary["misses"])
    assert summary["steps"]["median"] >= 0.95, misses
    assert summary["executors"]["median"] >= 0.90, misses
    assert summary["times"]["median"] == 1.0, misses
    assert summary["decisions"]["median"] == 1.0, misses
    assert summary["refusals"]["median"] == 1.0, misses
