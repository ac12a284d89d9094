"""Demo content, built through the services. Idempotent. ``rich``: a few weeks of filed
reports, roster, collections, targets and past summaries; otherwise one of everything."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.utils import timezone

from marketing.models import Branch

from . import imports, services
from .mailing import summary_send
from .models import (
    DailyReport,
    DailySummary,
    ImportJob,
    ImportKind,
    MonthlyTarget,
    PartnerKind,
    WorkdayOverride,
)
from .workcal import WorkCalendar

NARRATIVES = [
    "上午拜访{city}两家4S店，介绍新款延保套餐；下午与一家修理厂洽谈合作，对方有意向。",
    "参加{city}汽车商会活动，收集意向客户12家；跟进上周报价的经销商，已进入合同审核。",
    "组织销售晨会复盘本周目标；走访老客户3家，续签1份。",
    "与{city}本地二手车市场负责人会谈，商定下周联合推广；完成2份合同签约。",
]
PROBLEMS = ["宣传物料不足，申请补寄海报和三折页。", "竞品降价明显，希望总部给出价格支持方案。", "", "合同空白件剩余不多，已提交申领。"]
PLANS = ["继续跟进意向经销商，争取签约。", "走访新区修理厂，推广钻石套餐。", "准备周末车展物料与人员排班。"]
POSITIONS = ["销售", "业务员", "销售经理", "大区经理", "出纳", "行政"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超", "霞", "平", "刚"]


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def seed(*, tenant, personas: dict, rich: bool) -> None:
    rnd = random.Random(f"{tenant.slug}-reports")
    now = timezone.now()
    calendar = WorkCalendar(tenant)
    today = now.astimezone(tenant.zone).date()
    branches = list(Branch.objects.filter(tenant=tenant, is_active=True).select_related("region"))
    if not branches:
        return
    actor = personas.get("admin")
    marketer = personas.get("mspec") or actor

    # Roster through an import job (also gives the import history one entry).
    if not ImportJob.objects.filter(tenant=tenant).exists():
        header = [["姓名", "分公司", "岗位", "入职日期", "离职日期", "手机"]]
        people = []
        per_branch = 8 if rich else 2
        for b in branches:
            for i in range(per_branch):
                name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if i % 2 else "")
                hired = today - dt.timedelta(days=rnd.randint(40, 900))
                left = (today - dt.timedelta(days=rnd.randint(1, 30))).isoformat() if rich and i == per_branch - 1 else None
                people.append([f"{name}{b.code}{i}", b.name, POSITIONS[i % len(POSITIONS)], hired.isoformat(), left,
                               f"138{rnd.randint(10000000, 99999999)}"])
        job = imports.import_create(tenant=tenant, kind=ImportKind.ROSTER, filename="人事动态表及通讯录.xlsx",
                                    content=_xlsx(header + people), actor=personas.get("hr") or actor)
        job = imports.import_validate(job=job)
        job = imports.import_confirm(job=job, actor=personas.get("hr") or actor)
        imports.import_apply(job=job)

    # Business days: the last N working days before today's current business day.
    days = []
    day = calendar.current_business_day(now)
    for _i in range(25 if rich else 2):
        days.append(day)
        day = calendar.previous_working(day)
    days.reverse()

    # Collections and targets.
    month_starts = sorted({d.replace(day=1) for d in days} | {today.replace(day=1)})
    rows = []
    for d in days:
        for b in branches:
            rnd = random.Random(f"{tenant.slug}-{b.code}-{d}-money")
            if rich or b == branches[0]:
                rows.append({"branch_id": b.pk, "day": d, "amount": Decimal(rnd.randint(0, 60000)) + Decimal("0.50")})
    imports.apply_rows(tenant=tenant, kind=ImportKind.COLLECTIONS, rows=rows)
    for m in month_starts:
        for index, b in enumerate(branches):
            if (not rich and index > 0) or (rich and index % 6 == 5):
                continue  # some branches without target: the summary shows a blank ratio
            rnd = random.Random(f"{tenant.slug}-{b.code}-{m}-target")
            if not MonthlyTarget.objects.filter(tenant=tenant, branch=b, month=m).exists():
                services.target_set(tenant=tenant, branch=b, month=m, amount=Decimal(rnd.randint(40, 120) * 10000),
                                    actor=marketer)

    # Reports: most on time, some late, a few missing; the current day partly filed.
    filers = {}
    for key, user in personas.items():
        if key.startswith("bgm"):
            filers[key] = user
    for d in days:
        due = calendar.due_at(d)
        for index, b in enumerate(branches):
            if DailyReport.objects.filter(tenant=tenant, branch=b, business_day=d).exists():
                continue
            rnd = random.Random(f"{tenant.slug}-{b.code}-{d}")  # same choices on every run: idempotent
            roll = rnd.random()
            current = d == days[-1]
            if not rich and index > 0:
                continue  # small tenant: one branch files, so every model has an instance
            if rich and ((current and roll < 0.35) or (not current and roll < 0.06)):
                continue  # missing
            late = roll > 0.9 and not current
            early = rnd.choice([rnd.randint(15, 110), rnd.randint(660, 960)])  # 08:10-09:45, or the evening before
            submitted = due + dt.timedelta(minutes=rnd.randint(5, 180)) if late else due - dt.timedelta(minutes=early)
            submitted = min(submitted, now)
            author = next(iter(filers.values()), actor)
            partners = []
            if rnd.random() < 0.25 or (not rich and d == days[-1]):
                partners.append({"kind": rnd.choice(PartnerKind.values), "name": f"{b.city}{rnd.choice(['顺达', '恒通', '安驰', '宏远'])}汽车服务",
                                 "city": b.city or "上海", "contact": f"李经理 139{rnd.randint(10000000, 99999999)}"})
            report = services.report_save(
                tenant=tenant, branch=b, business_day=d, actor=author, now=submitted, submit=not (rich and current and roll > 0.93),
                data={"narrative": rnd.choice(NARRATIVES).format(city=b.city or "本地"), "customer_visits": rnd.randint(2, 15),
                      "contracts_signed": rnd.randint(0, 6), "problems": rnd.choice(PROBLEMS), "next_plan": rnd.choice(PLANS)},
                partners=partners,
            )
            if partners and rnd.random() < 0.4 and not current:
                services.partner_set_paper_received(partner=report.partners.first(), actor=marketer, received=True)

    # Calendar: one company-specific day off (and the 2027 warning stays until admins act).
    if not WorkdayOverride.objects.filter(tenant=tenant).exists():
        services.override_set(tenant=tenant, day=dt.date(today.year, 12, 31), is_working=False,
                              note="公司年终盘点休息", actor=actor)

    # Past summaries (sent through the normal path; the dev mail backend writes .eml files).
    for d in days[-6 if rich else -2 : -1]:  # past days only: today's is the dispatcher's job
        if not DailySummary.objects.filter(tenant=tenant, business_day=d).exists():
            summary_send(tenant=tenant, business_day=d, now=calendar.due_at(d))
