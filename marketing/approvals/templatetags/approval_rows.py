"""The approval inbox's rows, written in Python (docs/performance.md "Rows"); the markup is
the template loop's, compared in tests/test_performance.py."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from marketing.fastrender import choice_labels, date, display, esc, or_default

from ..models import ApprovalStep

register = template.Library()


@register.simple_tag
def inbox_rows(page, user_pk):
    kinds = choice_labels(ApprovalStep, "kind")
    on_behalf = gettext("代 %(who)s")
    out = []
    for t in page:
        flow, step = t.flow, t.step
        branch = or_default(flow.branch.name if flow.branch_id else "", "—")
        applicant, step_name = esc(flow.applicant.display_name), esc(step.name)
        proxy = ""
        if t.assignee_id != user_pk:
            proxy = f' <span class="chip">{on_behalf % {"who": esc(t.assignee.display_name)}}</span>'
        out.append(
            f'<tr><td><a href="{esc(flow.url)}">{esc(flow.title)}</a>{proxy}'
            f'<div class="only-sm small muted">{branch} · {applicant} · {step_name} · {date(t.created_at, "m-d H:i")}'
            f'</div></td><td class="hide-sm">{branch}</td><td class="hide-sm">{applicant}</td>'
            f'<td class="hide-sm">{step_name} <span class="chip">{display(kinds, step.kind)}</span></td>'
            f'<td class="nowrap small hide-sm">{date(t.created_at, "Y-m-d H:i")}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
