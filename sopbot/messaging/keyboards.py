"""Inline keyboards as plain data, and callback data that fits Telegram's 64 bytes.

Callback data carries only an action code and ids; everything else is looked up on the server,
which also decides whether the person pressing may do it. Data that does not decode is treated
as forged or stale.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

CALLBACK_LIMIT = 64  # bytes
_PART = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Action(StrEnum):
    """What a button asks for; the code is what travels in the callback data."""

    COMPLETE = "s"  # Selesai
    YES = "y"  # Sesuai (a decision)
    NO = "t"  # Tidak sesuai (a decision; asks for a reason)
    ANSWER = "j"  # a labelled answer of a question (jawaban): the branch's key follows
    ANSWER_BACK = "b"  # a labelled answer that sends the work back: asks for a reason first
    SEND_BACK = "k"  # Kembalikan (asks for a reason)
    HAND_OVER = "a"  # Alihkan: shows colleagues
    HAND_TO = "h"  # Alihkan to this colleague (asks for a reason)
    CLAIM = "m"  # Ambil: a team member takes the step
    UPLOAD_FOR = "u"  # the file just sent is for this disposition
    PICK_SOP = "p"  # /mulai: this SOP
    SKIP = "n"  # skip an optional input (the note of /mulai)
    CANCEL_INPUT = "x"  # stop waiting for input
    LANGUAGE = "l"  # /bahasa
    INVITE = "i"  # /undang: invite for this position
    STATUS = "r"  # /riwayat or /status of this instance
    SOP_IMPORT = "o"  # /sop: import an SOP document (asks for the file)
    SOP_DOCUMENT = "d"  # /sop: this installed version as a PDF
    SOP_REVIEW = "v"  # a button of an imported SOP's review: the draft, its turn, what
    SOP_PAGE = "g"  # /sop: another page of the agency's SOPs
    CANCEL_PROCEDURE = "C"  # /batal: cancel this procedure (asks for the reason)
    CANCEL_PAGE = "Cp"  # /batal: another page of the procedures one may cancel
    CANCEL_CONFIRM = "Cy"  # /batal: yes, cancel it (with the reason given)
    CANCEL_KEEP = "Cn"  # /batal: no, keep it running (also "Batal" under its reason question)
    MOVE_STEP = "Cm"  # /pindah, /status NO: move this live disposition (shows who may take it)
    MOVE_TO = "Ct"  # /pindah: move it to this member (asks for the reason)
    # /jabatan (the "J" codes): a page of the list; a position; add; rename; its roles; the
    # SOPs and then the roles to give it; give one; take one away (ask, then do); remove
    # (ask, then do). Each carries ids only; the server checks them against the admin's agency.
    POSITIONS_PAGE = "Jl"
    POSITION_SHOW = "Jv"
    POSITION_ADD = "Jt"
    POSITION_RENAME = "Jn"
    POSITION_ROLES = "Jg"
    POSITION_SOPS = "Jp"
    POSITION_SOP_ROLES = "Js"
    POSITION_MAP = "Jm"
    POSITION_UNMAP_ASK = "Ju"
    POSITION_UNMAP = "Jx"
    POSITION_REMOVE_ASK = "Jd"
    POSITION_REMOVE = "Jr"
    PEOPLE_PAGE = "M"  # /pegawai: a page of the agency's members
    PEOPLE_CARD = "Mc"  # /pegawai: one member and what can be done to them
    PEOPLE_MOVE = "Mm"  # mutasi of a member: [new position [, position left or "a": all]]
    PEOPLE_TAKE = "Ma"  # Tambah jabatan: [the position]
    PEOPLE_DROP = "Ml"  # Lepas jabatan: [the position]
    PEOPLE_ADMIN = "Md"  # Jadikan / Cabut admin: 1 or 0
    PEOPLE_DEACTIVATE = "Mx"  # Nonaktifkan: asks; with "y", done
    PEOPLE_INVITATIONS = "Mi"  # the agency's open invitations: a page
    PEOPLE_REVOKE = "Mr"  # Cabut this invitation
    PEOPLE_RELINK = "Mn"  # Tautan baru: a new link for a member who has not joined
    INVITE_PAGE = "Ig"  # /undang: another page of the positions
    OPERATOR_PAGE = "O"  # /instansi (operators): another page of the agencies
    OPERATOR_AGENCY = "Oi"  # /instansi: one agency, its admins and open admin invitations
    OPERATOR_NEW = "On"  # /instansi: create an agency (asks its name)
    OPERATOR_CHOICE = "Os"  # a new agency's question: the flow, the stage it answers, the choice
    OPERATOR_CREATE = "Oc"  # "Buat": create the agency of the flow's summary
    OPERATOR_ADMIN = "Oa"  # "Tunjuk admin" of an agency (asks the admin's name)
    OPERATOR_REVOKE = "Or"  # "Cabut": revoke an agency's open admin invitation
    CALENDAR_HOURS = "K"  # /kalender jam: the working hours and periods again
    CALENDAR_PERIOD_ASK = "Kh"  # /kalender jam: remove this period? (its first day)
    CALENDAR_PERIOD_REMOVE = "Kx"  # confirmed: remove the period that starts on this day
    ROSTER = "R"  # a roster import's preview: the roster, its turn, what (page, create, cancel)
    # /plt (Plt/Plh): the flow's buttons carry its token and turn, the server checks them
    PLT_NEW = "Pn"  # start appointing a Plt/Plh
    PLT_PICK = "Pp"  # an answer of the appointment's current question
    PLT_PAGE = "Pg"  # another page of the current question's choices
    PLT_CANCEL = "Px"  # stop appointing
    PLT_APPOINT = "Pa"  # "Tunjuk": appoint as answered
    PLT_END = "Pe"  # "Akhiri" a term: asks to confirm
    PLT_END_CONFIRM = "Pk"  # end the term now
    PLT_END_KEEP = "Pc"  # do not end it after all
    PLT_LIST_PAGE = "Pl"  # another page of the terms in office and scheduled
    # The letter a procedure is about (the "L" codes, issue 21): at /mulai, skip a question of
    # the letter (its part: "n" the number, so no letter at all; "d" its date; "s" its sender);
    # /surat: change a part of a procedure's letter [instance, part] (asks for it), remove the
    # letter [instance] (asks to confirm), removed [instance], kept after all.
    LETTER_SKIP = "Ln"
    LETTER_EDIT = "Le"
    LETTER_CLEAR = "Lc"
    LETTER_CLEAR_CONFIRM = "Ly"
    LETTER_CLEAR_KEEP = "Lk"
    # /laporan (the "Q" codes): every choice travels in the buttons, checked on the server
    REPORT_PAGE = "Qp"  # another page of the agency's SOPs
    REPORT_SCOPE = "Qs"  # this SOP (its short ref) or the whole agency: asks the period
    REPORT_PERIOD = "Qt"  # [scope, period, paper]: offers the reports
    REPORT_MAKE = "Qk"  # [scope, period, report, paper]: make and send the files
    # /cari, /arsip, /ekspor (the "A" codes): a page of the results (the search is the one its
    # message shows); a procedure of them (its id); its zip. The server checks each again.
    ARCHIVE_PAGE = "Ap"
    ARCHIVE_OPEN = "Ao"
    ARCHIVE_EXPORT = "Ae"


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: its label and its callback data."""

    text: str
    data: str


Keyboard = list[list[Button]]


def callback(action: Action, *parts: str | int | uuid.UUID) -> str:
    """Encode a button's data; raises ValueError if it would not fit or is malformed."""
    encoded = [p.hex if isinstance(p, uuid.UUID) else str(p) for p in parts]
    for part in encoded:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} is not a short id")
    data = ":".join([action.value, *encoded])
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


@dataclass(frozen=True, slots=True)
class Pressed:
    """Decoded callback data: the action and its id parts (still to be checked on the server)."""

    action: Action
    parts: tuple[str, ...]

    def uuid_at(self, index: int) -> uuid.UUID | None:
        """A part read as a UUID, or None when it is not one."""
        try:
            return uuid.UUID(hex=self.parts[index])
        except (IndexError, ValueError):
            return None

    def part(self, index: int) -> str | None:
        """A part as text, or None when there is none."""
        return self.parts[index] if 0 <= index < len(self.parts) else None

    def int_at(self, index: int) -> int | None:
        """A part read as a non-negative whole number, or None."""
        try:
            text = self.parts[index]
        except IndexError:
            return None
        return int(text) if text.isdigit() and len(text) <= 18 else None


def decode(data: str | None) -> Pressed | None:
    """Read callback data; None for anything that is not data this bot makes."""
    if not data or len(data.encode("utf-8")) > CALLBACK_LIMIT:
        return None
    code, *parts = data.split(":")
    try:
        action = Action(code)
    except ValueError:
        return None
    if not all(_PART.match(p) for p in parts):
        return None
    return Pressed(action, tuple(parts))


def to_payload(keyboard: Keyboard | None) -> list[list[dict[str, str]]] | None:
    """A keyboard as JSON for the outbox."""
    if keyboard is None:
        return None
    return [[{"text": b.text, "data": b.data} for b in row] for row in keyboard]


def from_payload(payload: object) -> Keyboard | None:
    """A keyboard read back from the outbox."""
    if not isinstance(payload, list):
        return None
    return [[Button(str(b["text"]), str(b["data"])) for b in row] for row in payload]
