"""Reading a step's `waktu` and `waktu_ulang` out of a definition file.

Either a text, read by `parse_standard_time` ("5 Menit", "1 (satu) hari"), or, for a document
whose wording cannot be read ("1-2 hari", "segera", "sesuai jadwal"), a mapping
`{tertulis: <as the document writes it>, baku: <a readable standard>}`: officials are shown
`tertulis`, the clock counts `baku`. See docs/sop-format.md, "Standard times".
"""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import MappingNode, Node

from sopbot.engine.durations import DurationError, StandardTime, parse_standard_time
from sopbot.engine.limits import TEXT_CAPS
from sopbot.engine.yaml_nodes import NodeReader, line_of

_KEPT_WORDING = {
    "tertulis": "the time as the document writes it",
    "baku": "the standard the clock counts, e.g. '2 Hari'",
}


def standard_time_field(
    r: NodeReader, node: Node | None, where: str, key: str = "waktu"
) -> StandardTime | None:
    """The standard time in `key` of a step (`where` names the step, e.g. "step 4"); None, with
    the problem recorded on the reader, when it cannot be read or is absent."""
    if node is None:
        return None
    field = f"'{key}' of {where}"
    if not isinstance(node, MappingNode):
        return _read(r, node, field)
    fields = r.mapping(node, field, required=_KEPT_WORDING)
    if fields is None:
        return None
    written = (
        r.text(
            fields["tertulis"],
            f"'tertulis' of {field}",
            cap=TEXT_CAPS["langkah.waktu"],
            allow_empty=False,
        )
        if "tertulis" in fields
        else None
    )
    standard = _read(r, fields["baku"], f"'baku' of {field}") if "baku" in fields else None
    if written is None or standard is None:
        return None
    return replace(standard, as_written=written, counted_as=standard.as_written)


def _read(r: NodeReader, node: Node, field: str) -> StandardTime | None:
    text = r.text(node, field, cap=TEXT_CAPS["langkah.waktu"], allow_empty=False)
    if text is None:
        return None
    try:
        return parse_standard_time(text)
    except DurationError as exc:
        r.error(line_of(node), f"{field}: {exc}")
        return None
