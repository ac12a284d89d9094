"""The hospitality lines of the checklist: open applications and claims, and the personal
shares not yet settled (帐务清算), with the amount owed listed for finance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from expenses.hospitality.tests.helpers import TUESDAY, apply, approved_app, at, claim, line, venue
from marketing.people import services

from .helpers import file_departure, lines_by_key

pytestmark = pytest.mark.django_db

WED = TUESDAY + dt.timedelta(days=1)


def test_open_requests_and_unsettled_personal_share(org_a):
    v = venue(org_a)
    with at(TUESDAY):
        app = approved_app(org_a, v, expected_diners=2)   # approved: nothing left to do on it
        apply(org_a, v, visit_date=TUESDAY + dt.timedelta(days=3))  # 审批中: open
    with at(WED, 21):
        claim(org_a, app, [line("dish", "300.00", 3), line("drink", "96.50", description="啤酒")])  # 财务审核中
        d = file_departure(org_a)
        lines = lines_by_key(org_a, d)
        assert (lines["hospitality"].count, lines["settlement"].count) == (2, 1)
        assert lines["settlement"].detail == "应收个人 ¥96.50"
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:  # only finance settles
                services.line_waive(departure=d, actor=org_a.users["bgm"], line="settlement", reason="已扣")
            assert exc.value.code == "not_entitled"
            services.line_waive(departure=d, actor=org_a.users["finance"], line="settlement",
                                reason="¥96.50 已从工资中扣回")
        assert lines_by_key(org_a, d)["settlement"].status == "waived"
