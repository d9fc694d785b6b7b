"""How every chart sopbot draws looks: one figure size for a phone, one font, one palette.

Charts are drawn with matplotlib's Agg backend (no display, no GUI toolkit) in DejaVu Sans,
which ships inside matplotlib, so no system font is needed and Indonesian text (Latin letters,
"–", "…", "≤") renders everywhere. A chart is sized for a phone held upright: 1080 pixels wide,
the width Telegram keeps when it compresses a photo, with text large enough to read there.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from typing import TYPE_CHECKING, Final

import matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Matplotlib keeps caches (fonts, text layout) that are not safe to share between threads, and
# the bot draws in worker threads (/status, /laporan): every chart is drawn under this lock
# (re-entrant: a PNG is made from a figure drawn under it).
DRAWING: Final = threading.RLock()

WIDTH_PX: Final = 1080
DPI: Final = 150  # 1080 px is 7.2 inches at this density
FONT: Final = "DejaVu Sans"

# Colours that stay apart for the colour-blind and on a grey print (Okabe-Ito).
ON_TIME: Final = "#009E73"
LATE: Final = "#D55E00"
STANDARD: Final = "#555555"
RUNNING: Final = "#0072B2"
MUTED: Final = "#BBBBBB"


@cache
def _configured() -> bool:
    # Agg before pyplot is ever imported anywhere in the process: no display is needed.
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [FONT],
            "font.size": 13,
            "axes.titlesize": 16,
            "axes.titleweight": "bold",
            "axes.labelsize": 13,
            "xtick.labelsize": 12,
            "ytick.labelsize": 12,
            "legend.fontsize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "sopbot",  # the same chart twice is the same file
        }
    )
    return True


def new_figure(height_px: int, *, width_px: int = WIDTH_PX) -> Figure:
    """A blank figure of the given size in pixels, in the house style.

    The figure is made without pyplot, so nothing is kept in a global registry and nothing
    has to be closed: it is freed with its last reference.
    """
    _configured()
    from matplotlib.figure import Figure

    return Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, without the timestamp metadata (the same chart, the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
