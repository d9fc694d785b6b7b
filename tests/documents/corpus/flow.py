"""Where a decision leads when the document does not write it, and the Keterangan notes that
write it in the ways officials do.

The usual reading of an unwritten diamond (what an official reading the flowchart assumes, and
what the truth expects where nothing else says it): "ya" goes on to the next row (or ends the
procedure on the last row); "tidak" goes back to the nearest earlier step done by another role
(the work goes back to whoever handed it on).
"""

from __future__ import annotations

from tests.documents.corpus.model import FINISH, NoteStyle, Sop, Step


def usual_yes(sop: Sop, step: Step) -> str:
    """The next row's number, or FINISH on the last row."""
    index = sop.steps.index(step)
    return sop.steps[index + 1].no if index + 1 < len(sop.steps) else FINISH


def usual_no(sop: Sop, step: Step) -> str | None:
    """The nearest earlier step whose executors are none of the decision's, or None."""
    index = sop.steps.index(step)
    for earlier in reversed(sop.steps[:index]):
        if not set(earlier.by) & set(step.by):
            return earlier.no
    return None


def follows_usual_reading(sop: Sop, step: Step) -> bool:
    """True when the usual reading gives this decision's targets."""
    return step.ya == usual_yes(sop, step) and step.tidak == usual_no(sop, step)


def flow_note(sop: Sop, step: Step, style: NoteStyle) -> str:
    """The note written for a decision in Keterangan under `style` ("" when none)."""
    if not step.decision or style == "none":
        return ""
    assert step.ya is not None
    assert step.tidak is not None
    if style == "needed":
        if follows_usual_reading(sop, step):
            return ""
        style = "langkah"
    skips = step.ya != usual_yes(sop, step)
    if style == "plain":
        yes = "selesai" if step.ya == FINISH else f"lanjut ke langkah {step.ya}"
        return f"Jika ya: {yes}. Jika tidak: kembali ke langkah {step.tidak}."
    if style == "no":
        text = f"Tidak: kembali ke no. {step.tidak}"
        if skips:
            yes = "selesai" if step.ya == FINISH else f"lanjut ke no. {step.ya}"
            text = f"Ya: {yes}\n{text}"
        return text
    text = f"Jika tidak sesuai, dikembalikan ke langkah {step.tidak}"
    if skips:
        yes = "selesai" if step.ya == FINISH else f"lanjut ke langkah {step.ya}"
        text = f"Jika sesuai, {yes}. {text}."
    return text


def keterangan(sop: Sop, step: Step, style: NoteStyle) -> str:
    """The whole Keterangan cell: the step's own remarks, then its flow note."""
    parts = [p for p in (step.keterangan, flow_note(sop, step, style)) if p]
    return "\n".join(parts)
