"""Drawings in Word table cells: DrawingML shapes (`wps:wsp`) anchored in the first paragraph
of a cell (`wp:anchor layoutInCell="1"`), placed from the cell's top-left corner.

The flowchart symbols use the flowchart preset geometries and are centred in their cell: this
is how Word users draw an SOP's flowchart, and how the importer finds the executors (the role
cell that holds a `flowChart...` shape is the executor's; a shape in a merged cell spans its
roles). Arrows are straight connectors (`straightConnector1`, a triangle at the end of the last
piece), labels and the small end marks are plain shapes, so that no cell holds a second
flowchart shape.
"""

from __future__ import annotations

from itertools import count
from typing import Final
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import _Cell

from sopbot.documents.flowchart import Shape

EMU_PER_POINT: Final = 12700
WPS: Final = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_NAMESPACES: Final = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    f'xmlns:wps="{WPS}"'
)
_BLACK: Final = '<a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
END_MARK: Final = "roundRect"  # the small "Selesai" under a diamond: not an executor's symbol


class ShapeIds:
    """The document-wide ids Word wants on each drawing (`wp:docPr id`)."""

    def __init__(self) -> None:
        self._next = count(1)

    def take(self) -> int:
        """A fresh id."""
        return next(self._next)


def _emu(points: float) -> int:
    return round(points * EMU_PER_POINT)


def add_symbol(  # noqa: PLR0913 - a shape's size, place and words, named
    cell: _Cell,
    shape: Shape | str,
    *,
    width: float,
    height: float,
    top: float,
    ids: ShapeIds,
    text: str = "",
    left: float | None = None,
    text_size: float = 7,
) -> None:
    """Anchor a shape of `width` x `height` points in the cell, `top` points below the cell's
    top and centred across it (or `left` points from its left side); `text` inside it."""
    geometry = shape.value if isinstance(shape, Shape) else shape
    body = _text_box(text, text_size) if text else ""
    shape_xml = f"""
        <wps:wsp>
          <wps:cNvSpPr/>
          <wps:spPr>
            <a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(width)}" cy="{_emu(height)}"/></a:xfrm>
            <a:prstGeom prst="{geometry}"><a:avLst/></a:prstGeom>
            <a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>
            <a:ln w="9525">{_BLACK}</a:ln>
          </wps:spPr>
          {body}
          <wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0"
              anchor="ctr" anchorCtr="0"><a:noAutofit/></wps:bodyPr>
        </wps:wsp>"""
    _anchor(cell, shape_xml, geometry, left, top, width, height, ids)


def add_line(
    cell: _Cell,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    head: bool,
    ids: ShapeIds,
) -> None:
    """A straight piece of an arrow from `start` to `end` (points from the cell's top-left
    corner), with an arrowhead at `end` when `head`."""
    left, top = min(start[0], end[0]), min(start[1], end[1])
    width, height = abs(end[0] - start[0]), abs(end[1] - start[1])
    flips = ""
    if end[0] < start[0]:
        flips += ' flipH="1"'
    if end[1] < start[1]:
        flips += ' flipV="1"'
    tail = '<a:tailEnd type="triangle" w="sm" len="sm"/>' if head else ""
    shape_xml = f"""
        <wps:wsp>
          <wps:cNvCnPr/>
          <wps:spPr>
            <a:xfrm{flips}><a:off x="0" y="0"/><a:ext cx="{_emu(width)}" cy="{_emu(height)}"/>
            </a:xfrm>
            <a:prstGeom prst="straightConnector1"><a:avLst/></a:prstGeom>
            <a:ln w="8890">{_BLACK}{tail}</a:ln>
          </wps:spPr>
          <wps:bodyPr/>
        </wps:wsp>"""
    _anchor(cell, shape_xml, "straightConnector1", left, top, width, height, ids)


def add_label(
    cell: _Cell, text: str, *, left: float, top: float, width: float, ids: ShapeIds
) -> None:
    """Words beside an arrow ("ya", "tidak"), without a frame."""
    shape_xml = f"""
        <wps:wsp>
          <wps:cNvSpPr txBox="1"/>
          <wps:spPr>
            <a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(width)}" cy="{_emu(9)}"/></a:xfrm>
            <a:prstGeom prst="rect"><a:avLst/></a:prstGeom>
            <a:noFill/>
            <a:ln><a:noFill/></a:ln>
          </wps:spPr>
          {_text_box(text, 7, centred=False)}
          <wps:bodyPr rot="0" vert="horz" wrap="none" lIns="0" tIns="0" rIns="0" bIns="0"
              anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr>
        </wps:wsp>"""
    _anchor(cell, shape_xml, "label", left, top, width, 9, ids)


def _anchor(
    cell: _Cell,
    shape_xml: str,
    name: str,
    left: float | None,
    top: float,
    width: float,
    height: float,
    ids: ShapeIds,
) -> None:
    shape_id = ids.take()
    horizontal = (
        "<wp:align>center</wp:align>"
        if left is None
        else f"<wp:posOffset>{_emu(left)}</wp:posOffset>"
    )
    xml = f"""
<w:drawing {_NAMESPACES}>
  <wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{shape_id}"
      behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
    <wp:simplePos x="0" y="0"/>
    <wp:positionH relativeFrom="column">{horizontal}</wp:positionH>
    <wp:positionV relativeFrom="paragraph"><wp:posOffset>{_emu(top)}</wp:posOffset></wp:positionV>
    <wp:extent cx="{_emu(width)}" cy="{_emu(height)}"/>
    <wp:effectExtent l="0" t="0" r="0" b="0"/>
    <wp:wrapNone/>
    <wp:docPr id="{shape_id}" name="{name} {shape_id}"/>
    <wp:cNvGraphicFramePr/>
    <a:graphic>
      <a:graphicData uri="{WPS}">{shape_xml}
      </a:graphicData>
    </a:graphic>
  </wp:anchor>
</w:drawing>"""
    drawing: BaseOxmlElement = parse_xml(xml)
    cell.paragraphs[0].add_run()._r.append(drawing)


def _text_box(text: str, size: float, *, centred: bool = True) -> str:
    """A shape's own words ("Mulai", "Selesai", "ya"), small."""
    alignment = '<w:jc w:val="center"/>' if centred else ""
    return f"""<wps:txbx><w:txbxContent><w:p>
      <w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>{alignment}
      </w:pPr>
      <w:r><w:rPr><w:sz w:val="{round(size * 2)}"/></w:rPr><w:t>{escape(text)}</w:t></w:r>
    </w:p></w:txbxContent></wps:txbx>"""
