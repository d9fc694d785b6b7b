"""The flow written in words in the Keterangan column: where a diamond's answers lead, and a
jump that the row order does not show.

Agencies write these notes when the arrows alone would be hard to follow ("Jika tidak sesuai,
kembali ke langkah 4"), and a Word table cannot carry arrows that an importer can follow, so the
rendered document writes them in one plain form, and the importer reads that form and the usual
ways officials write it. One module holds both directions so that they cannot drift apart:

    Format sudah sesuai? Jika ya: lanjut ke langkah 6. Jika tidak: kembali ke langkah 4.
    Surat penting? Jika "Penting": lanjut ke langkah 4 (output: lembar disposisi).
        Jika "Biasa": lanjut ke langkah 6. Jika "Salah alamat": selesai.
        Jika "Berkas kurang": kembali ke langkah 1.
    Lanjut ke langkah 8.
    Selesai.

"kembali ke" marks an answer that sends the work back (a reason is asked); "lanjut ke" one that
goes on. A target is the step's number as printed, or "selesai"; a number the table prints
more than once is followed by its row ("langkah 3 (baris 5)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from sopbot.documents.vocabulary import NO_WORDS as _NO_WORDS
from sopbot.documents.vocabulary import YES_WORDS as _YES_WORDS
from sopbot.engine.definition import END, DecisionAnswer, SopDefinition, Step

FINISH: Final = "selesai"
"""The target that ends the procedure."""


@dataclass(frozen=True, slots=True)
class NoteBranch:
    """One answer of a diamond as the note writes it.

    `answer` is "ya" / "tidak" for an approval, else the answer's own words; `target` is a step
    number as printed, or FINISH.
    """

    answer: str
    target: str
    rejects: bool
    output: str | None = None
    quoted: bool = False  # the SOP's own answer words (a `pertanyaan`), not "ya" / "tidak"


@dataclass(frozen=True, slots=True)
class FlowNote:
    """What a Keterangan cell says about the flow: a diamond's branches, or where a plain step
    goes when it is not the next row (`next`)."""

    question: str | None = None
    branches: tuple[NoteBranch, ...] = ()
    next: str | None = None
    # Written exactly in the plain form (as `note_for` writes it): then it is the flow alone,
    # not words of the agency's own Keterangan.
    canonical: bool = field(default=False, compare=False)

    @property
    def approval(self) -> bool:
        """True when the branches are exactly "ya" and "tidak" (a `keputusan`)."""
        answers = [b.answer for b in self.branches if not b.quoted]
        return len(answers) == len(self.branches) and answers == [
            DecisionAnswer.YES.value,
            DecisionAnswer.NO.value,
        ]

    @property
    def only_rejection(self) -> bool:
        """True for a note that says only where "tidak" goes ("Jika tidak sesuai, kembali ke
        langkah 4"): the "ya" goes on as the flowchart draws it."""
        return len(self.branches) == 1 and self.branches[0].answer == DecisionAnswer.NO.value


def note_for(definition: SopDefinition, step: Step) -> str:
    """The flow note of a step in the plain form above; "" when the row order says it all (the
    step goes on to the next row, or is the last row and ends the procedure)."""
    note = flow_note_of(definition, step)
    return written(note) if note is not None else ""


def flow_note_of(definition: SopDefinition, step: Step) -> FlowNote | None:
    """The flow of a step as a note, or None when the row order says it all."""
    if step.decision is not None:
        branches = tuple(
            NoteBranch(
                branch.label if branch.label is not None else branch.key,
                _target(definition, branch.target),
                branch.rejects,
                branch.output,
                quoted=branch.label is not None,
            )
            for branch in step.decision.branches
        )
        return FlowNote(step.decision.question, branches, canonical=True)
    if step.next == _following(definition, step):
        return None
    return FlowNote(next=_target(definition, step.next), canonical=True)


def written(note: FlowNote) -> str:
    """A note in the plain form."""
    if not note.branches:
        if note.next == FINISH:
            return "Selesai."
        return f"Lanjut ke langkah {note.next}."
    parts = [note.question] if note.question else []
    for branch in note.branches:
        shown = f'"{branch.answer}"' if branch.quoted else branch.answer
        output = f" (output: {branch.output})" if branch.output else ""
        if branch.target == FINISH:
            words = FINISH
        else:
            verb = "kembali ke" if branch.rejects else "lanjut ke"
            words = f"{verb} langkah {branch.target}"
        parts.append(f"Jika {shown}: {words}{output}.")
    return " ".join(parts)


def _target(definition: SopDefinition, target: int) -> str:
    """A target as the note names it: the printed number, and its row when the table prints
    that number more than once ("3 (baris 5)")."""
    if target == END:
        return FINISH
    step = definition.step(target)
    if sum(1 for s in definition.steps if s.label == step.label) > 1:
        return f"{step.label} (baris {definition.steps.index(step) + 1})"
    return step.label


def _following(definition: SopDefinition, step: Step) -> int:
    """The number of the next row, or END for the last."""
    position = definition.steps.index(step)
    return definition.steps[position + 1].number if position + 1 < len(definition.steps) else END


_SENTENCE_END = re.compile(r"[.;!]\s|\n")
_QUESTION = re.compile(r"^(?P<q>[^?\n]*\?)\s*")
_BRANCH = re.compile(
    r"""(?P<if>(?:jika|bila|apabila)\s+)?
        (?P<answer>"[^"]+"|“[^”]+”|(?!(?:jika|bila|apabila)\b)[^\s:,"“][^:,]*?)
        (?:\s*[:,]\s*|\s+(?=(?:kembali|dikembalikan|lanjut|diteruskan)\b))
        (?:(?P<verb>kembali(?:kan)?|dikembalikan|lanjut(?:kan)?|diteruskan|ke)\s+)?
        (?:ke\s+)?
        (?:(?:langkah|no\.?|nomor|kegiatan|tahap)\s*(?:(?:no\.?|nomor)\s*)?
          (?P<target>[0-9]+(?:\.[0-9]+)*[a-z]?)
          (?:\s*\(baris\s*(?P<row>[0-9]{1,3})\))?
          |(?P<finish>selesai))
        (?:\s*\(output:\s*(?P<output>[^)]+)\))?
        \s*[.;]?""",
    re.IGNORECASE | re.VERBOSE,
)
_JUMP = re.compile(
    r"^(?:lanjut(?:kan)?\s+ke\s+(?:langkah|no\.?|nomor)\s*(?P<target>[0-9]+(?:\.[0-9]+)*[a-z]?)"
    r"(?:\s*\(baris\s*(?P<row>[0-9]{1,3})\))?"
    r"|(?P<finish>selesai))\s*\.?$",
    re.IGNORECASE,
)


def split_note(cell: str) -> tuple[str, FlowNote | None]:
    """Split a Keterangan cell into its own remarks and the flow note at its end, if any.

    The note is the cell's last paragraphs, or its last sentences (a PDF may join the lines of
    a cell), when they read as the form above or the usual variants ("Jika tidak sesuai,
    dikembalikan ke langkah 4"); anything else is remarks. A question of the note is one
    sentence: earlier text is never taken into it.
    """
    text = cell.strip()
    for start in _note_starts(text):
        note = read_note(text[start:])
        if note is not None and not _SENTENCE_END.search(note.question or ""):
            return text[:start].strip(), note
    return text, None


def _note_starts(text: str) -> list[int]:
    """Where a note may begin: the cell's start, each paragraph's, each sentence's."""
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\n\s*|(?<=[.;?!])\s+", text)]
    return sorted(set(starts))


def read_note(text: str) -> FlowNote | None:
    """The flow note that `text` is, or None when it is not one (as a whole)."""
    text = " ".join(text.split())
    if not text:
        return None
    note = _parse(text)
    if note is None:
        return None
    return FlowNote(note.question, note.branches, note.next, canonical=written(note) == text)


def _parse(text: str) -> FlowNote | None:
    jump = _JUMP.match(text)
    if jump:
        return FlowNote(next=FINISH if jump["finish"] else _target_of(jump))
    question = None
    rest = text
    asked = _QUESTION.match(text)
    if asked and not re.match(r"(?i)^(?:jika|bila|apabila)\b", text):
        question = asked["q"].strip()
        rest = text[asked.end() :]
    branches: list[NoteBranch] = []
    position = 0
    for match in _BRANCH.finditer(rest):
        if rest[position : match.start()].strip(" .;,"):
            return None
        position = match.end()
        branch = _branch(match)
        if not match["if"] and (branch.quoted or branch.answer not in _YES_WORDS | _NO_WORDS):
            return None  # "Tidak: kembali ke no. 3" names its answer; other words are remarks
        branches.append(branch)
    if rest[position:].strip(" .;,") or not branches:
        return None
    if len(branches) == 1:
        # Only where "tidak" goes, as officials often write it.
        (only,) = branches
        if only.quoted or only.answer not in _NO_WORDS:
            return None
        branches = [NoteBranch(DecisionAnswer.NO.value, only.target, True, only.output)]
        return FlowNote(question=question, branches=tuple(branches))
    return FlowNote(question=question, branches=tuple(_as_approval(branches)))


def _branch(match: re.Match[str]) -> NoteBranch:
    raw = match["answer"].strip()
    quoted = raw[:1] in '"“'
    answer = raw.strip('"“”').strip() if quoted else raw.lower()
    verb = (match["verb"] or "").lower()
    target = FINISH if match["finish"] else _target_of(match)
    rejects = verb.startswith(("kembali", "dikembalikan"))
    output = (match["output"] or "").strip() or None
    return NoteBranch(answer, target, rejects, output, quoted=quoted)


def _target_of(match: re.Match[str]) -> str:
    """The target as `written` writes it: the number, and its row when given."""
    number = match["target"].rstrip(".")
    return f"{number} (baris {int(match['row'])})" if match["row"] else number


def _as_approval(branches: list[NoteBranch]) -> list[NoteBranch]:
    """Two unquoted answers such as "ya" / "tidak sesuai" are an approval: keyed ya / tidak."""
    if len(branches) != 2:
        return branches
    first, second = branches
    if not first.quoted and first.answer in _YES_WORDS and second.answer in _NO_WORDS:
        return [
            NoteBranch(DecisionAnswer.YES.value, first.target, False, first.output),
            NoteBranch(DecisionAnswer.NO.value, second.target, True, second.output),
        ]
    return branches
