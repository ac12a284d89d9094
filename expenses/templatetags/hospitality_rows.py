"""The hospitality application list's rows, written in Python (docs/performance.md "Rows");
the markup is the template loop's, compared in tests/test_performance.py."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from marketing.fastrender import choice_labels, date, esc, url_maker

from ..hospitality.models import HospitalityApplication

register = template.Library()

# expenses/hospitality/_status.html, once per status instead of one include per row
STATUS_TONES = {"submitted": "info", "emergency": "info", "approved": "warn", "paid": "ok", "rejected": "bad",
                "lapsed": "bad"}


@register.simple_tag
def application_rows(page):
    detail = url_maker("hospitality:application")
    statuses = choice_labels(HospitalityApplication, "status")
    urgent = f' <span class="chip">{esc(gettext("紧急"))}</span>'
    out = []
    for a in page:
        label = esc(statuses.get(a.status, a.status))
        out.append(
            f'<tr><td class="nowrap"><a href="{detail(a.pk)}">{esc(a.number)}</a>{urgent if a.is_emergency else ""}</td>'
            f'<td class="nowrap">{date(a.visit_date, "Y-m-d")}</td><td class="hide-sm">{esc(a.branch.name)}</td>'
            f'<td class="hide-sm">{esc(a.applicant.display_name)}</td><td class="hide-sm">{esc(a.venue.name)}</td>'
            f'<td class="num">{a.expected_diners}</td>'
            f'<td><span class="pill pill-{STATUS_TONES.get(a.status, "muted")}">{label}</span></td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
