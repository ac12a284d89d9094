"""The speed measures of issue 10 keep behaving like what they replace: the capped pager,
the Python-rendered dropdowns, home cards from aggregates, gzip only without reflected
input, query budgets per page (the timings themselves live in bench/bench_http.py)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django import forms
from django.db import connection
from django.test.html import parse_html
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy

from marketing import paging
from marketing.models import Branch, Region, User
from marketing.paging import CappedPaginator
from marketing.widgets import FastSelect, ValuesChoiceIterator, _label_expressions, speed_up

pytestmark = pytest.mark.django_db


# --- capped count ------------------------------------------------------------------------


def _tags(org, n):
    from customers.models import Tag

    with org.scope():
        for i in range(n):
            Tag.objects.create(tenant=org.tenant, name=f"标签{i:02d}")
        return Tag.objects.filter(tenant=org.tenant).order_by("name")


def test_capped_paginator_counts_exactly_up_to_the_cap(org_a):
    with org_a.scope():
        qs = _tags(org_a, 5)
        pager = CappedPaginator(qs, 2, cap=5)
        assert (pager.count, pager.capped, pager.num_pages) == (5, False, 3)
        assert [t.name for t in pager.get_page(3)] == ["标签04"]


def test_capped_paginator_stops_counting_past_the_cap_and_still_pages_on(org_a):
    with org_a.scope():
        qs = _tags(org_a, 11)
        pager = CappedPaginator(qs, 2, cap=5)
        page = pager.get_page(1)
        assert pager.capped and pager.count == 5 and page.has_next()
        assert pager.num_pages == 3  # two full pages below the cap + the one holding row 6
        second = CappedPaginator(qs, 2, cap=5).get_page(2)
        assert second.paginator.capped and second.has_next()  # row 5 is known to exist
        known_last = CappedPaginator(qs, 2, cap=5).get_page(3)  # may or may not go on: count
        assert not known_last.paginator.capped and known_last.has_next()
        deep = CappedPaginator(qs, 2, cap=5).get_page(4)  # beyond the cap: counted exactly
        assert not deep.paginator.capped and deep.paginator.count == 11 and deep.paginator.num_pages == 6
        assert [t.name for t in deep] == ["标签06", "标签07"] and deep.has_next()
        end = CappedPaginator(qs, 2, cap=5).get_page(99)  # far out: the real last page
        assert [t.name for t in end] == ["标签10"] and not end.has_next()


def test_capped_paginator_on_a_list_counts_it():
    pager = CappedPaginator(list(range(30)), 10, cap=5)
    assert (pager.count, pager.capped, pager.num_pages) == (30, False, 3)


def test_pager_says_more_than_when_capped(org_a, client_as, monkeypatch):
    from customers.tests.conftest import make_customer

    for i in range(27):
        make_customer(org_a, name=f"客户{i}")
    client = client_as(org_a.users["gm"])
    assert "共 27 条" in client.get(reverse("customers:list")).content.decode()
    monkeypatch.setattr(paging, "COUNT_CAP", 25)
    body = client.get(reverse("customers:list")).content.decode()
    assert "超过 25 条" in body and "共 27 条" not in body and "page=2" in body
    assert "共 27 条" in client.get(reverse("customers:list"), {"page": 2}).content.decode()
    en = client_as(org_a.users["gm"], language="en").get(reverse("customers:list")).content.decode()
    assert "more than 25" in en


# --- dropdowns -----------------------------------------------------------------------------


class _Form(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("a", "A & <b>"), ("b", 'say "hi"')], required=False)
    grouped = forms.ChoiceField(choices=[("甲", [("1", "一"), ("2", "二")]), ("3", "三")])


@pytest.mark.parametrize("data", [None, {"plain": "a", "grouped": "2"}, {"plain": "<x>", "grouped": "3"}])
def test_fast_select_renders_what_select_renders(data):
    slow = _Form(data)
    fast = speed_up(_Form(data))
    assert type(fast.fields["plain"].widget) is FastSelect
    for name in ("plain", "grouped"):
        assert parse_html(str(fast[name])) == parse_html(str(slow[name]))
    assert "A &amp; &lt;b&gt;" in str(fast["plain"]) and "<b>" not in str(fast["plain"])


def test_model_dropdowns_read_pk_and_label_in_one_query(org_a, django_assert_num_queries):
    with org_a.scope():
        class F(forms.Form):
            branch = forms.ModelChoiceField(Branch.objects.filter(tenant=org_a.tenant).select_related("region"))

        slow = F({"branch": org_a.branches["A2"].pk})
        fast = speed_up(F({"branch": org_a.branches["A2"].pk}))
        assert fast.fields["branch"].iterator is ValuesChoiceIterator
        assert fast.is_valid() and fast.cleaned_data["branch"] == org_a.branches["A2"]  # (the filter does it too)
        with django_assert_num_queries(1):
            html = str(fast["branch"])
        assert parse_html(html) == parse_html(str(slow["branch"]))


def test_fast_select_memo_follows_choices_selection_and_language(org_a):
    from django.utils import translation
    from django.utils.safestring import mark_safe

    with org_a.scope():
        class F(forms.Form):
            branch = forms.ModelChoiceField(Branch.objects.filter(tenant=org_a.tenant), required=False)
            stage = forms.ChoiceField(choices=[("", _lazy("全部")), ("a", "A & B")], required=False)

        def html(data=None, field="branch"):
            return str(speed_up(F(data))[field])

        first = html()
        assert html() == first and "甲一分公司" in first
        Branch.objects.filter(pk=org_a.branches["A1"].pk).update(name="改名 <分公司>")
        renamed = html()
        assert "改名 &lt;分公司&gt;" in renamed and "甲一分公司" not in renamed  # choices are read live
        chosen = html({"branch": org_a.branches["A2"].pk})
        pk = org_a.branches["A2"].pk
        assert f'value="{pk}" selected' in chosen and f'value="{pk}" selected' not in renamed
        with translation.override("en"):
            english = html(field="stage")
        assert "All" in english and "全部" in html(field="stage")
        assert "A &amp; B" in html(field="stage")

        class G(forms.Form):
            stage = forms.ChoiceField(choices=[("a", mark_safe("A &amp; B"))])

        assert "A &amp; B" in str(speed_up(G())["stage"]) and "&amp;amp;" not in str(speed_up(G())["stage"])


def test_label_expressions_equal_str(org_a):
    from customers.models import Tag

    with org_a.scope():
        User.objects.filter(pk=org_a.users["sales2"].pk).update(full_name="")  # falls back to the user name
        Tag.objects.create(tenant=org_a.tenant, name="重点")
        models = {"marketing.User": User.objects.filter(membership__tenant=org_a.tenant),
                  "marketing.Branch": Branch.objects.filter(tenant=org_a.tenant),
                  "marketing.Region": Region.objects.filter(tenant=org_a.tenant),
                  "customers.Tag": Tag.objects.filter(tenant=org_a.tenant)}
        assert set(models) == set(_label_expressions())
        for label, qs in models.items():
            expected = {obj.pk: str(obj) for obj in qs}
            assert dict(qs.values_list("pk", _label_expressions()[label])) == expected, label
            assert expected


# --- home cards ----------------------------------------------------------------------------


def test_board_counts_agree_with_the_board(org_a):
    from reports import selectors
    from reports.tests.helpers import at, file_report
    from reports.workcal import WorkCalendar

    day = dt.date(2026, 3, 10)  # a Tuesday; due Wednesday 10:00
    with org_a.scope():
        file_report(org_a, "A1", day, now=at(2026, 3, 11, 9, 0))
        file_report(org_a, "A2", day, now=at(2026, 3, 11, 10, 30))  # late
        file_report(org_a, "A3", day, now=at(2026, 3, 10, 18, 0), submit=False)  # a draft counts as not filed
        for now in (at(2026, 3, 11, 9, 30), at(2026, 3, 11, 11, 0)):
            full = selectors.board(tenant=org_a.tenant, business_day=day, now=now)
            quick = selectors.board_counts(tenant=org_a.tenant, business_day=day, now=now,
                                           calendar=WorkCalendar(org_a.tenant))
            assert quick["counts"] == full["counts"] and quick["total"] == full["total"] == 3
            assert quick["due_at"] == full["due_at"]
        Branch.objects.filter(pk=org_a.branches["A2"].pk).update(is_active=False)
        quick = selectors.board_counts(tenant=org_a.tenant, business_day=day, now=at(2026, 3, 11, 11, 0))
        assert quick["counts"] == selectors.board(tenant=org_a.tenant, business_day=day,
                                                  now=at(2026, 3, 11, 11, 0))["counts"]
        assert quick["total"] == 2


def test_home_card_aggregates_are_per_user_and_roles(org_a, client_as):
    from customers import selectors as customer_selectors
    from customers.tests.conftest import make_customer
    from marketing import services as platform
    from marketing.demo import membership_of

    with org_a.scope():  # salespeople read only their own customers (the stricter archive policy)
        platform.tenant_settings_update(tenant=org_a.tenant, actor=None, data={"customer_reach_policy": "own"})
    make_customer(org_a, name="销售一的客户")
    make_customer(org_a, owner_key="allroles", branch="A3", name="别区的客户")
    card = lambda response: next(c for c in response.context["cards"] if c["url"] == reverse("customers:list"))  # noqa: E731
    gm = card(client_as(org_a.users["gm"]).get(reverse("home")))["value"]
    sales = card(client_as(org_a.users["sales"]).get(reverse("home")))["value"]  # the GM's number is cached now
    with org_a.scope():
        reach = {key: customer_selectors.customer_reach(membership=membership_of(org_a.users[key])).count()
                 for key in ("gm", "sales")}
    assert (gm, sales) == (reach["gm"], reach["sales"])
    # Whatever the reach policy says today, two members never share a cached card.
    from django.test import RequestFactory

    from marketing import pagecache

    keys = set()
    with org_a.scope():
        for key in ("gm", "sales", "bgm"):
            request = RequestFactory().get("/")
            request.user, request.membership = org_a.users[key], membership_of(org_a.users[key])
            request.tenant = org_a.tenant
            keys.add(pagecache._key(request, "customers.stage_summary"))
    assert len(keys) == 3


# --- gzip ----------------------------------------------------------------------------------


def test_gzip_only_for_pages_without_reflected_input(org_a, client_as):
    client = client_as(org_a.users["gm"])
    page = client.get(reverse("customers:list"), HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    assert "客户档案" in gzip.decompress(page.content).decode()
    searched = client.get(reverse("customers:list"), {"q": "secret"}, HTTP_ACCEPT_ENCODING="gzip")
    assert not searched.has_header("Content-Encoding") and "secret" in searched.content.decode()
    posted = client.post(reverse("customers:create"), {"name": ""}, HTTP_ACCEPT_ENCODING="gzip")
    assert not posted.has_header("Content-Encoding")
    plain = client.get(reverse("customers:list"))
    assert not plain.has_header("Content-Encoding")


# --- query budgets -------------------------------------------------------------------------

PAGES = [
    ("sales", "customers:list"), ("gm", "customers:list"), ("finance", "expenses:index"),
    ("finance", "approvals:inbox"), ("gm", "reports:board"), ("gm", "home"), ("sales", "home"),
    ("finance", "home"),
]


@pytest.mark.parametrize(("persona", "url_name"), PAGES)
def test_page_query_budget(org_a, client_as, django_assert_max_num_queries, persona, url_name):
    from customers.tests.conftest import make_customer

    client = client_as(org_a.users[persona])
    client.get(reverse(url_name))  # first request of a session may do bookkeeping
    for i in range(3):
        make_customer(org_a, name=f"客户{i}")
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for i in range(3, 12):
        make_customer(org_a, owner_key="sales2", branch="A2", name=f"客户{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200


def test_name_search_uses_the_trigram_index(org_a, require_postgres):
    from django_scopes import scopes_disabled

    from customers.models import Customer
    from customers.tests.conftest import make_customer

    make_customer(org_a, name="上海某某汽车销售服务有限公司")
    with scopes_disabled():  # the bare LIKE, as Django writes it, must match the index expression
        probe = Customer.objects.filter(name__icontains="某汽车").order_by().values("pk")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = probe.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "customer_name_trgm_idx" in plan
    with org_a.scope():
        qs = Customer.objects.filter(tenant=org_a.tenant, name__icontains="某汽车")
        assert [c.name for c in qs] == ["上海某某汽车销售服务有限公司"]
        assert not Customer.objects.filter(tenant=org_a.tenant, name__icontains="北京").exists()


def test_name_search_is_case_insensitive_everywhere(org_a, client_as):
    from customers.tests.conftest import make_customer

    make_customer(org_a, name="BMW 4S 店")
    page = client_as(org_a.users["gm"]).get(reverse("customers:list"), {"q": "bmw 4s"})
    assert [c.name for c in page.context["page"]] == ["BMW 4S 店"]


@pytest.mark.parametrize(("kind", "value", "tone"), [
    ("customer_stage", "won", "ok"), ("customer_stage", "open", "info"), ("customer_stage", "lost", "muted"),
    ("customer_stage", "entry", "warn"), ("expense_status", "submitted", "info"), ("expense_status", "archived", "warn"),
    ("expense_status", "paid", "ok"), ("expense_status", "rejected", "bad"), ("expense_status", "draft", "muted"),
])
def test_status_pill_tag_keeps_the_tones_of_the_old_includes(kind, value, tone):
    from django.template import engines

    html = engines["django"].from_string('{% load platform %}{% pill kind value label %}').render(
        {"kind": kind, "value": value, "label": "<标签>"})
    assert html == f'<span class="pill pill-{tone}">&lt;标签&gt;</span>'


# --- list rows written in Python (marketing/fastrender.py) ---------------------------------
# The template loops the row tags replaced, verbatim. Each test renders the old loop over the
# page's own objects and finds exactly its rows as the page's table body (parsed HTML), in
# Chinese and in English, with names that need escaping.

OLD_CUSTOMER_ROWS = """{% load i18n platform %}{% for c in page %}
    <tr>
      <td><a href="{% url 'customers:detail' c.pk %}{% if searched %}?via=search{% endif %}">{{ c.name }}</a>
        <div class="show-sm small muted">{{ c.stage_label }} · {{ c.branch.name }} · {{ c.owner.display_name }}</div></td>
      <td class="hide-sm">{% pill "customer_stage" c.stage_tone c.stage_label %}</td>
      <td class="hide-sm">{{ c.get_industry_display }}</td>
      <td class="hide-sm nowrap">{{ c.branch.name }}</td>
      <td class="hide-sm nowrap">{{ c.owner.display_name }}</td>
      <td class="hide-sm mono nowrap">{{ c.phone_masked|default:"—" }}</td>
      <td class="hide-sm">{% for t in c.tags.all %}<span class="chip">{{ t.name }}</span>{% endfor %}</td>
      <td class="hide-sm nowrap small">{{ c.updated_at|date:"Y-m-d H:i" }}</td>
    </tr>
  {% empty %}
    <tr><td colspan="8" class="empty">{% translate "没有符合条件的客户。" %}</td></tr>
  {% endfor %}"""

OLD_EXPENSE_ROWS = """{% load i18n platform %}{% for e in page %}
    <tr><td class="nowrap"><a href="{% url 'expenses:detail' e.pk %}">{{ e.number }}</a></td><td class="hide-sm">{{ e.branch.name }}</td>
      <td>{{ e.activity }}{% if e.activity_kind == "special" %} <span class="chip">{% translate "特殊" %}</span>{% endif %}<div class="only-sm small muted">{{ e.branch.name }} · {{ e.applicant.display_name }} · {{ e.ratio_display }}</div></td><td class="hide-sm">{{ e.applicant.display_name }}</td>
      <td class="num hide-sm">{{ e.contract_amount_display }}</td><td class="num">{{ e.amount_display }}</td>
      <td class="num hide-sm">{% if e.over_ratio %}<span class="pill pill-warn">{{ e.ratio_display }}</span>{% else %}{{ e.ratio_display }}{% endif %}</td>
      <td class="nowrap small hide-sm">{{ e.planned_date|date:"Y-m-d" }}</td><td>{% pill "expense_status" e.status e.get_status_display %}</td></tr>
  {% empty %}<tr><td colspan="9" class="empty">{% translate "没有符合条件的申请。" %}</td></tr>{% endfor %}"""

OLD_INBOX_ROWS = """{% load i18n %}{% for t in page %}
    <tr><td><a href="{{ t.flow.url }}">{{ t.flow.title }}</a>{% if t.assignee_id != request.user.pk %} <span class="chip">{% blocktranslate with who=t.assignee.display_name %}代 {{ who }}{% endblocktranslate %}</span>{% endif %}
      <div class="only-sm small muted">{{ t.flow.branch.name|default:"—" }} · {{ t.flow.applicant.display_name }} · {{ t.step.name }} · {{ t.created_at|date:"m-d H:i" }}</div></td>
      <td class="hide-sm">{{ t.flow.branch.name|default:"—" }}</td><td class="hide-sm">{{ t.flow.applicant.display_name }}</td>
      <td class="hide-sm">{{ t.step.name }} <span class="chip">{{ t.step.get_kind_display }}</span></td><td class="nowrap small hide-sm">{{ t.created_at|date:"Y-m-d H:i" }}</td></tr>
  {% empty %}<tr><td colspan="5" class="empty">{% translate "没有等待您处理的单据。" %}</td></tr>{% endfor %}"""

OLD_BOARD_ROWS = """{% load i18n %}{% for r in board.rows %}<tr><td class="hide-sm">{{ r.branch.region.name }}</td><td>{% if r.report %}<a href="{% url 'reports:detail' r.report.pk %}">{{ r.branch.name }}</a>{% else %}{{ r.branch.name }}{% endif %}</td>
<td><span class="pill pill-{{ r.tone }}">{{ r.label }}{% if r.late_by %} {{ r.late_by }}{% endif %}</span>{% if r.report and not r.report.is_submitted %} <span class="pill pill-muted">{% translate "有草稿" %}</span>{% endif %}</td>
<td class="muted nowrap">{{ r.report.submitted_at|date:"m-d H:i:s"|default:"—" }}</td></tr>
{% empty %}<tr><td colspan="4" class="empty">{% translate "没有启用的分公司。" %}</td></tr>{% endfor %}"""


def _old_rows_are_the_table_body(org, response, loop, language, request=None, minimum=1):
    from django.template import engines
    from django.utils import translation

    assert response.status_code == 200
    context = {k: response.context[k] for k in ("page", "searched", "board") if k in response.context}
    with org.scope(), translation.override(language):
        old = engines["django"].from_string(loop).render(context, request or response.wsgi_request)
    rows = parse_html(old)
    assert old.count("<tr>") >= minimum
    body = parse_html(response.content.decode())
    assert body.count(rows) == 1, old


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_customer_rows_are_the_old_loop(org_a, client_as, language):
    from customers.tests.conftest import make_customer

    with org_a.scope():
        from customers.models import Tag

        tags = [Tag.objects.create(tenant=org_a.tenant, name=n) for n in ("重点", "<b>A&B</b>")]
    c = make_customer(org_a, name='Tom & "Jerry" <4S>', stage="signed", industry="fleet")
    with org_a.scope():  # through the service, which keeps tag_names (the rows read it)
        from customers import services

        services.customer_update(customer=c, actor=org_a.users["gm"], data={}, tags=tags)
        # 30 tags of 10 characters: tag_names is cut at 300, so this row reads its tags.
        many = [Tag.objects.create(tenant=org_a.tenant, name=f"长标签{i:02d}一二三四五") for i in range(30)]
        long = make_customer(org_a, name="很多标签的客户", stage="negotiating")
        services.customer_update(customer=long, actor=org_a.users["gm"], data={}, tags=many)
        long.refresh_from_db()
        assert len(long.tag_names) == 300
    make_customer(org_a, owner_key="sales2", branch="A2", name="无电话客户", phone="", stage="lost")
    make_customer(org_a, name="别的客户", stage="negotiating")
    client = client_as(org_a.users["gm"], language=language)
    for params in ({}, {"q": "客户"}, {"q": "没有这个"}, {"phone": "021-64001234"}):  # a phone search reads the page first
        page = client.get(reverse("customers:list"), params)
        _old_rows_are_the_table_body(org_a, page, OLD_CUSTOMER_ROWS, language)
    assert "?via=search" in client.get(reverse("customers:list"), {"q": "客户"}).content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_expense_and_inbox_rows_are_the_old_loop(org_a, client_as, language):
    from decimal import Decimal

    from django.test import RequestFactory

    from expenses.tests.helpers import make_expense, pending

    first = make_expense(org_a, activity="<车主> & 讲堂")
    make_expense(org_a, activity="特别活动", activity_kind="special", amount=Decimal("9000.00"))  # over the ratio
    make_expense(org_a, activity="无合同", contract_amount=None, amount=Decimal("500.00"))
    make_expense(org_a, applicant="sales2", branch="A2", submit=False, activity="草稿")
    page = client_as(org_a.users["finance"], language=language).get(reverse("expenses:index"))
    _old_rows_are_the_table_body(org_a, page, OLD_EXPENSE_ROWS, language, minimum=3)
    assert ("Special" if language == "en" else "特殊") in page.content.decode()
    approver = pending(org_a, first)[0].assignee
    inbox = client_as(approver, language=language).get(reverse("approvals:inbox"))
    _old_rows_are_the_table_body(org_a, inbox, OLD_INBOX_ROWS, language, minimum=3)
    empty = client_as(org_a.users["hr"], language=language).get(reverse("approvals:inbox"))
    _old_rows_are_the_table_body(org_a, empty, OLD_INBOX_ROWS, language)
    # Someone standing in: every row carries "代 <assignee>" (compared against the old loop
    # rendered for another user).
    from django.template import engines

    stand_in = RequestFactory().get("/")
    stand_in.user = org_a.users["gm"]
    with org_a.scope():
        new = engines["django"].from_string("{% load approval_rows %}{% inbox_rows page uid %}").render(
            {"page": inbox.context["page"], "uid": org_a.users["gm"].pk})
        old = engines["django"].from_string(OLD_INBOX_ROWS).render({"page": inbox.context["page"]}, stand_in)
    assert parse_html(new) == parse_html(old) and approver.display_name in new


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_board_rows_are_the_old_loop(org_a, client_as, language):
    from reports.tests.helpers import at, file_report

    day = dt.date(2026, 3, 10)
    with org_a.scope():
        file_report(org_a, "A1", day, now=at(2026, 3, 11, 9, 0))
        file_report(org_a, "A2", day, now=at(2026, 3, 11, 10, 30), user="bgm2")  # late
        file_report(org_a, "A3", day, now=at(2026, 3, 10, 18, 0), submit=False)  # a draft
    client = client_as(org_a.users["gm"], language=language)
    page = client.get(reverse("reports:board"), {"day": "2026-03-10"})
    _old_rows_are_the_table_body(org_a, page, OLD_BOARD_ROWS, language, minimum=3)
    body = page.content.decode()
    assert "pill-muted" in body and ("Draft saved" if language == "en" else "有草稿") in body


# --- per-request work ----------------------------------------------------------------------


def test_membership_is_read_live_in_one_query(org_a, django_assert_num_queries):
    from django_scopes import scopes_disabled

    from marketing.models import Membership, RoleAssignment
    from marketing.tenancy import membership_for

    user = org_a.users["allroles"]
    with scopes_disabled():
        expected = sorted(RoleAssignment.objects.filter(membership__user=user).values_list("role", flat=True))
    with django_assert_num_queries(1):
        membership = membership_for(user)
        shown = [ra.get_role_display() for ra in membership.role_assignments.all()]
        assert sorted(membership.roles) == expected and len(shown) == len(expected) > 1
        assert membership.tenant == org_a.tenant and membership.user_id == user.pk
        assert all(ra.membership is membership for ra in membership.role_assignments.all())
    hr = org_a.users["hr"]
    with scopes_disabled():
        RoleAssignment.objects.filter(membership__user=hr).delete()  # a member without roles
        assert membership_for(hr).roles == frozenset()
        Membership.objects.filter(user=user).update(is_active=False)  # deactivated: at once
    assert membership_for(user) is None
    with scopes_disabled():
        Membership.objects.filter(user=user).update(is_active=True)
        org_a.tenant.__class__.objects.filter(pk=org_a.tenant.pk).update(is_active=False)  # tenant off
    assert membership_for(user) is None and membership_for(hr) is None


OLD_SIDEBAR = """{% load i18n %}<nav class="sidebar" aria-label="{% translate '主导航' %}">
    {% for section in nav_sections %}
      <div class="nav-section">
        <div class="nav-title">{{ section.title }}</div>
        {% for item in section.items %}
          <a href="{{ item.url }}" class="nav-link{% if item.active %} active{% endif %}">{{ item.label }}{% if item.badge %}<span class="badge">{{ item.badge }}</span>{% endif %}</a>
        {% endfor %}
      </div>
    {% endfor %}
  </nav>"""


def _old_nav_sections(membership, current, badges):
    """The navigation as marketing.navigation.items_for built it before the cache."""
    from marketing.navigation import all_items

    sections = {}
    for item in all_items():
        if item.capabilities and not any(membership.can(c) for c in item.capabilities):
            continue
        try:
            url = reverse(item.url_name)
        except Exception:  # noqa: BLE001 -- NoReverseMatch: not shown
            continue
        active = current == item.url_name or (
            current.split(":")[0] == item.url_name.split(":")[0] and item.url_name.endswith(":index"))
        sections.setdefault(str(item.section), []).append(
            {"label": item.label, "url": url, "badge": badges.get(item.url_name, 0), "active": active})
    return [{"title": t, "items": e} for t, e in sections.items()]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("persona", "url_name"), [
    ("gm", "customers:list"), ("sales", "home"), ("finance", "expenses:index"), ("admin", "marketing:users"),
    ("bgm", "approvals:inbox"), ("allroles", "reports:board"),
])
def test_cached_sidebar_is_the_old_navigation(org_a, client_as, language, persona, url_name):
    from django.template import engines
    from django.utils import translation

    from marketing.demo import membership_of
    from marketing.navigation import all_items

    client = client_as(org_a.users[persona], language=language)
    first, second = client.get(reverse(url_name)), client.get(reverse(url_name))  # the second from the cache
    request = second.wsgi_request
    membership = membership_of(org_a.users[persona])
    with org_a.scope(), translation.override(language):
        badges = {i.url_name: i.badge(request) for i in all_items() if i.badge}
        old = engines["django"].from_string(OLD_SIDEBAR).render(
            {"nav_sections": _old_nav_sections(membership, url_name, badges)})
    for response in (first, second):
        assert parse_html(response.content.decode()).count(parse_html(old)) == 1
    assert 'nav-link active' in old


def test_sidebar_badge_moves_at_once(org_a, client_as, django_capture_on_commit_callbacks):
    from expenses.tests.helpers import make_expense, pending

    expense = make_expense(org_a)
    approver = pending(org_a, expense)[0].assignee
    client = client_as(approver)

    def badge():
        body = client.get(reverse("home")).content.decode()
        nav = body[body.index('<nav class="sidebar"'):body.index("</nav>")]
        link = nav[nav.index(reverse("approvals:inbox")):]
        link = link[:link.index("</a>")]
        return link.split('<span class="badge">')[1].split("</span>")[0] if "badge" in link else "0"

    assert badge() == "1"
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a, activity="第二个")
    assert badge() == "2"  # a new task bumps the tenant's inbox generation: new count, new sidebar


def test_navigation_picks_up_every_installed_apps_navigation_module():
    import importlib
    import importlib.util

    from django.apps import apps

    from marketing.navigation import all_items

    items = set(all_items())
    found = 0
    for config in apps.get_app_configs():
        name = "marketing.nav_items" if config.name == "marketing" else f"{config.name}.navigation"
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            module_items = getattr(importlib.import_module(name), "NAV_ITEMS", [])
            assert set(module_items) <= items, name
            found += bool(module_items)
    assert found >= 5


@pytest.mark.parametrize("fmt", ["Y-m-d H:i", "m-d H:i:s", "Y-m-d", "m-d H:i", "H:i:s", "Y年m月", "D, d M Y", "N j"])
def test_row_date_is_the_date_filter(fmt):
    import zoneinfo

    from django.template.defaultfilters import date as date_filter
    from django.utils import timezone

    from marketing.fastrender import date

    values = [dt.datetime(2026, 3, 1, 23, 59, 7, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, 16, 5, tzinfo=dt.UTC),
              dt.datetime(987, 1, 2, 3, 4, 5, tzinfo=dt.UTC), dt.date(2026, 1, 9), dt.date(5, 6, 7)]
    for zone in ("Asia/Shanghai", "Asia/Urumqi", "UTC"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            for value in values:
                if not isinstance(value, dt.datetime) and any(c in fmt for c in "His"):
                    continue  # a time format on a date raises in both
                local = timezone.localtime(value) if isinstance(value, dt.datetime) else value
                assert date(value, fmt) == date_filter(local, fmt), (fmt, value, zone)
    assert date(None, fmt) == "" and date("", fmt) == ""


# --- cached dropdown choices (marketing/pagecache.py "choices") ------------------------------


def _branch_filter_html(org):
    class F(forms.Form):
        branch = forms.ModelChoiceField(Branch.objects.filter(tenant=org.tenant).select_related("region"))

    return str(speed_up(F())["branch"])


def test_dropdown_choices_are_cached_until_a_watched_table_changes(org_a, django_assert_num_queries):
    from marketing import pagecache

    with org_a.scope():
        first = _branch_filter_html(org_a)
        with django_assert_num_queries(0):
            assert _branch_filter_html(org_a) == first  # second page view: no query
        generation = pagecache.choices_generation()
        # Each way of writing counts, since the watch is on the SQL: save(), update(), bulk_create.
        branch = Branch.objects.create(tenant=org_a.tenant, region=org_a.branches["A1"].region, name="新开<分公司>",
                                       code="A9")
        assert pagecache.choices_generation() > generation
        assert "新开&lt;分公司&gt;" in _branch_filter_html(org_a)
        Branch.objects.filter(pk=branch.pk).update(name="改名分公司")
        assert "改名分公司" in _branch_filter_html(org_a) and "新开" not in _branch_filter_html(org_a)
        Branch.objects.bulk_create([Branch(tenant=org_a.tenant, region=branch.region, name="批量分公司", code="A8")])
        assert "批量分公司" in _branch_filter_html(org_a)
        branch.delete()
        assert "改名分公司" not in _branch_filter_html(org_a)


def test_dropdown_choices_generation_moves_again_after_commit(org_a, django_capture_on_commit_callbacks):
    """A reader in another transaction may cache the old rows under the first bump (taken at
    the write, before commit); the second bump after commit drops that entry."""
    from marketing import pagecache

    with org_a.scope(), django_capture_on_commit_callbacks() as callbacks:
        Region.objects.filter(pk=org_a.branches["A1"].region_id).update(name="新地区")
    assert pagecache.bump_choices in callbacks
    before = pagecache.choices_generation()
    for callback in callbacks:
        callback()
    assert pagecache.choices_generation() > before


def test_logging_in_and_unwatched_writes_keep_the_choices(org_a, django_assert_num_queries):
    from customers.tests.conftest import make_customer
    from marketing import pagecache

    with org_a.scope():
        _branch_filter_html(org_a)
        generation = pagecache.choices_generation()
        User.objects.filter(pk=org_a.users["gm"].pk).update(last_login=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        make_customer(org_a, name="不影响下拉的客户")
        assert pagecache.choices_generation() == generation
        with django_assert_num_queries(0):
            _branch_filter_html(org_a)


def test_choices_reading_other_tables_are_read_live(org_a, django_assert_num_queries):
    """A list whose SQL reads a table outside CHOICE_MODELS (customers, grants with expiry
    times) is never cached: nothing would tell it that those rows changed."""
    from customers.models import Customer

    with org_a.scope():
        class F(forms.Form):
            owner = forms.ModelChoiceField(User.objects.filter(
                pk__in=Customer.objects.filter(tenant=org_a.tenant).values("owner_id")))

        str(speed_up(F())["owner"])
        with django_assert_num_queries(1):
            str(speed_up(F())["owner"])


def test_new_branch_appears_in_the_customer_filter_at_once(org_a, client_as, django_capture_on_commit_callbacks):
    from marketing import services

    client = client_as(org_a.users["gm"])
    assert "丙新分公司" not in client.get(reverse("customers:list")).content.decode()
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        services.branch_create(tenant=org_a.tenant, actor=org_a.users["gm"], region=org_a.branches["A1"].region,
                               name="丙新分公司", code="A7", city="上海")
    assert "丙新分公司" in client.get(reverse("customers:list")).content.decode()


def test_renamed_person_and_new_salesperson_appear_in_the_owner_filter_at_once(org_a, client_as):
    from marketing.models import Membership, RoleAssignment
    from marketing.roles import Role

    client = client_as(org_a.users["gm"])
    page = client.get(reverse("customers:list")).content.decode()
    sales = org_a.users["sales"]
    assert sales.display_name in page
    User.objects.filter(pk=sales.pk).update(full_name="新名字销售")
    assert "新名字销售" in client.get(reverse("customers:list")).content.decode()
    finance = org_a.users["finance"]
    with org_a.scope():
        membership = Membership.objects.get(user=finance, tenant=org_a.tenant)
        RoleAssignment.objects.bulk_create([RoleAssignment(tenant=org_a.tenant, membership=membership,
                                                           role=Role.SALESPERSON)])
    assert f">{finance.display_name}<" in client.get(reverse("customers:list")).content.decode()


# --- home cards kept while nothing they read changed (marketing/pagecache.py watched_cards) ---


def test_home_cards_are_kept_until_a_watched_row_changes(org_a, client_as, monkeypatch):
    """The filing board card is computed once for repeated home pages, and a filed report
    shows on the very next one (the save drops the kept cards), not a minute later."""
    import time_machine

    from reports import dashboard
    from reports.tests.helpers import at, file_report

    calls = []
    real = dashboard.selectors.board_counts
    monkeypatch.setattr(dashboard.selectors, "board_counts", lambda **kw: calls.append(1) or real(**kw))
    client = client_as(org_a.users["gm"])
    with time_machine.travel(at(2026, 11, 18, 9, 0), tick=False):  # a Wednesday, before 10:00
        def board_card():
            cards = client.get(reverse("home")).context["cards"]
            return next(c for c in cards if c["url"] == reverse("reports:board"))["value"]

        first = board_card()
        assert board_card() == first and len(calls) == 1  # kept
        with org_a.scope():
            from reports.workcal import WorkCalendar

            day = WorkCalendar(org_a.tenant).current_business_day(at(2026, 11, 18, 9, 0))
            file_report(org_a, "A1", day, now=at(2026, 11, 18, 9, 0))
        done, total = first.split("/")
        second = board_card()
        assert (second, len(calls)) == (f"{int(done) + 1}/{total}", 2)
        client_as(org_a.users["gm"], language="en").get(reverse("home"))
        assert len(calls) == 3  # another language is its own entry (the cards hold translated text)


OLD_HOSPITALITY_ROWS = """{% load i18n %}{% for a in page %}<tr><td class="nowrap"><a href="{% url 'hospitality:application' a.pk %}">{{ a.number }}</a>{% if a.is_emergency %} <span class="chip">{% translate "紧急" %}</span>{% endif %}</td>
<td class="nowrap">{{ a.visit_date|date:"Y-m-d" }}</td><td class="hide-sm">{{ a.branch.name }}</td><td class="hide-sm">{{ a.applicant.display_name }}</td><td class="hide-sm">{{ a.venue.name }}</td>
<td class="num">{{ a.expected_diners }}</td><td>{% include "expenses/hospitality/_status.html" with s=a.status label=a.get_status_display %}</td></tr>
{% empty %}<tr><td colspan="7" class="empty">{% translate "没有符合条件的申请。" %}</td></tr>{% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hospitality_rows_are_the_old_loop(org_a, client_as, language):
    """The hospitality application list's Python rows are the template loop's markup: an
    ordinary, an approved and an emergency application, a venue name that needs escaping."""
    from expenses.hospitality.tests import helpers as h

    with h.at(h.TUESDAY):
        v = h.venue(org_a, name="<东方> & 饭店")
        h.apply(org_a, v)
        h.approved_app(org_a, v)
        h.emergency(org_a, v)
    page = client_as(org_a.users["gm"], language=language).get(reverse("hospitality:index"))
    _old_rows_are_the_table_body(org_a, page, OLD_HOSPITALITY_ROWS, language, minimum=3)
    empty = client_as(org_a.users["gm"], language=language).get(reverse("hospitality:index"), {"status": "lapsed"})
    _old_rows_are_the_table_body(org_a, empty, OLD_HOSPITALITY_ROWS, language, minimum=0)
