"""How well the importer reads SOP documents it was not written against: the corpus of
`tests/documents/corpus` (Word, PDF and text in the layouts agencies use) is generated into a
temporary folder, each document is imported with `sopbot.documents.importing.import_document`,
and its draft is scored against the document's truth file.

Scores (goals of issue 19): steps found with their activity (>= 95%), executors right (>= 90%),
times as written (100%), decisions right (100%), refusals right (the scanned PDF), and the
time per document (< 2 s). Steps are matched by their printed number.

- activity: the draft's `kegiatan` equals the truth's, whitespace-normalised, case as written;
- executor: the draft's role ids, mapped to names through its `pelaksana` list, are the
  truth's (as a set); a `??` value is right only where the truth is null (the document cannot
  say), and there only a `??` value is right;
- time: a readable time exactly as written (whitespace-normalised), plain or as the `tertulis`
  of `{tertulis, baku}`; an unreadable one ("1-2 Hari") only when the draft marks it `??` or
  gives `{tertulis: <as written>, baku: ...}`;
- decision: both branches' targets as printed; a decision the draft invents where the truth
  has none counts against the score too;
- refusal: a document the truth refuses has a refusal and an empty draft; any other has none.

    python -m bench.import_accuracy [--runs 3] [--documents N] [--details]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.figures import spread
from sopbot.documents.rendering import render_docx, render_pdf
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import load_paths
from tests.documents.corpus import DOCUMENTS, Generated, generate, truth_of
from tests.documents.corpus.model import LAYOUT_KINDS, CorpusDocument

__all__ = ["GOALS", "LAYOUT_KINDS", "main", "score_document", "step_number"]

GOALS = {"steps": 0.95, "executors": 0.90, "times": 1.0, "decisions": 1.0, "refusals": 1.0}
SECONDS_GOAL = 2.0
ASKED = "??"
Importer = Callable[[Path], Any]


def _words(value: object) -> str:
    return " ".join(str(value).split())


def step_number(value: object) -> str:
    """A printed step number as text ("5.1" stays "5.1"; "1." is "1")."""
    text = _words(value)
    return text[:-1] if text.endswith(".") and len(text) > 1 else text


def _asked(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith(ASKED)


@dataclass
class Tally:
    """Right and total counts of one score, with what was wrong."""

    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> bool:
        """Count one case; returns `ok`."""
        self.total += 1
        self.right += ok
        return ok

    @property
    def share(self) -> float:
        """Right over total (1.0 when nothing was counted)."""
        return self.right / self.total if self.total else 1.0


@dataclass
class Score:
    """The scores of some documents, and each miss for --details."""

    steps: Tally = field(default_factory=Tally)
    executors: Tally = field(default_factory=Tally)
    times: Tally = field(default_factory=Tally)
    decisions: Tally = field(default_factory=Tally)
    refusals: Tally = field(default_factory=Tally)
    misses: list[str] = field(default_factory=list)

    def tallies(self) -> dict[str, Tally]:
        """The five tallies by name."""
        return {
            "steps": self.steps,
            "executors": self.executors,
            "times": self.times,
            "decisions": self.decisions,
            "refusals": self.refusals,
        }

    def absorb(self, other: Score) -> None:
        """Add another score's counts and misses to this one."""
        for name, tally in self.tallies().items():
            theirs = other.tallies()[name]
            tally.right += theirs.right
            tally.total += theirs.total
        self.misses += other.misses


def _role_names(draft: dict[str, Any]) -> dict[str, str]:
    roles = draft.get("pelaksana") or []
    return {
        str(role.get("id")): _words(role.get("nama", ""))
        for role in roles
        if isinstance(role, dict)
    }


def _executors_right(truth: list[str] | None, value: object, names: dict[str, str]) -> bool:
    if truth is None:
        return _asked(value)
    if value is None or _asked(value):
        return False
    ids = value if isinstance(value, list) else [value]
    if any(_asked(i) for i in ids):
        return False
    found = {names.get(str(i), f"<unknown id {i}>") for i in ids}
    return found == {_words(t) for t in truth}


def _time_right(truth: dict[str, Any], value: object) -> bool:
    written = _words(truth["waktu"])
    if isinstance(value, dict):
        return _words(value.get("tertulis", "")) == written
    if truth["waktu_terbaca"]:
        return isinstance(value, str | int | float) and _words(value) == written
    return _asked(value)


def _decision_right(truth: dict[str, str], value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return all(
        step_number(value.get(answer, "")) == step_number(truth[answer])
        for answer in ("ya", "tidak")
    )


def score_document(truth: dict[str, Any], result: Any) -> Score:
    """Score one import result (with `.refusal` and `.draft`) against one truth."""
    score = Score()
    name = truth["document"]
    refusal = getattr(result, "refusal", None)
    draft_text = getattr(result, "draft", "") or ""
    if truth["refused"]:
        ok = score.refusals.add(bool(refusal) and not draft_text.strip())
        if not ok:
            score.misses.append(f"{name}: should be refused (refusal={refusal!r})")
        return score
    if not score.refusals.add(not refusal):
        score.misses.append(f"{name}: refused: {refusal}")
    # BaseLoader: the format's key "no" stays "no" (YAML 1.1 would read it as false), and
    # every value stays the text it is in the draft.
    loaded = yaml.load(draft_text, Loader=yaml.BaseLoader) if draft_text.strip() else {}  # noqa: S506
    draft = loaded if not refusal else {}
    draft = draft if isinstance(draft, dict) else {}
    names = _role_names(draft)
    rows = [row for row in draft.get("langkah") or [] if isinstance(row, dict)]
    found = {step_number(row.get("no", "")): row for row in rows}
    expected_numbers = {step_number(step["no"]) for step in truth["steps"]}
    for step in truth["steps"]:
        _score_step(score, name, step, found.get(step_number(step["no"])), names)
    for number, row in found.items():
        if number not in expected_numbers:
            score.misses.append(f"{name} step {number}: not in the document")
            if isinstance(row.get("keputusan"), dict):
                score.decisions.add(False)
    return score


def _score_step(
    score: Score, name: str, step: dict[str, Any], row: dict[str, Any] | None, names: dict[str, str]
) -> None:
    where = f"{name} step {step['no']}"
    row = row or {}
    if not score.steps.add(_words(row.get("kegiatan", "")) == _words(step["kegiatan"])):
        score.misses.append(f"{where}: kegiatan {row.get('kegiatan')!r} != {step['kegiatan']!r}")
    pelaksana = row.get("pelaksana")
    if not score.executors.add(_executors_right(step["pelaksana"], pelaksana, names)):
        score.misses.append(f"{where}: pelaksana {pelaksana!r} != {step['pelaksana']!r}")
    if not score.times.add(_time_right(step, row.get("waktu"))):
        score.misses.append(
            f"{where}: waktu {row.get('waktu')!r} != {step['waktu']!r}"
            + ("" if step["waktu_terbaca"] else " (unreadable: mark it)")
        )
    keputusan = row.get("keputusan")
    if "keputusan" in step:
        if not score.decisions.add(_decision_right(step["keputusan"], keputusan)):
            score.misses.append(f"{where}: keputusan {keputusan!r} != {step['keputusan']!r}")
    elif keputusan is not None:
        score.decisions.add(False)
        score.misses.append(f"{where}: keputusan {keputusan!r} where the document has none")


def _importer() -> Importer:
    """The importer under measurement (imported here, so the scorer also runs without it)."""
    module = importlib.import_module("sopbot.documents.importing")
    importer: Importer = module.import_document
    return importer


@dataclass
class Run:
    """One pass over the corpus: the score per layout and the seconds per document."""

    by_layout: dict[str, Score]
    seconds: dict[str, float]


@dataclass(frozen=True)
class Case:
    """A document to import and score: its layout, file and truth."""

    kind: str
    path: Path
    truth: dict[str, Any]


def corpus_cases(generated: Iterable[Generated]) -> list[Case]:
    """The corpus's documents as cases."""
    return [Case(item.document.kind, item.path, truth_of(item.document)) for item in generated]


def rendered_cases(folder: Path) -> list[Case]:
    """Every definition of the repository drawn as its official PDF and Word document by
    `sopbot sop render`, with the truth read from the definition itself. A definition whose
    table prints a number twice is left out: steps are matched by their printed number here
    (tests/documents/test_round_trip.py checks those)."""
    repo = Path(__file__).resolve().parents[1]
    library = load_paths(
        [repo / "sop_defs", repo / "tests/e2e/defs", repo / "tests/engine/other_shapes"]
    )
    cases = []
    for definition in library.definitions.values():
        labels = [step.label for step in definition.steps]
        if len(set(labels)) != len(labels):
            continue
        truth = _definition_truth(definition)
        stem = definition.id.replace("/", "--")
        for kind, render in (("pdf", render_pdf), ("docx", render_docx)):
            path = folder / f"{stem}.{kind}"
            path.write_bytes(render(definition))
            cases.append(Case(f"rendered-{kind}", path, {**truth, "document": path.name}))
    return cases


def _definition_truth(definition: SopDefinition) -> dict[str, Any]:
    """A truth file's content read from a definition (see truth_of)."""
    names = {role.key: role.name for role in definition.roles}
    labels = {step.number: step.label for step in definition.steps}

    def target(number: int) -> str:
        return labels.get(number, "selesai")

    steps = []
    for step in definition.steps:
        row: dict[str, Any] = {
            "no": step.label,
            "kegiatan": step.activity,
            "pelaksana": [names[key] for key in step.roles],
            "waktu": step.standard_time.as_written,
            "waktu_terbaca": True,
        }
        decision = step.decision
        if decision is not None and not decision.labelled:
            row["keputusan"] = {"ya": target(decision.yes), "tidak": target(decision.no)}
        steps.append(row)
    return {
        "document": definition.id,
        "refused": False,
        "roles": [role.name for role in definition.roles],
        "steps": steps,
    }


def run_once(cases: Iterable[Case], importer: Importer) -> Run:
    """Import every document once and score it."""
    by_layout: dict[str, Score] = defaultdict(Score)
    seconds: dict[str, float] = {}
    for case in cases:
        started = time.perf_counter()
        result = importer(case.path)
        seconds[case.path.name] = time.perf_counter() - started
        by_layout[case.kind].absorb(score_document(case.truth, result))
    return Run(dict(by_layout), seconds)


def pick(count: int | None) -> tuple[CorpusDocument, ...]:
    """The first `count` documents taken round-robin over the layouts (all when None)."""
    if count is None:
        return DOCUMENTS
    queues: dict[str, list[CorpusDocument]] = defaultdict(list)
    for document in DOCUMENTS:
        queues[document.kind].append(document)
    chosen: list[CorpusDocument] = []
    while len(chosen) < min(count, len(DOCUMENTS)):
        for kind in LAYOUT_KINDS:
            if queues[kind] and len(chosen) < count:
                chosen.append(queues[kind].pop(0))
    return tuple(chosen)


def summarise(runs: list[Run], documents: int) -> dict[str, Any]:
    """The figures: each score overall and per layout, and the seconds per document."""
    first = runs[0]
    overall = Score()
    for score in first.by_layout.values():
        overall.absorb(score)
    summary: dict[str, Any] = {"documents": documents, "runs": len(runs)}
    for name, tally in overall.tallies().items():
        summary[name] = _fixed(tally.share)
        summary[f"{name}_counted"] = tally.total
    summary["goals_met"] = {
        name: overall.tallies()[name].share >= goal for name, goal in GOALS.items()
    }
    summary["by_layout"] = {
        kind: {name: _fixed(t.share) for name, t in score.tallies().items() if t.total}
        for kind, score in sorted(first.by_layout.items())
    }
    summary["document_s_median"] = spread([statistics.median(r.seconds.values()) for r in runs])
    summary["document_s_slowest"] = spread([max(r.seconds.values()) for r in runs])
    per_document = {
        name: statistics.median(r.seconds[name] for r in runs) for name in first.seconds
    }
    slowest = max(per_document, key=per_document.__getitem__)
    summary["slowest_document"] = slowest
    summary["goals_met"]["seconds"] = per_document[slowest] < SECONDS_GOAL
    summary["misses"] = overall.misses
    return summary


def _fixed(value: float) -> dict[str, float]:
    """A score as a figure: the same in every run (the importer is deterministic)."""
    return {"median": value, "min": value, "max": value}


def main(argv: list[str] | None = None, importer: Importer | None = None) -> dict[str, Any]:
    """Generate the corpus, import and score it; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, help="only this many (spread over layouts)")
    parser.add_argument("--details", action="store_true", help="print every miss")
    parser.add_argument(
        "--corpus-only",
        action="store_true",
        help="only the corpus, without the repository's definitions rendered and imported back",
    )
    args = parser.parse_args(argv)
    chosen = pick(args.documents)
    importing = importer or _importer()
    with tempfile.TemporaryDirectory(prefix="sopbot-corpus-") as folder:
        cases = corpus_cases(generate(Path(folder), chosen))
        if not args.corpus_only:
            cases += rendered_cases(Path(folder))
        runs = [run_once(cases, importing) for _ in range(max(1, args.runs))]
    summary = summarise(runs, len(cases))
    shown = {k: v for k, v in summary.items() if k != "misses"}
    print(json.dumps(shown, indent=2))
    if args.details:
        for miss in summary["misses"]:
            print(f"miss: {miss}", file=sys.stderr)
    return summary


if __name__ == "__main__":
    main()
