from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 25
# Rows counted exactly. Beyond this the pager says "more than 1,000" instead of running
# COUNT(*) over the whole archive (49 ms at 100,000 customers); see docs/performance.md.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap`` rows (``SELECT COUNT(*) FROM (... LIMIT
    cap + 1)``). When more rows match, ``capped`` is True and ``count`` is ``cap`` (shown as
    "more than ``cap``"); the pages known to exist are the full pages below the cap plus the
    one holding row ``cap + 1``. Asking for that last known page or beyond counts exactly
    (a deep page, rare), so every page link stays right."""

    def __init__(self, object_list, per_page, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self):
        if not isinstance(self.object_list, QuerySet):
            return super().count
        rows = self.object_list.order_by()
        if not rows.query.combinator:
            # Only the key: a row annotation (a correlated subquery per row) is not evaluated
            # a thousand times to count; filters on annotations still apply.
            rows = rows.values("pk")
        n = rows[: self.cap + 1].count()
        if n > self.cap:
            self.capped = True
            return self.cap
        return n

    @cached_property
    def num_pages(self):
        if self.count and self.capped:
            return self.cap // self.per_page + 1
        return super().num_pages

    def validate_number(self, number):
        if self.count and self.capped:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = 1
            if wanted >= self.num_pages:
                self._count_exactly()
        return super().validate_number(number)

    def _count_exactly(self):
        self.capped = False
        self.__dict__["count"] = self.object_list.count()
        self.__dict__.pop("num_pages", None)


def paginate(request, queryset, per_page: int = DEFAULT_PAGE_SIZE):
    """A page of ``queryset`` plus the query string without ``page`` (for page links that
    keep the filters). Bad page numbers fall back to the nearest valid page."""
    paginator = CappedPaginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()
