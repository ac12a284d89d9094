"""What every xlsx and PDF export in the product shares.

* ``as_text(cell, value)``: user text is written as a string cell. openpyxl would store a
  value starting with ``=`` as a live formula (formula injection, OWASP); forcing the cell
  type keeps ``=HYPERLINK(...)`` typed into a form as harmless text.
* ``cjk_font()``: the name of reportlab's built-in Chinese CID font, registered once per
  process. It ships with reportlab, so nothing is downloaded."""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

CJK_FONT = "STSong-Light"


def as_text(cell, value):
    """Put ``value`` into ``cell`` as text (None -> empty); returns the cell for chaining."""
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"
    return cell


def cjk_font() -> str:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT
