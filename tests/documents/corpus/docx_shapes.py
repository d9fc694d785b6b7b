"""The flowchart symbols of a Word SOP as WordprocessingML: DrawingML shapes (wps:wsp), the same
wrapped in mc:AlternateContent with a VML fallback (as Word writes them), old-style VML shapes,
and connector lines. Each function returns the XML of one run (w:r)."""

from __future__ import annotations

from typing import Final, Literal
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement

Shape = Literal["process", "terminator", "decision", "offpage"]

NAMESPACES: Final = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office"'
)
EMU_PER_CM: Final = 360_000
PT_PER_CM: Final = 72 / 2.54

FLOWCHART_PRESETS: Final = {
    "process": "flowChartProcess",
    "terminator": "flowChartTerminator",
    "decision": "flowChartDecision",
    "offpage": "flowChartOffpageConnector",
}
PLAIN_PRESETS: Final = {
    "process": "rect",
    "terminator": "roundRect",
    "decision": "diamond",
    "offpage": "flowChartOffpageConnector",
}


def _emu(cm: float) -> int:
    return round(cm * EMU_PER_CM)


def _text_box(text: str) -> str:
    if not text:
        return ""
    return (
        '<wps:txbx><w:txbxContent><w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
        '<w:r><w:rPr><w:sz w:val="12"/></w:rPr>'
        f"<w:t>{escape(text)}</w:t></w:r></w:p></w:txbxContent></wps:txbx>"
    )


def _anchor(shape_id: int, name: str, x: float, y: float, w: float, h: float, body: str) -> str:
    return (
        f'<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" '
        f'relativeHeight="{251_659_264 + shape_id}" behindDoc="0" locked="0" layoutInCell="1" '
        'allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="column"><wp:posOffset>{_emu(x)}</wp:posOffset>'
        "</wp:positionH>"
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{_emu(y)}</wp:posOffset>'
        "</wp:positionV>"
        f'<wp:extent cx="{_emu(w)}" cy="{_emu(h)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:wrapNone/><wp:docPr id="{shape_id}" name="{escape(name)} {shape_id}"/>'
        "<wp:cNvGraphicFramePr/>"
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        f'wordprocessingShape">{body}</a:graphicData></a:graphic></wp:anchor>'
    )


def _wsp(preset: str, w: float, h: float, text: str) -> str:
    return (
        "<wps:wsp><wps:cNvSpPr/><wps:spPr>"
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>'
        f'<a:prstGeom prst="{preset}"><a:avLst/></a:prstGeom><a:solidFill>'
        '<a:srgbClr val="FFFFFF"/></a:solidFill><a:ln w="9525"><a:solidFill>'
        '<a:srgbClr val="000000"/></a:solidFill></a:ln></wps:spPr>'
        f'{_text_box(text)}<wps:bodyPr lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr"/>'
        "</wps:wsp>"
    )


def drawing(
    shape_id: int,
    shape: Shape,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str = "",
    *,
    plain: bool = False,
) -> str:
    """A DrawingML shape anchored in the cell's paragraph (a w:drawing)."""
    preset = (PLAIN_PRESETS if plain else FLOWCHART_PRESETS)[shape]
    name = f"Flowchart: {shape.title()}" if not plain else "Shape"
    return f"<w:drawing>{_anchor(shape_id, name, x, y, w, h, _wsp(preset, w, h, text))}</w:drawing>"


def _vml_style(x: float, y: float, w: float, h: float, shape_id: int) -> str:
    return (
        f"position:absolute;margin-left:{x * PT_PER_CM:.1f}pt;margin-top:{y * PT_PER_CM:.1f}pt;"
        f"width:{w * PT_PER_CM:.1f}pt;height:{h * PT_PER_CM:.1f}pt;z-index:{shape_id};"
        "mso-position-horizontal-relative:text;mso-position-vertical-relative:text"
    )


def _vml_text(text: str) -> str:
    if not text:
        return ""
    return (
        '<v:textbox inset="0,0,0,0"><w:txbxContent><w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
        f'<w:r><w:rPr><w:sz w:val="12"/></w:rPr><w:t>{escape(text)}</w:t></w:r></w:p>'
        "</w:txbxContent></v:textbox>"
    )


def vml(shape_id: int, shape: Shape, x: float, y: float, w: float, h: float, text: str = "") -> str:
    """An old-style VML shape (w:pict): v:rect, v:roundrect, or v:shape of the decision type."""
    style = _vml_style(x, y, w, h, shape_id)
    common = f'id="_x0000_s{1025 + shape_id}" style="{style}" strokeweight=".5pt"'
    inner = _vml_text(text)
    if shape == "process":
        return f"<w:pict><v:rect {common}>{inner}</v:rect></w:pict>"
    if shape == "terminator":
        return f'<w:pict><v:roundrect {common} arcsize=".5">{inner}</v:roundrect></w:pict>'
    if shape == "decision":
        shapetype = (
            '<v:shapetype id="_x0000_t110" coordsize="21600,21600" o:spt="110" '
            'path="m10800,l,10800,10800,21600,21600,10800xe"><v:stroke joinstyle="miter"/>'
            '<v:path gradientshapeok="t" o:connecttype="rect" textboxrect="5400,5400,16200,16200"/>'
            "</v:shapetype>"
        )
        return (
            f'<w:pict>{shapetype}<v:shape {common} type="#_x0000_t110">{inner}</v:shape></w:pict>'
        )
    shapetype = (
        '<v:shapetype id="_x0000_t177" coordsize="21600,21600" o:spt="177" '
        'path="m,l21600,r,17255l10800,21600,,17255xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect" textboxrect="0,0,21600,17255"/>'
        "</v:shapetype>"
    )
    return f'<w:pict>{shapetype}<v:shape {common} type="#_x0000_t177">{inner}</v:shape></w:pict>'


def with_fallback(
    shape_id: int, shape: Shape, x: float, y: float, w: float, h: float, text: str = ""
) -> str:
    """The DrawingML shape with its VML fallback, as Word 2010 and later write a shape."""
    return (
        '<mc:AlternateContent><mc:Choice Requires="wps">'
        f"{drawing(shape_id, shape, x, y, w, h, text, plain=True)}</mc:Choice>"
        f"<mc:Fallback>{vml(shape_id, shape, x, y, w, h, text)}</mc:Fallback>"
        "</mc:AlternateContent>"
    )


def connector(
    shape_id: int, x: float, y: float, w: float, h: float, *, bent: bool, up: bool = False
) -> str:
    """A connector line with an arrowhead (a straight or elbow connector), as a w:drawing."""
    preset = "bentConnector3" if bent else "straightConnector1"
    flip = ' flipV="1"' if up else ""
    body = (
        "<wps:wsp><wps:cNvCnPr/><wps:spPr>"
        f'<a:xfrm{flip}><a:off x="0" y="0"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>'
        f'<a:prstGeom prst="{preset}"><a:avLst/></a:prstGeom><a:noFill/>'
        '<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
        '<a:tailEnd type="triangle"/></a:ln></wps:spPr><wps:bodyPr/></wps:wsp>'
    )
    return (
        f"<w:drawing>{_anchor(shape_id, 'Straight Arrow Connector', x, y, w, h, body)}</w:drawing>"
    )


def run_element(inner: str) -> BaseOxmlElement:
    """A w:r holding `inner` (a drawing, a pict or an mc:AlternateContent)."""
    element: BaseOxmlElement = parse_xml(f"<w:r {NAMESPACES}>{inner}</w:r>")
    return element
