"""The bounded xlsx reader (issue 9, "Files people upload"): caps before parsing, bounded
memory on a zip bomb, a zip entry lying about its size, a lying <dimension>, and every
broken file refused with a message instead of an exception."""

import io
import struct
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from marketing.xlsx import Limits, XlsxError, check_archive, read_rows

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
TAIL = b"</sheetData></worksheet>"


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_sheet(base: bytes, write_sheet) -> bytes:
    """``base`` with its first sheet's XML replaced by what ``write_sheet(fh)`` streams (so
    a bomb of many MB is written in chunks, never held in memory)."""
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == SHEET:
                with dst.open(SHEET, "w", force_zip64=True) as fh:
                    write_sheet(fh)
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue()


def blank_rows(n: int):
    """n blank rows without a <dimension> tag: identical bytes, so they compress ~1000:1."""
    def write(fh):
        fh.write(HEAD)
        block = b"<row/>" * 10_000
        for _ in range(n // 10_000):
            fh.write(block)
        fh.write(b"<row/>" * (n % 10_000) + TAIL)
    return write


BASE = workbook([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", 1]])


def test_zip_bomb_is_refused_before_parsing_in_bounded_memory():
    """A sheet of ~90 MB of blank rows compressed to about 100 KB: refused on the declared
    uncompressed size, before openpyxl sees it, with a small memory peak."""
    bomb = with_sheet(BASE, blank_rows(15_000_000))
    assert len(bomb) < 1024 * 1024  # small on the wire
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 60 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(XlsxError, match="解压后超过 60 MB"):
            list(read_rows(bomb))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak


def _lie_about_size(content: bytes, name: str, size: int) -> bytes:
    """Patch the declared uncompressed size of one member, in its local header and in the
    central directory (what zipfile trusts), to ``size``."""
    data = bytearray(content)
    encoded = name.encode()
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) != -1:
        n = struct.unpack_from("<H", data, pos + 26)[0]
        if bytes(data[pos + 30: pos + 30 + n]) == encoded:
            struct.pack_into("<I", data, pos + 22, size)
        pos += 4
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46: pos + 46 + n]) == encoded:
            struct.pack_into("<I", data, pos + 24, size)
        pos += 4
    return bytes(data)


def test_zip_entry_lying_about_its_size_is_refused():
    real = with_sheet(BASE, blank_rows(8_000_000))  # 48 MB real, declared as 1,000 bytes
    liar = _lie_about_size(real, SHEET, 1000)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo(SHEET).file_size == 1000
    tracemalloc.start()
    try:
        with pytest.raises(XlsxError):
            check_archive(liar)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak


def test_rows_are_capped_while_streaming_in_bounded_memory():
    many = with_sheet(BASE, blank_rows(5_000_000))  # 30 MB of XML without <dimension>: under the size caps
    tracemalloc.start()
    try:
        with pytest.raises(XlsxError, match="行数超过 1000 行上限"):
            for _row in read_rows(many, Limits(max_rows=1000)):
                pass
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, peak


def test_cells_and_width_are_capped():
    wide = workbook([["x"] * 30])
    with pytest.raises(XlsxError, match="超过 20 列上限"):
        list(read_rows(wide, Limits(max_columns=20)))
    with pytest.raises(XlsxError, match="单元格数超过 50 个上限"):
        list(read_rows(workbook([[1, 2, 3]] * 20), Limits(max_cells=50)))


def test_lying_dimension_is_not_trusted():
    """A sheet claiming A1:C3 but holding 40 rows yields 40 rows."""
    def write(fh):
        fh.write(HEAD.replace(b"<sheetData>", b'<dimension ref="A1:C3"/><sheetData>'))
        for r in range(1, 41):
            fh.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>row %d</t></is></c><c r="B%d"><v>%d</v></c></row>'
                     % (r, r, r, r, r))
        fh.write(TAIL)
    content = with_sheet(BASE, write)
    info = {}
    rows = list(read_rows(content, info=info))
    assert info["declared_rows"] == 3  # what the tag claims ...
    assert len(rows) == 40 and rows[-1] == ("row 40", 40)  # ... and what is there


@pytest.mark.parametrize("content, message", [
    (b"", "文件为空"),
    (b"not a zip at all", "文件类型不正确"),
    (b"PK\x03\x04" + b"\x00" * 100, "文件类型不正确"),
    (b"x" * (6 * 1024 * 1024), "超过 5 MB"),
])
def test_broken_files_are_refused_with_a_message(content, message):
    with pytest.raises(XlsxError, match=message):
        list(read_rows(content))


def test_zip_that_is_not_a_workbook_and_corrupt_xml():
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(XlsxError, match="文件类型不正确"):
        list(read_rows(other.getvalue()))
    corrupt = with_sheet(BASE, lambda fh: fh.write(HEAD + b'<row r="1"><c r="A1"><v>1</v></c><row'))
    with pytest.raises(XlsxError, match="文件已损坏"):
        list(read_rows(corrupt))
    # a damaged member (bad CRC) is found by the size check, before openpyxl
    data = bytearray(BASE)
    pos = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, pos + 16, 0xDEADBEEF)  # CRC of the first member in the central directory
    with pytest.raises(XlsxError):
        list(read_rows(bytes(data)))


def test_reading_has_a_time_budget():
    content = workbook([[i] for i in range(2500)])
    with pytest.raises(XlsxError, match="读取文件超过 0 秒上限"):
        list(read_rows(content, Limits(max_seconds=0)))
    assert len(list(read_rows(content))) == 2500


def test_every_import_reads_xlsx_through_this_reader():
    """No application module opens an uploaded workbook itself (tests and benchmarks may)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {".venv", "tests", "bench", "node_modules"} & set(path.relative_to(root).parts)
        and path.name != "xlsx.py" and "load_workbook" in path.read_text(encoding="utf-8", errors="ignore")
    ]
    assert offenders == []
