"""Out-of-range input (issue 9): dates at the ends of the calendar, huge page numbers, bad
ids and garbage in any GET parameter answer a page (400 or a form error), never a 500.
The walk fuzzes every parameter-less GET page and every filter field it shows."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Every parameter at once with each of these, then each parameter alone with the first two.
BAD_VALUES = ["9999-12-31", "99999999999999999999999", "0001-01-01", "9999-12", "2026-02-30", "-1", "1e400",
              "'\"<x>\x00"]
COMMON_PARAMS = ["day", "month", "page", "since", "until", "q", "status", "branch"]
SKIP = ("admin/", "logout/", "i18n/", "jsi18n/", "healthz")


def _walk(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and "<" not in str(p.pattern):
            yield "/" + prefix + str(p.pattern)


def _pages():
    return sorted({u.replace("^", "").replace("$", "") for u in _walk(get_resolver())
                   if not u.lstrip("/").startswith(SKIP)})


def test_no_get_parameter_makes_a_500(org_a):
    client = Client(raise_request_exception=False)
    client.force_login(org_a.users["allroles"])
    failures = []
    for url in _pages():
        first = client.get(url)
        params = set(COMMON_PARAMS)
        ctx = first.context
        if ctx is not None and ctx.get("filter") is not None:
            params |= set(ctx["filter"].form.fields)
        tries = [dict.fromkeys(params, value) for value in BAD_VALUES]
        tries += [{name: value} for name in sorted(params) for value in BAD_VALUES[:2]]
        for query in tries:
            response = client.get(url, query)
            if response.status_code >= 500:
                failures.append(f"{url}?{query}")
    assert not failures, "\n".join(failures)


def test_board_far_future_day_is_a_message_not_a_500(org_a, client_as):
    client = client_as(org_a.users["mspec"])
    response = client.get("/reports/board/", {"day": "9999-12-31"})
    assert response.status_code == 200 and "超出范围" in response.content.decode()
    assert client.get("/reports/board/rows/", {"day": "0001-01-01"}).status_code == 200


def test_out_of_range_filter_values_are_form_errors(org_a, client_as):
    client = client_as(org_a.users["allroles"])
    page = client.get("/m/audit/", {"since": "9999-12-31"})
    assert page.status_code == 200 and "日期超出范围" in page.content.decode()
    page = client.get("/customers/access-log/", {"customer": "99999999999999999999999"})
    assert page.status_code == 200 and "数值超出范围" in page.content.decode()
    assert client.get("/reports/targets/", {"month": "10000-01"}).status_code == 200
    assert client.get("/expenses/", {"page": "99999999999999999999999"}).status_code == 200


def test_out_of_range_dates_in_post_forms_are_form_errors(org_a, client_as):
    client = client_as(org_a.users["mspec"])
    response = client.post("/reports/calendar/", {"day": "9999-12-31", "is_working": "on", "note": "x"})
    assert response.status_code == 200 and "日期超出范围" in response.content.decode()


def test_huge_object_ids_in_urls_are_404(org_a, client_as):
    client = client_as(org_a.users["allroles"])
    for url in ["/customers/99999999999999999999999/", "/expenses/99999999999999999999999/",
                "/reports/99999999999999999999999/", "/approvals/99999999999999999999999/"]:
        assert client.get(url).status_code == 404, url
