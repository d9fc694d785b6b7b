"""How the demo's officials answer a decision step: `sopbot demo --tolak STEP:ROUND`.

A question is answered with its first answer that goes on ("ya", or a `pertanyaan`'s first
answer without `tolak`) unless the run asks for a refusal at that step and round: then the answer
that sends the work back ("tidak", or the first answer with `tolak: ya`), with a reason written
as a reviewer writes it in a disposition. Every answer is chosen in `choose`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from sopbot.engine.definition import Branch, SopDefinition, Step

# What reviewers write when they send work back: short, specific, polite, as in a disposition.
REASONS = (
    "Data belum lengkap; mohon dilengkapi sesuai format yang berlaku",
    "Masih terdapat selisih angka realisasi dengan laporan bidang; mohon diperiksa kembali",
    "Lampiran pendukung belum disertakan; mohon dilengkapi sebelum diajukan kembali",
    "Penulisan belum sesuai tata naskah dinas; mohon diperbaiki",
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One `--tolak STEP:ROUND`: the question at STEP (its number as the SOP prints it), in its
    ROUND-th round, is answered with the answer that sends the work back."""

    step: str
    round: int

    def __str__(self) -> str:
        return f"{self.step}:{self.round}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What an official answers at a question: the branch, and the reason when it sends the
    work back."""

    branch: Branch
    reason: str | None = None

    @property
    def yes(self) -> bool:
        """True when the answer goes on (no reason asked)."""
        return not self.branch.rejects


def refusal(written: str) -> Refusal:
    """`--tolak` as argparse reads it: STEP:ROUND, two whole numbers of at least 1."""
    step, colon, round_ = written.strip().rpartition(":")
    step = step.strip()
    if not colon or not step or step.startswith("-") or not round_.strip().isdigit():
        raise argparse.ArgumentTypeError(
            f"'{written}' is not STEP:ROUND; write the decision step's number and the round, "
            "e.g. --tolak 5:1 (step 5 answers 'tidak' the first time)"
        )
    found = Refusal(step, int(round_))
    if found.step.isdigit() and int(found.step) < 1:
        raise argparse.ArgumentTypeError(f"'{written}': the step number is 1 or more")
    if found.round < 1:
        raise argparse.ArgumentTypeError(
            f"'{written}': the round is 1 or more (1 is a step's first time, 2 the first rework)"
        )
    return found


def step_named(definition: SopDefinition, printed: str) -> Step | None:
    """The step a `--tolak` names: by its number as printed, else by its id."""
    for step in definition.steps:
        if step.label == printed:
            return step
        if printed.isdigit() and step.number == int(printed):
            return step
    return None


def refusal_problems(definition: SopDefinition, refusals: list[Refusal]) -> list[str]:
    """Why some `--tolak` cannot apply to this SOP (empty when all can)."""
    decisions = [s.label for s in definition.decision_steps() if _refusable(s)]
    listed = ", ".join(decisions) or "none"
    problems = []
    for wanted in refusals:
        step = step_named(definition, wanted.step)
        if step is not None and _refusable(step):
            continue
        what = (
            f"step {wanted.step} of {definition.id} is not a decision step"
            if step is not None
            else f"{definition.id} has no step {wanted.step}"
        )
        problems.append(
            f"--tolak {wanted}: {what}; only a decision (ya/tidak) can be answered 'tidak' "
            f"(its decision steps: {listed})"
        )
    return problems


def _refusable(step: Step) -> bool:
    """A question with an answer that sends the work back."""
    return step.decision is not None and step.decision.rejection is not None


def rejections_for(
    definition: SopDefinition, refusals: list[Refusal]
) -> dict[tuple[int, int], str]:
    """(step id, round) -> the reason for each `--tolak`, each written as a reviewer would."""
    found = {
        (step.number, wanted.round)
        for wanted in refusals
        if (step := step_named(definition, wanted.step)) is not None
    }
    return {
        key: REASONS[index % len(REASONS)]
        for index, key in enumerate(sorted(found, key=lambda k: (k[1], k[0])))
    }


def choose(step: Step, round_: int, rejections: dict[tuple[int, int], str]) -> Answer:
    """The answer to a question in a round: the one that sends the work back, with its reason,
    where asked; else the first that goes on."""
    decision = step.decision
    if decision is None:
        raise ValueError(f"step {step.label} asks no question")
    reason = rejections.get((step.number, round_))
    back = decision.rejection
    if reason is not None and back is not None:
        return Answer(back, reason)
    return Answer(decision.onward)
