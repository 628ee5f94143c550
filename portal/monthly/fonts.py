"""The CJK font of the PDF reports: found once, registered once under a fixed name.

A TrueType CJK font is embedded (as a subset) in every PDF, so the report reads the same in any
viewer. ReportLab's built-in `STSong-Light` is a CID font that is *not* embedded: the viewer must
have a matching font, and many (pdf.js, poppler without CJK data) show boxes or nothing. It is
only the last resort, so the portal keeps working on a machine without a CJK TrueType font.
CFF-based OpenType fonts (Noto CJK `.otf`) are refused by ReportLab; `.ttc` files are tried and
skipped when they do not load.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_NAME = "PortalCJK"
FALLBACK_FONT = "STSong-Light"
ENV_VAR = "PORTAL_CJK_FONT"

# Tried in this order after the PORTAL_CJK_FONT path. (path, subfont index in a .ttc)
KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallback.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 0),
)


@dataclass(frozen=True)
class CJKFont:
    """The font the reports use: its registered name, where it came from, whether it embeds."""

    name: str
    path: str | None
    embedded: bool


_lock = threading.Lock()
_registered: CJKFont | None = None


def candidates() -> list[tuple[str, int]]:
    """Font files to try, the PORTAL_CJK_FONT path first."""
    found: list[tuple[str, int]] = []
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        found.append((configured, 0))
    found.extend(KNOWN_FONTS)
    return found


def load_truetype(paths: list[tuple[str, int]], name: str = FONT_NAME) -> TTFont | None:
    """The first file that ReportLab loads as a TrueType font, or None."""
    for path, index in paths:
        if not Path(path).is_file():
            continue
        try:
            return TTFont(name, path, subfontIndex=index)
        except (TTFError, OSError, ValueError) as error:
            log.info("CJK font %s not usable: %s", path, error)
    return None


def discover(paths: list[tuple[str, int]] | None = None) -> CJKFont:
    """Register the first usable TrueType CJK font, else STSong-Light (built in, not embedded)."""
    font = load_truetype(candidates() if paths is None else paths)
    if font is None:
        log.warning(
            "No TrueType CJK font found (set %s or install fonts-wqy-microhei); the monthly "
            "PDF uses %s, which is not embedded: viewers without it may not show the Chinese.",
            ENV_VAR,
            FALLBACK_FONT,
        )
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        _map_styles(FALLBACK_FONT)
        return CJKFont(FALLBACK_FONT, None, embedded=False)
    pdfmetrics.registerFont(font)
    _map_styles(FONT_NAME)
    return CJKFont(FONT_NAME, font.face.filename, embedded=True)


def _map_styles(name: str) -> None:
    # One weight only: <b> and <i> in a Paragraph map to the same face instead of failing.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)


def cjk_font() -> CJKFont:
    """The registered report font; found and registered on first use, once per process."""
    global _registered
    if _registered is None:
        with _lock:
            if _registered is None:
                _registered = discover()
    return _registered
