"""A trial tenant from create_tenant moves in with the sample spreadsheets shipped in the repo
(samples/onboarding/) by following the checklist alone, and its first daily summary is right."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from contracts.models import Product, ProductStatus
from contracts.selectors_ledger import sell_through
from marketing.models import Branch, Region, Tenant, User
from marketing.notifications.delivery import deliver
from marketing.onboarding import samples, services
from marketing.onboarding.models import OpeningKind, OpeningStatus
from marketing.onboarding.steps import chain_types, checklist
from marketing.tenancy import tenant_scope
from reports import imports as report_imports
from reports.models import ImportStatus

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # Thursday


def report_import(tenant, admin, kind, name):
    job = report_imports.import_create(tenant=tenant, kind=kind, filename=name, content=samples.path(name).read_bytes(),
                                       actor=admin)
    job = report_imports.import_validate(job=job)
    assert job.status == ImportStatus.READY, job.errors
    job = report_imports.import_confirm(job=job, actor=admin)
    job = report_imports.import_apply(job=job)
    assert job.status == ImportStatus.DONE, job.errors


def move_in():
    call_command("create_tenant", "--name", "示范延保", "--slug", "demo-trial", "--mailbox", "mkt@trial.test",
                 "--admin-username", "trial_admin", "--admin-password", "Trial!pass-2026",
                 "--admin-email", "admin@trial.test")
    tenant = Tenant.objects.get(slug="demo-trial")
    admin = User.objects.get(username="trial_admin")
    return tenant, admin


@time_machine.travel(NOW, tick=False)
def test_trial_tenant_reaches_a_first_correct_daily_summary(capsys, mailoutbox):
    tenant, admin = move_in()
    with tenant_scope(tenant):
        assert services.org_import(tenant=tenant, actor=admin,
                                   content=samples.path("组织架构.xlsx").read_bytes()) == {
            "errors": [], "regions": 2, "branches": 3}
        assert services.org_import(tenant=tenant, actor=admin,
                                   content=samples.path("组织架构.xlsx").read_bytes())["branches"] == 0
        assert Region.objects.filter(tenant=tenant).count() == 2 and Branch.objects.filter(tenant=tenant).count() == 3
        report_import(tenant, admin, "roster", "人事动态表及通讯录.xlsx")
        plan = services.roster_plan(tenant=tenant)
        assert plan["per_branch_role"] == [
            (("上海分公司", "分公司总经理"), 1), (("上海分公司", "销售"), 2), (("广州分公司", "分公司出纳"), 1),
            (("广州分公司", "分公司总经理"), 1), (("广州分公司", "销售"), 1), (("杭州分公司", "分公司总经理"), 1),
            (("杭州分公司", "销售"), 1)]
        assert services.accounts_from_roster(tenant=tenant, actor=admin) == 8
        assert services.accounts_from_roster(tenant=tenant, actor=admin) == 0
        report_import(tenant, admin, "targets", "销售月度考核目标.xlsx")
        report_import(tenant, admin, "collections", "公司回款统计表.xlsx")
        services.step_confirm(tenant=tenant, actor=admin, step="calendar", item="2026")
        services.step_confirm(tenant=tenant, actor=admin, step="deadline")
        for t in chain_types():
            services.step_confirm(tenant=tenant, actor=admin, step="approvals", item=t.key)
        rows = services.test_summary_send(tenant=tenant, actor=admin)
        assert [m.to_address for m in rows] == ["admin@trial.test"]  # the admin alone
        body = rows[0].body
        assert "业务日：2026-12-02" in body
        assert "公司本月完成率：12.2%（累计回款 183000.50）" in body, body
        assert "华东区：10.8%" in body and "华南区：15.0%" in body  # 108,000 / 1,000,000; 75,000.50 / 500,000
        deliver(message_id=rows[0].pk)
        states = {s.step.key: s.state for s in checklist(tenant)}
    assert [m.to for m in mailoutbox] == [["admin@trial.test"]]
    assert all(states[k] == "done" for k in ("org", "people", "calendar", "deadline", "approvals", "targets",
                                             "collections", "test_send")), states
    capsys.readouterr()
    call_command("tenant_setup_status", "--tenant", "demo-trial")  # exit 0
    assert capsys.readouterr().out.splitlines()[-1] == "全部必需步骤已完成。"


@time_machine.travel(NOW, tick=False)
def test_sample_price_list_and_ledger_openings_give_exact_sell_through():
    tenant, admin = move_in()
    with tenant_scope(tenant):
        services.org_import(tenant=tenant, actor=admin, content=samples.path("组织架构.xlsx").read_bytes())
        report_import(tenant, admin, "roster", "人事动态表及通讯录.xlsx")
        services.accounts_from_roster(tenant=tenant, actor=admin)
        # the product itself comes through the product design chain; here it is simply on sale
        product = Product.objects.create(tenant=tenant, code="YB-DL24", name="动力总成延保",
                                         status=ProductStatus.ONLINE, created_by=admin)
        job = services.opening_run_file(tenant=tenant, kind=OpeningKind.PRICE_LIST,
                                        path=samples.path("产品体系报价表.xlsx"), as_of=dt.date(2026, 7, 1), actor=admin)
        assert job.status == OpeningStatus.DONE and job.result["entries"] == 4, job.errors
        job = services.opening_run_file(tenant=tenant, kind=OpeningKind.CONTRACTS,
                                        path=samples.path("合同台账期初.xlsx"), as_of=dt.date(2026, 12, 1), actor=admin)
        assert job.status == OpeningStatus.DONE, job.errors
        assert dict(job.totals["per_state"]) == {"在库": 20, "已派发": 9, "已领取": 10, "客户已签": 18, "回收作废": 3}
        assert dict(job.totals["per_branch"]) == {"总部": 20, "上海分公司": 25, "杭州分公司": 15}
        sh, hz = Branch.objects.get(tenant=tenant, code="SH"), Branch.objects.get(tenant=tenant, code="HZ")
        assert sell_through(tenant=tenant, branch=sh, product=product)["rate"] == Decimal("0.5217")  # 12 / 23
        assert sell_through(tenant=tenant, branch=hz, product=product)["rate"] == Decimal("0.4286")  # 6 / 14
        states = {s.step.key: s.state for s in checklist(tenant)}
    assert states["pricelist"] == "done" and states["ledger"] == "done"
