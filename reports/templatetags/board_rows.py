"""The report board's rows (200 branches), written in Python (docs/performance.md "Rows");
the markup is the template loop's, compared in tests/test_performance.py."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from marketing.fastrender import date, esc, url_maker

register = template.Library()


@register.simple_tag
def board_rows(rows):
    detail = url_maker("reports:detail")
    draft = f' <span class="pill pill-muted">{esc(gettext("有草稿"))}</span>'
    pills: dict[str, str] = {}  # per filing state: the tone and the (lazy) label, escaped once
    regions: dict[int, str] = {}
    out = []
    for r in rows:
        branch, report = r.branch, r.report
        name = esc(branch.name)
        link = f'<a href="{detail(report.pk)}">{name}</a>' if report else name
        late = f" {esc(r.late_by)}" if r.late_by else ""
        submitted = date(report.submitted_at, "m-d H:i:s") if report else ""
        pill = pills.get(r.state)
        if pill is None:
            pill = pills[r.state] = f'<span class="pill pill-{esc(r.tone)}">{esc(r.label)}'
        region = regions.get(branch.region_id)
        if region is None:
            region = regions[branch.region_id] = esc(branch.region.name)
        out.append(
            f'<tr><td class="hide-sm">{region}</td><td>{link}</td>'
            f'<td>{pill}{late}</span>'
            f'{draft if report and not report.is_submitted else ""}</td>'
            f'<td class="muted nowrap">{submitted or "—"}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
