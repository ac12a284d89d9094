"""The one bounded xlsx reader every import uses (reports' roster / collections / targets,
the customer archive import).

An xlsx is a zip of XML files: a 1 MB upload can expand to hundreds of MB of blank rows
or shared strings. Before anything is parsed this reader checks

- the compressed size (``max_bytes``),
- the number of zip members and the sum of their declared uncompressed sizes
  (``max_uncompressed``, with a tighter cap for the shared strings, which openpyxl keeps
  in memory), and
- the real uncompressed size: every member is decompressed once in chunks, counting, and
  refused as soon as it passes its declared size or the cap (a zip entry can lie about
  its size); nothing is kept in memory.

Then openpyxl reads the first sheet in read-only (streaming) mode with the sheet's
``<dimension>`` tag ignored (``reset_dimensions``): a file claiming ``A1:C3`` but holding
40 rows yields 40 rows. Rows, cells and the row width are counted while reading
(``max_rows``, ``max_cells``, ``max_columns``) and the reading has a wall-clock budget
(``max_seconds``). Every failure -- not a zip, not an xlsx, corrupt XML, too big -- is an
``XlsxError`` with a message for the person who uploaded the file; no other exception
leaves ``read_rows``."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

CHUNK = 64 * 1024
DIMENSION_HEAD = 64 * 1024  # <dimension> comes right after <sheetPr>, at the start of the sheet
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")


def _bounded_get_size(self) -> None:
    """Replaces openpyxl's ``ReadOnlyWorksheet._get_size``, which -- for a sheet without a
    ``<dimension>`` tag -- parses the WHOLE sheet into memory at load time just to find
    out there is none (a few MB of ``<row/>`` then cost hundreds of MB). Here only the
    first 64 KB are looked at; the size is a hint anyway (``read_rows`` resets it)."""
    from openpyxl.utils import column_index_from_string

    with self._get_source() as src:
        head = src.read(DIMENSION_HEAD)
    m = _DIMENSION.search(head)
    if m is None:
        return
    c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3) or m.group(1), int(m.group(4) or m.group(2))
    self._min_column, self._min_row = column_index_from_string(c1.decode()), r1
    self._max_column, self._max_row = column_index_from_string(c2.decode()), r2


def _install() -> None:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if getattr(ReadOnlyWorksheet, "_get_size", None) is not _bounded_get_size:
        ReadOnlyWorksheet._get_size = _bounded_get_size


_install()


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024  # the upload itself
    max_uncompressed: int = 60 * 1024 * 1024  # sum of all members, decompressed
    max_shared_strings: int = 16 * 1024 * 1024  # xl/sharedStrings.xml (held in memory by openpyxl)
    max_members: int = 200
    max_rows: int = 200_000  # non-blank rows are counted, blank ones too (they cost parsing time)
    max_cells: int = 2_000_000
    max_seconds: float = 300.0  # wall-clock budget for reading the rows (a loaded worker included)
    max_columns: int = 1024  # one row wider than this is refused (styled cells far right are common, XFD is not)


DEFAULT_LIMITS = Limits()


class XlsxError(Exception):
    """A file the reader refuses; ``str(exc)`` is the message for the uploader."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}"


def check_archive(content: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse before parsing: size, member count, declared and real uncompressed size."""
    if not content:
        raise XlsxError(_("文件为空。"))
    if len(content) > limits.max_bytes:
        raise XlsxError(_("文件超过 %(mb)s MB 上限。") % {"mb": _mb(limits.max_bytes)})
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise XlsxError(_("文件类型不正确：请上传 Excel .xlsx 文件。")) from None
    if len(infos) > limits.max_members:
        raise XlsxError(_("文件结构异常（包含过多部件），已拒绝。"))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise XlsxError(_("文件类型不正确：请上传 Excel .xlsx 文件。"))
    too_big = _("文件解压后超过 %(mb)s MB 上限（可能含有大量空行或空白单元格），已拒绝。") % {
        "mb": _mb(limits.max_uncompressed)}
    if sum(i.file_size for i in infos) > limits.max_uncompressed:
        raise XlsxError(too_big)
    total = 0
    for info in infos:
        cap = limits.max_shared_strings if info.filename.lower() == "xl/sharedstrings.xml" else limits.max_uncompressed
        if info.file_size > cap:
            raise XlsxError(too_big)
        seen = 0
        try:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    seen += len(chunk)
                    total += len(chunk)
                    if seen > info.file_size or seen > cap or total > limits.max_uncompressed:
                        raise XlsxError(too_big)
        except XlsxError:
            raise
        except Exception:  # bad CRC, truncated data, unsupported compression, encrypted member
            raise XlsxError(_("文件已损坏，无法读取：请在 Excel 中重新保存后上传。")) from None


def read_rows(content: bytes, limits: Limits = DEFAULT_LIMITS, *, info: dict | None = None,
              sheet: str | None = None) -> Iterator[tuple]:
    """Rows of the first worksheet as tuples of cell values, every row the file holds (the
    ``<dimension>`` tag is not trusted). Raises ``XlsxError`` -- at the first ``next()``
    for archive problems, later for a row/cell cap or corrupt XML met while reading.
    ``info`` (optional) receives ``declared_rows``: what ``<dimension>`` claims, a hint
    for progress bars only. ``sheet`` names the worksheet to read (default: the first; an
    unknown name also reads the first)."""
    check_archive(content, limits)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise XlsxError(_("文件类型不正确：请上传 Excel .xlsx 文件。")) from None
    try:
        if not wb.worksheets:
            raise XlsxError(_("文件中没有工作表。"))
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        if info is not None:
            try:
                info["declared_rows"] = int(ws.max_row or 0)
            except Exception:
                info["declared_rows"] = 0
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # read what is there, not what <dimension> claims
        rows = cells = 0
        deadline = time.monotonic() + limits.max_seconds
        try:
            for values in ws.iter_rows(values_only=True):
                rows += 1
                if rows % 1000 == 0 and time.monotonic() > deadline:
                    raise XlsxError(_("读取文件超过 %(s)d 秒上限，已停止。请拆分文件后再上传。") % {"s": limits.max_seconds})
                width = len(values)
                cells += width
                if rows > limits.max_rows:
                    raise XlsxError(_("行数超过 %(n)d 行上限。") % {"n": limits.max_rows})
                if width > limits.max_columns:
                    raise XlsxError(_("第 %(row)d 行有 %(n)d 列，超过 %(max)d 列上限。") % {
                        "row": rows, "n": width, "max": limits.max_columns})
                if cells > limits.max_cells:
                    raise XlsxError(_("单元格数超过 %(n)d 个上限。") % {"n": limits.max_cells})
                yield values
        except XlsxError:
            raise
        except Exception:  # corrupt XML, bad cell values, anything openpyxl trips over
            raise XlsxError(_("文件已损坏，无法读取：请在 Excel 中重新保存后上传。")) from None
    finally:
        wb.close()
