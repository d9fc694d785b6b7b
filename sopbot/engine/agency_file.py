"""The agency file: `<root>/<agency>/instansi.yaml`, the agency's own settings next to its SOPs.

It holds what belongs to the agency rather than to one SOP: its time zone (required, never
assumed: a WITA office counted on WIB time has every due time an hour off) and, optionally, its
name as the agency writes it. The library reads it with the agency's SOP files and never as an
SOP; `sopbot sop validate` reports a folder without it, or a zone it cannot place, as an error.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sopbot.engine.problems import Problem
from sopbot.engine.time_zones import INDONESIAN_ZONES, agency_zone
from sopbot.engine.yaml_nodes import NodeReader, is_null, line_of

AGENCY_FILE = "instansi.yaml"
"""The agency file's name in each agency folder; no SOP may be named so."""

MAX_AGENCY_FILE_BYTES = 64_000
"""An agency file holds two short lines; anything this big is not one."""

MAX_AGENCY_NAME = 300
"""The most characters of the agency's name as written."""

ACCEPTED_ZONES = (
    ", ".join(f"{short} ({zone})" for short, zone in INDONESIAN_ZONES.items())
    + ", or an IANA name such as Asia/Pontianak"
)
"""The zones an admin may write, as the messages name them."""

EXAMPLE = "zona_waktu: WITA"


@dataclass(frozen=True, slots=True)
class AgencySettings:
    """What an agency folder's agency file says."""

    key: str
    timezone: str  # the IANA name, e.g. Asia/Makassar
    timezone_written: str  # as the file writes it, e.g. WITA
    name: str | None  # the agency's name as written, when the file gives it
    source: str  # the file, for messages


def missing_agency_file(folder: Path) -> Problem:
    """The problem of an agency folder with SOPs and no agency file."""
    return Problem(
        str(folder / AGENCY_FILE),
        1,
        f"the agency folder '{folder.name}' has no agency file {AGENCY_FILE}; create it with the "
        f"agency's time zone, e.g. the line '{EXAMPLE}' (accepted: {ACCEPTED_ZONES})",
    )


def load_agency_file(path: Path, *, agency_key: str) -> tuple[AgencySettings | None, list[Problem]]:
    """Read an agency file; its settings (None when it has errors) and its problems."""
    shown = str(path)
    try:
        data = _read_small(path)
    except OSError as exc:
        return None, [Problem(shown, 1, f"cannot read the file: {exc.strerror}")]
    if isinstance(data, str):
        return None, [Problem(shown, 1, data)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(shown, 1, "the file is not UTF-8 text; save it as UTF-8")]
    return parse_agency_file(text, source=shown, agency_key=agency_key)


def parse_agency_file(
    text: str, *, source: str, agency_key: str
) -> tuple[AgencySettings | None, list[Problem]]:
    """Parse an agency file's text; its settings (None when it has errors) and its problems."""
    reader = NodeReader(source)
    root = reader.compose(text)
    if root is None:
        if not reader.problems:  # an empty file or only comments
            reader.error(1, f"the agency file is empty; write at least the line '{EXAMPLE}'")
        return None, reader.problems
    where = "the agency file"
    fields = reader.mapping(
        root,
        where,
        required={"zona_waktu": f"the agency's time zone: {ACCEPTED_ZONES}"},
        optional=("nama",),
    )
    if fields is None:
        return None, reader.problems
    name = reader.optional_text(fields.get("nama"), "'nama'", cap=MAX_AGENCY_NAME)
    zone_node = fields.get("zona_waktu")
    written = zone = None
    if zone_node is not None:
        if is_null(zone_node):
            reader.error(
                line_of(zone_node), f"'zona_waktu' is empty; write one of {ACCEPTED_ZONES}"
            )
        else:
            written = reader.text(zone_node, "'zona_waktu'", cap=64, allow_empty=False)
        if written is not None:
            try:
                zone = agency_zone(written)
            except ValueError:
                reader.error(
                    line_of(zone_node),
                    f"'zona_waktu' is '{written}', which is not a time zone; write one of "
                    f"{ACCEPTED_ZONES}",
                )
    if reader.has_errors or zone is None or written is None:
        return None, reader.problems
    return AgencySettings(agency_key, zone, written, name or None, source), reader.problems


def _read_small(path: Path) -> bytes | str:
    """The file's bytes, or (as text) the reason they are not read."""
    # As the SOP loader does: opened without blocking (a pipe cannot hang the start-up), and
    # never more than the cap read, whatever size the file claims.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return f"this is not a regular file; {AGENCY_FILE} is a short YAML file"
        data = file.read(MAX_AGENCY_FILE_BYTES + 1)
    if len(data) > MAX_AGENCY_FILE_BYTES:
        return (
            f"the file is over {MAX_AGENCY_FILE_BYTES:,} bytes; an agency file holds a few short "
            f"lines, e.g. '{EXAMPLE}'"
        )
    return data
