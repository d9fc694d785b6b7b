"""The import benchmark's scorer, on drafts written from the truth: a faithful draft scores
every goal, and each kind of mistake is caught (so that a good score means a good importer)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import yaml

from bench.import_accuracy import score_document, step_number
from tests.documents.corpus import DOCUMENTS, truth_of


@dataclass
class Imported:
    """The contract of an import result: what the scorer reads."""

    refusal: str | None
    draft: str
    report: str = ""


def draft_of(truth: dict[str, Any]) -> Imported:
    """The draft a perfect importer would write for `truth` (flagging what it cannot know)."""
    if truth["refused"]:
        return Imported("Dokumen ini hasil pindaian (gambar): kirim berkas Word atau PDF asli.", "")
    ids = {name: f"peran_{n}" for n, name in enumerate(truth["roles"], 1)}
    steps = []
    for step in truth["steps"]:
        pelaksana: Any = "??"
        if step["pelaksana"] is not None:
            names = [ids[name] for name in step["pelaksana"]]
            pelaksana = names[0] if len(names) == 1 else names
        waktu: Any = step["waktu"]
        if not step["waktu_terbaca"]:
            waktu = {"tertulis": step["waktu"], "baku": "??"}
        row: dict[str, Any] = {
            "no": step["no"],
            "kegiatan": step["kegiatan"],
            "pelaksana": pelaksana,
            "waktu": waktu,
            "jenis_output": "catatan",
        }
        if "keputusan" in step:
            row["keputusan"] = dict(step["keputusan"])
        steps.append(row)
    draft = {
        "pelaksana": [{"id": i, "nama": name} for name, i in ids.items()],
        "langkah": steps,
    }
    return Imported(None, yaml.safe_dump(draft, allow_unicode=True, sort_keys=False))


def _shares(truth: dict[str, Any], result: Imported) -> dict[str, float]:
    score = score_document(truth, result)
    return {name: tally.share for name, tally in score.tallies().items()}


def test_a_faithful_draft_scores_everything_on_every_document() -> None:
    for document in DOCUMENTS:
        truth = truth_of(document)
        score = score_document(truth, draft_of(truth))
        assert score.misses == [], document.filename
        assert all(t.share == 1.0 for t in score.tallies().values())


def _document(name: str) -> dict[str, Any]:
    return truth_of(next(d for d in DOCUMENTS if d.filename == name))


def _edit(result: Imported, change: Any) -> Imported:
    draft = yaml.safe_load(result.draft)
    change(draft)
    return Imported(None, yaml.safe_dump(draft, allow_unicode=True))


def test_each_kind_of_mistake_is_counted() -> None:
    truth = _document("arsip-inaktif.docx")  # a joint step, a '1-2 Hari', two decisions
    right = draft_of(truth)

    def wrong_executor(draft: dict[str, Any]) -> None:
        draft["langkah"][0]["pelaksana"] = draft["pelaksana"][1]["id"]

    def half_a_joint_step(draft: dict[str, Any]) -> None:
        joint = next(s for s in draft["langkah"] if isinstance(s["pelaksana"], list))
        joint["pelaksana"] = joint["pelaksana"][0]

    def asked_where_known(draft: dict[str, Any]) -> None:
        draft["langkah"][1]["pelaksana"] = "?? kepala_dinas"

    def unreadable_time_copied(draft: dict[str, Any]) -> None:
        step = next(s for s in draft["langkah"] if isinstance(s["waktu"], dict))
        step["waktu"] = "2 Hari"

    def time_parsed(draft: dict[str, Any]) -> None:
        draft["langkah"][1]["waktu"] = "15 menit"  # the document writes "15 Menit"

    def wrong_branch(draft: dict[str, Any]) -> None:
        step = next(s for s in draft["langkah"] if "keputusan" in s)
        step["keputusan"]["tidak"] = "3"

    def invented_decision(draft: dict[str, Any]) -> None:
        draft["langkah"][0]["keputusan"] = {"ya": "2", "tidak": "1"}

    def lost_step(draft: dict[str, Any]) -> None:
        del draft["langkah"][2]

    def retyped_activity(draft: dict[str, Any]) -> None:
        draft["langkah"][0]["kegiatan"] = draft["langkah"][0]["kegiatan"].upper()

    cases = {
        "executors": (wrong_executor, half_a_joint_step, asked_where_known),
        "times": (unreadable_time_copied, time_parsed),
        "decisions": (wrong_branch, invented_decision),
        "steps": (lost_step, retyped_activity),
    }
    for score_name, changes in cases.items():
        for change in changes:
            shares = _shares(truth, _edit(copy.deepcopy(right), change))
            assert shares[score_name] < 1.0, change.__name__


def test_unknown_executors_count_only_when_flagged() -> None:
    truth = _document("penyusunan-renja.txt")
    flagged = _shares(truth, draft_of(truth))
    assert flagged["executors"] == 1.0

    def guessed(draft: dict[str, Any]) -> None:
        for step in draft["langkah"]:
            step["pelaksana"] = draft["pelaksana"][0]["id"]

    assert _shares(truth, _edit(draft_of(truth), guessed))["executors"] == 0.0


def test_refusals_are_scored_both_ways() -> None:
    scanned = _document("surat-masuk-scan.pdf")
    assert _shares(scanned, draft_of(scanned))["refusals"] == 1.0
    assert _shares(scanned, Imported(None, "langkah: []\n"))["refusals"] == 0.0
    word = _document("surat-masuk-kecamatan.docx")
    refused = _shares(word, Imported("tidak terbaca", ""))
    assert refused["refusals"] == 0.0
    assert refused["steps"] == 0.0


def test_printed_numbers_match_as_printed() -> None:
    assert step_number("5.1") == "5.1"
    assert step_number("1.") == "1"
    assert step_number(5.1) == "5.1"
    assert step_number(12) == "12"


def test_the_benchmark_scores_a_faithful_importer_fully() -> None:
    """The whole run (generation, one import per document and run, the summary), with an
    importer that answers each document's truth."""
    from pathlib import Path

    from bench import import_accuracy

    truths = {d.filename: truth_of(d) for d in DOCUMENTS}

    def faithful(path: Path) -> Imported:
        return draft_of(truths[path.name])

    summary = import_accuracy.main(["--runs", "2", "--corpus-only"], importer=faithful)
    assert summary["documents"] == len(DOCUMENTS)
    assert summary["misses"] == []
    assert all(summary["goals_met"].values())
    assert set(summary["by_layout"]) == set(import_accuracy.LAYOUT_KINDS)
