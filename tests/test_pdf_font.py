"""PDFs embed a real CJK TrueType font (issue 9): non-Adobe viewers show blanks for the
non-embedded STSong-Light. Checked on generated PDFs with pypdf: the font program is in
the file (FontFile2) and the Chinese text extracts."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from customers.tests.conftest import make_customer
from marketing import exports

pytestmark = pytest.mark.django_db

needs_font = pytest.mark.skipif(
    exports.CJK_TTF_PATH is None,
    reason="no CJK TrueType font installed (apt-get install fonts-wqy-microhei; .ci/run and the Dockerfile do)",
)


def _fonts(data: bytes) -> list[dict]:
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            found.append({"base": str(font.get("/BaseFont")), "subtype": str(font.get("/Subtype")),
                          "embedded": descriptor is not None and "/FontFile2" in descriptor.get_object()})
    return found


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@needs_font
def test_customer_card_pdf_embeds_the_cjk_font_and_the_text_extracts(org_a, client_as):
    customer = make_customer(org_a, name="上海永达大众汽车销售服务有限公司")
    response = client_as(org_a.users["gm"]).get(reverse("customers:print", args=[customer.pk]))
    assert response.status_code == 200
    fonts = _fonts(response.content)
    cjk = [f for f in fonts if "WenQuanYi" in f["base"]]
    assert cjk and all(f["embedded"] and f["subtype"] == "/TrueType" for f in cjk)
    assert not any("STSong" in f["base"] for f in fonts)
    assert "上海永达大众汽车销售服务有限公司" in _text(response.content)


@needs_font
def test_every_pdf_module_uses_the_embedded_font():
    assert exports.CJK_FONT == exports.EMBEDDED_FONT_NAME
    from customers import exports as customer_exports
    from reports import exports as report_exports

    assert customer_exports.FONT == report_exports._FONT == exports.CJK_FONT


def test_a_broken_font_file_falls_back_to_the_cid_font(tmp_path):
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"this is not a font")
    name = exports.register_cjk_font("BrokenCJKForTest", str(bogus))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(name, 12)
    pdf.drawString(50, 700, "营销费用申请单")
    pdf.save()
    assert "STSong-Light" in {f["base"].lstrip("/") for f in _fonts(buffer.getvalue())}
