"""Flowchart symbols in Word: DrawingML shapes (`wps:wsp`) with the flowchart preset geometries,
anchored in the paragraph of a table cell (`wp:anchor layoutInCell="1"`), centred in the cell.

This is how Word users draw an SOP's flowchart, and how the importer finds the executors: the
role cell that holds a shape is the executor's, a shape in a merged cell spans its roles.
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


class ShapeIds:
    """The document-wide ids Word wants on each drawing (`wp:docPr id`)."""

    def __init__(self) -> None:
        self._next = count(1)

    def take(self) -> int:
        """A fresh id."""
        return next(self._next)


def add_symbol(
    cell: _Cell,
    shape: Shape,
    *,
    width: float,
    height: float,
    top: float,
    ids: ShapeIds,
    text: str = "",
) -> None:
    """Anchor a flowchart shape of `width` x `height` points in the cell's first paragraph,
    centred across the cell, `top` points below the paragraph's top; `text` inside it."""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run()
    run._r.append(_drawing(shape, width, height, top, ids.take(), text))


def _drawing(
    shape: Shape, width: float, height: float, top: float, shape_id: int, text: str
) -> BaseOxmlElement:
    cx, cy = round(width * EMU_PER_POINT), round(height * EMU_PER_POINT)
    offset = round(top * EMU_PER_POINT)
    body = _text_box(text) if text else ""
    xml = f"""
<w:drawing {_NAMESPACES}>
  <wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{shape_id}"
      behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
    <wp:simplePos x="0" y="0"/>
    <wp:positionH relativeFrom="column"><wp:align>center</wp:align></wp:positionH>
    <wp:positionV relativeFrom="paragraph"><wp:posOffset>{offset}</wp:posOffset></wp:positionV>
    <wp:extent cx="{cx}" cy="{cy}"/>
    <wp:effectExtent l="0" t="0" r="0" b="0"/>
    <wp:wrapNone/>
    <wp:docPr id="{shape_id}" name="{shape.value} {shape_id}"/>
    <wp:cNvGraphicFramePr/>
    <a:graphic>
      <a:graphicData uri="{WPS}">
        <wps:wsp>
          <wps:cNvSpPr/>
          <wps:spPr>
            <a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>
            <a:prstGeom prst="{shape.value}"><a:avLst/></a:prstGeom>
            <a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>
            <a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln>
          </wps:spPr>
          {body}
          <wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0"
              anchor="ctr" anchorCtr="0"><a:noAutofit/></wps:bodyPr>
        </wps:wsp>
      </a:graphicData>
    </a:graphic>
  </wp:anchor>
</w:drawing>"""
    element: BaseOxmlElement = parse_xml(xml)
    return element


def _text_box(text: str) -> str:
    """A shape's own text ("Mulai", "Selesai"), small and centred."""
    return f"""<wps:txbx><w:txbxContent><w:p>
      <w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="center"/></w:pPr>
      <w:r><w:rPr><w:sz w:val="14"/></w:rPr><w:t>{escape(text)}</w:t></w:r>
    </w:p></w:txbxContent></wps:txbx>"""
