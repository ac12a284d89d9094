"""The expense list's rows, written in Python (docs/performance.md "Rows"); the markup is the
template loop's, compared in tests/test_performance.py."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from marketing.fastrender import choice_labels, date, esc, url_maker
from marketing.templatetags.platform import pill

from ..models import ExpenseRequest

register = template.Library()


@register.simple_tag
def expense_rows(page):
    detail = url_maker("expenses:detail")
    statuses = choice_labels(ExpenseRequest, "status")
    special = f' <span class="chip">{esc(gettext("特殊"))}</span>'
    out = []
    for e in page:
        branch, applicant, ratio = esc(e.branch.name), esc(e.applicant.display_name), esc(e.ratio_display)
        ratio_cell = f'<span class="pill pill-warn">{ratio}</span>' if e.over_ratio else ratio
        out.append(
            f'<tr><td class="nowrap"><a href="{detail(e.pk)}">{esc(e.number)}</a></td><td class="hide-sm">{branch}</td>'
            f'<td>{esc(e.activity)}{special if e.activity_kind == "special" else ""}'
            f'<div class="only-sm small muted">{branch} · {applicant} · {ratio}</div></td>'
            f'<td class="hide-sm">{applicant}</td>'
            f'<td class="num hide-sm">{esc(e.contract_amount_display)}</td><td class="num">{esc(e.amount_display)}</td>'
            f'<td class="num hide-sm">{ratio_cell}</td>'
            f'<td class="nowrap small hide-sm">{date(e.planned_date, "Y-m-d")}</td>'
            f'<td>{pill("expense_status", e.status, statuses.get(e.status, e.status))}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
