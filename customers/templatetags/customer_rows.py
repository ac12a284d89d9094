"""The customer list's rows, written in Python (docs/performance.md "Rows"); the markup is
the template loop's, compared in tests/test_performance.py."""

from django import template
from django.utils.safestring import mark_safe

from marketing.fastrender import choice_labels, date, display, esc, url_maker
from marketing.templatetags.platform import pill

from ..models import Customer

register = template.Library()


@register.simple_tag
def customer_rows(page, searched):
    detail = url_maker("customers:detail")
    via = "?via=search" if searched else ""
    stages, industries = choice_labels(Customer, "stage"), choice_labels(Customer, "industry")
    out = []
    for c in page:
        stage = display(stages, c.stage)
        branch = esc(c.branch.name)
        owner = esc(c.owner.display_name)
        phone = c.phone_masked
        tags = "".join(f'<span class="chip">{esc(t.name)}</span>' for t in c.tags.all())
        out.append(
            f'<tr><td><a href="{detail(c.pk)}{via}">{esc(c.name)}</a>'
            f'<div class="show-sm small muted">{stage} · {branch} · {owner}</div></td>'
            f'<td class="hide-sm">{pill("customer_stage", c.stage, mark_safe(stage))}</td>'  # noqa: S308 -- escaped
            f'<td class="hide-sm">{display(industries, c.industry)}</td>'
            f'<td class="hide-sm nowrap">{branch}</td><td class="hide-sm nowrap">{owner}</td>'
            f'<td class="hide-sm mono nowrap">{esc(phone) if phone else "—"}</td>'
            f'<td class="hide-sm">{tags}</td>'
            f'<td class="hide-sm nowrap small">{date(c.updated_at, "Y-m-d H:i")}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
