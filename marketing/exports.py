"""What every xlsx and PDF export in the product shares.

* ``as_text(cell, value)``: user text is written as a string cell. openpyxl would store a
  value starting with ``=`` as a live formula (formula injection, OWASP); forcing the cell
  type keeps ``=HYPERLINK(...)`` typed into a form as harmless text.
* ``cjk_font()``: the name of the Chinese font every PDF uses, registered once per process.
  A real TrueType font is embedded (subset) when one is installed -- WenQuanYi Micro Hei
  from Debian's ``fonts-wqy-microhei`` (Apache-2.0 / GPLv3 with the font embedding
  exception), installed by the Dockerfile, ``.ci/run`` and ``bin/run`` where it can, or any
  TrueType file named by ``PDF_CJK_FONT``. Without one, reportlab's built-in CID font
  STSong-Light is the fallback: it needs no file but is not embedded, and viewers other
  than Adobe's may show blanks for its characters."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

log = logging.getLogger(__name__)

FALLBACK_CID_FONT = "STSong-Light"
EMBEDDED_FONT_NAME = "BranchDeskCJK"
TTF_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
]


def find_cjk_ttf() -> str | None:
    configured = os.environ.get("PDF_CJK_FONT", "")
    for candidate in ([configured] if configured else []) + TTF_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CJK_TTF_PATH = find_cjk_ttf()
# Decided at import (a cheap file check) so modules may keep the name as a constant; the
# font file itself is parsed on the first PDF only.
CJK_FONT = EMBEDDED_FONT_NAME if CJK_TTF_PATH else FALLBACK_CID_FONT


class _CIDUnderAlias(UnicodeCIDFont):
    """STSong-Light registered under the embedded font's name, if that file will not load."""

    def __init__(self, alias: str):
        super().__init__(FALLBACK_CID_FONT)
        self.name = self.fontName = alias


def as_text(cell, value):
    """Put ``value`` into ``cell`` as text (None -> empty); returns the cell for chaining."""
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"
    return cell


def register_cjk_font(name: str, path: str | None) -> str:
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        return name
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except Exception:  # a broken or non-TrueType file: PDFs still render, with the CID font
        log.exception("cannot load the CJK font %s; PDFs fall back to %s", path, FALLBACK_CID_FONT)
        pdfmetrics.registerFont(_CIDUnderAlias(name))
    return name


def cjk_font() -> str:
    return register_cjk_font(CJK_FONT, CJK_TTF_PATH)
