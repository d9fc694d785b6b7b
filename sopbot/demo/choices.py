"""How the demo's officials answer a decision step: `sopbot demo --tolak STEP:ROUND`.

A decision step (a flowchart diamond) is answered "ya" unless the run asks for "tidak" at that
step and round; a "tidak" carries a reason, written as a reviewer writes it in a disposition.
Every answer is chosen in `choose`, the one place a later kind of question (a branch chosen by
its label) slots in.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from sopbot.engine.definition import SopDefinition, Step

# What reviewers write when they send work back: short, specific, polite, as in a disposition.
REASONS = (
    "Data belum lengkap; mohon dilengkapi sesuai format yang berlaku",
    "Masih terdapat selisih angka realisasi dengan laporan bidang; mohon diperiksa kembali",
    "Lampiran pendukung belum disertakan; mohon dilengkapi sebelum diajukan kembali",
    "Penulisan belum sesuai tata naskah dinas; mohon diperbaiki",
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One `--tolak STEP:ROUND`: the decision at STEP, in its ROUND-th round, is "tidak"."""

    step: int
    round: int

    def __str__(self) -> str:
        return f"{self.step}:{self.round}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What an official answers at a decision step: "ya", or "tidak" with its reason."""

    yes: bool
    reason: str | None = None


def refusal(written: str) -> Refusal:
    """`--tolak` as argparse reads it: STEP:ROUND, two whole numbers of at least 1."""
    step, colon, round_ = written.strip().partition(":")
    if not colon or not step.strip().isdigit() or not round_.strip().isdigit():
        raise argparse.ArgumentTypeError(
            f"'{written}' is not STEP:ROUND; write the decision step's number and the round, "
            "e.g. --tolak 5:1 (step 5 answers 'tidak' the first time)"
        )
    found = Refusal(int(step), int(round_))
    if found.step < 1:
        raise argparse.ArgumentTypeError(f"'{written}': the step number is 1 or more")
    if found.round < 1:
        raise argparse.ArgumentTypeError(
            f"'{written}': the round is 1 or more (1 is a step's first time, 2 the first rework)"
        )
    return found


def refusal_problems(definition: SopDefinition, refusals: list[Refusal]) -> list[str]:
    """Why some `--tolak` cannot apply to this SOP (empty when all can)."""
    decisions = [step.number for step in definition.decision_steps()]
    listed = ", ".join(str(n) for n in decisions) or "none"
    problems = []
    for wanted in refusals:
        if definition.has_step(wanted.step) and definition.step(wanted.step).is_decision:
            continue
        what = (
            f"step {wanted.step} of {definition.id} is not a decision step"
            if definition.has_step(wanted.step)
            else f"{definition.id} has no step {wanted.step}"
        )
        problems.append(
            f"--tolak {wanted}: {what}; only a decision (ya/tidak) can be answered 'tidak' "
            f"(its decision steps: {listed})"
        )
    return problems


def rejections_for(refusals: list[Refusal]) -> dict[tuple[int, int], str]:
    """(step, round) -> the reason for each `--tolak`, each written as a reviewer would."""
    return {
        (wanted.step, wanted.round): REASONS[index % len(REASONS)]
        for index, wanted in enumerate(sorted(set(refusals), key=lambda r: (r.round, r.step)))
    }


def choose(step: Step, round_: int, rejections: dict[tuple[int, int], str]) -> Answer:
    """The answer to a decision step in a round: "tidak" with its reason where asked, else
    "ya"."""
    reason = rejections.get((step.number, round_))
    return Answer(yes=reason is None, reason=reason)
