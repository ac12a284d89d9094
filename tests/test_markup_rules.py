"""Static guards for the accessibility audit's classes (docs/accessibility.md): every
template is scanned, so a new page cannot bring a class back."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]


def _without_head_block(text: str) -> str:
    return re.sub(r"{% block head %}.*?{% endblock %}", "", text, flags=re.S)


def test_templates_were_found():
    assert len(TEMPLATES) > 30


def test_no_style_element_in_body():
    """A <style> element may not stand in <body> (HTML); page CSS goes in {% block head %}
    or static/css/app.css."""
    offenders = [str(p.relative_to(ROOT)) for p in TEMPLATES
                 if "<style" in _without_head_block(p.read_text(encoding="utf-8")) and "/email/" not in str(p)]
    assert offenders == []


def test_htmx_attributes_use_the_valid_data_prefix():
    pattern = re.compile(r"\s(hx-[a-z-]+)=")
    offenders = [f"{p.relative_to(ROOT)}: {m.group(1)}" for p in TEMPLATES
                 for m in pattern.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_aria_label_on_label_elements():
    pattern = re.compile(r"<label\b[^>]*\baria-label=")
    offenders = [str(p.relative_to(ROOT)) for p in TEMPLATES if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_labels_never_point_at_an_empty_id():
    offenders = [str(p.relative_to(ROOT)) for p in TEMPLATES if 'for=""' in p.read_text(encoding="utf-8")]
    assert offenders == []
