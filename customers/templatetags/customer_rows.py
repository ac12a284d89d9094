"""The customer list's rows, written in Python (docs/performance.md "Rows"); the markup is
the template loop's, compared in tests/test_performance.py."""

from django import template
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from marketing.fastrender import choice_labels, date, display, esc, url_maker
from marketing.templatetags.platform import pill

from ..models import Customer
from ..stages import stage_set

register = template.Library()

# What a row shows; the rest of a customer (shareholders, notes, the owner's password hash...)
# is not read for the list.
ROW_FIELDS = ("name", "stage", "industry", "phone", "updated_at", "branch", "branch__name", "owner",
              "owner__full_name", "owner__username")


# customers/services.py keeps ``tag_names`` (the names sorted, joined with 、, cut at 300
# characters) with every write of the tags; the tag form splits new names on 、 too.
TAG_NAMES_MAX = Customer._meta.get_field("tag_names").max_length
TAG_SEPARATOR = "、"


def _rows_with_tags(page) -> list[tuple[Customer, list[str]]]:
    """The page's customers with their tag names (sorted by name), read from the stored
    ``tag_names``; only a row whose ``tag_names`` may have been cut (300 characters) reads its
    tags, all such rows in one query. ``prefetch_related`` built a queryset per row (25
    tenant-scoped filters). A page already read (e.g. logged by a phone search) is used as it
    is."""
    rows = page.object_list
    if not isinstance(rows, QuerySet) or rows._result_cache is not None:
        return [(c, [t.name for t in c.tags.all()]) for c in rows]
    customers = list(rows.prefetch_related(None).only(*ROW_FIELDS, "tag_names"))
    page.object_list = customers
    names: dict[int, list[str]] = {}
    cut = []
    for c in customers:
        if len(c.tag_names) >= TAG_NAMES_MAX:
            names[c.pk] = []
            cut.append(c.pk)
        else:
            names[c.pk] = c.tag_names.split(TAG_SEPARATOR) if c.tag_names else []
    if cut:
        through = Customer.tags.through.objects.filter(customer_id__in=cut)
        for customer_id, name in through.order_by("tag__name").values_list("customer_id", "tag__name"):
            names[customer_id].append(name)
    return [(c, names[c.pk]) for c in customers]


@register.simple_tag(takes_context=True)
def customer_rows(context, page, searched):
    detail = url_maker("customers:detail")
    via = "?via=search" if searched else ""
    industries = choice_labels(Customer, "industry")
    stages = None
    out = []
    for c, tag_names in _rows_with_tags(page):
        if stages is None:
            request = context.get("request")
            stages = stage_set(getattr(request, "tenant", None) or c.tenant_id)
        stage = esc(stages.label(c.stage))
        branch = esc(c.branch.name)
        owner = esc(c.owner.display_name)
        phone = c.phone_masked
        tags = "".join(f'<span class="chip">{esc(t)}</span>' for t in tag_names)
        out.append(
            f'<tr><td><a href="{detail(c.pk)}{via}">{esc(c.name)}</a>'
            f'<div class="show-sm small muted">{stage} · {branch} · {owner}</div></td>'
            f'<td class="hide-sm">{pill("customer_stage", stages.tone(c.stage), mark_safe(stage))}</td>'  # noqa: S308 -- escaped
            f'<td class="hide-sm">{display(industries, c.industry)}</td>'
            f'<td class="hide-sm nowrap">{branch}</td><td class="hide-sm nowrap">{owner}</td>'
            f'<td class="hide-sm mono nowrap">{esc(phone) if phone else "—"}</td>'
            f'<td class="hide-sm">{tags}</td>'
            f'<td class="hide-sm nowrap small">{date(c.updated_at, "Y-m-d H:i")}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 -- every value is escaped above
