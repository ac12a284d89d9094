"""The setup checklist (开通向导): each step, in the order a company moves in, with its state
detected from the live data of the app that owns it. Nothing here writes.

States: not started / in progress / done / skipped (a reason, audited) / not available (the app
that would do it is not installed). ``required`` steps are those the first correct daily summary
needs; the command exits 0 only when each of them is done (or, where allowed, skipped)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import MarkKind, OpeningImport, OpeningKind, OpeningStatus, SetupMark

NOT_STARTED, IN_PROGRESS, DONE, SKIPPED, UNAVAILABLE = "not_started", "in_progress", "done", "skipped", "unavailable"
STATE_LABELS = {NOT_STARTED: gettext_lazy("未开始"), IN_PROGRESS: gettext_lazy("进行中"), DONE: gettext_lazy("已完成"),
                SKIPPED: gettext_lazy("已跳过"), UNAVAILABLE: gettext_lazy("暂不可用")}
STATE_TONES = {NOT_STARTED: "muted", IN_PROGRESS: "warn", DONE: "ok", SKIPPED: "info", UNAVAILABLE: "muted"}
TEST_KIND = "onboarding.test_summary"

HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass
class Step:
    key: str
    title: object
    required: bool
    skippable: bool
    url_name: str
    who: object  # who does it (the role whose page it is)
    detect: Callable  # (ctx) -> (state, [found lines])


@dataclass
class StepState:
    step: Step
    state: str
    found: list[str]
    skip: SetupMark | None = None
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def tone(self) -> str:
        return STATE_TONES[self.state]

    @property
    def settled(self) -> bool:
        return self.state in (DONE, SKIPPED)

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse(self.step.url_name)


class Ctx:
    """The tenant, today, and the marks (one query); each detector does its own one or two."""

    def __init__(self, tenant, today: dt.date | None = None):
        self.tenant = tenant
        self.today = today or timezone.localdate(timezone=tenant.zone)
        self.month = self.today.replace(day=1)
        self.marks = list(SetupMark.objects.filter(tenant=tenant))
        from marketing.models import Branch

        self.branches = list(Branch.objects.filter(tenant=tenant, is_active=True, is_headquarters=False))

    def confirmed(self, step: str, item: str = "") -> bool:
        return any(m.step == step and m.item == item and m.kind == MarkKind.CONFIRMED for m in self.marks)

    def confirmed_items(self, step: str) -> set[str]:
        return {m.item for m in self.marks if m.step == step and m.kind == MarkKind.CONFIRMED}

    def skip(self, step: str) -> SetupMark | None:
        return next((m for m in self.marks if m.step == step and m.kind == MarkKind.SKIPPED), None)


def _org(ctx):
    from marketing.models import Region

    regions = Region.objects.filter(tenant=ctx.tenant).count()
    found = [_("%(r)s 个地区，%(b)s 个分公司（启用，不含总部）") % {"r": regions, "b": len(ctx.branches)}]
    if regions and ctx.branches:
        return DONE, found
    return (IN_PROGRESS if regions else NOT_STARTED), found


def _people(ctx):
    from marketing.models import Membership
    from marketing.roles import Role
    from marketing.selectors import users_with_roles
    from reports.models import RosterEntry

    roster = RosterEntry.objects.filter(tenant=ctx.tenant).count()
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db.models import Count, Q

    counts = Membership.objects.filter(tenant=ctx.tenant, is_active=True).aggregate(
        n=Count("pk"), no_password=Count("pk", filter=Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)))
    members = counts["n"]
    gm_branches = set()
    from marketing.models import BranchUserObjectPermission

    gms = list(users_with_roles(tenant=ctx.tenant, roles=[Role.BRANCH_GM]).values_list("pk", flat=True))
    gm_branches = set(BranchUserObjectPermission.objects.filter(
        tenant=ctx.tenant, user_id__in=gms, permission__codename="act_for_branch")
        .values_list("content_object_id", flat=True))
    without = [b.name for b in ctx.branches if b.pk not in gm_branches]
    found = [_("花名册 %(n)s 人；账号 %(m)s 个") % {"n": roster, "m": members}]
    if counts["no_password"]:
        found.append(_("%(n)s 个账号尚未设置密码（可在本步骤生成邀请链接）") % {"n": counts["no_password"]})
    if without:
        found.append(_("尚无分公司总经理账号：%(b)s") % {"b": "、".join(without[:10])
                                                   + ("…" if len(without) > 10 else "")})
    if roster and members > 1 and ctx.branches and not without:
        return DONE, found
    return (IN_PROGRESS if roster or members > 1 else NOT_STARTED), found


def year_days(year: int) -> dict:
    """The official calendar's days off that fall on weekdays and its make-up working days (调休)."""
    import chinese_calendar

    holidays = sorted((d, HOLIDAY_NAMES.get(n, n)) for d, n in chinese_calendar.holidays.items()
                      if d.year == year and d.weekday() < 5)
    makeup = sorted((d, HOLIDAY_NAMES.get(n, n)) for d, n in chinese_calendar.workdays.items()
                    if d.year == year and d.weekday() >= 5)
    return {"holidays": holidays, "makeup": makeup}


def _calendar(ctx):
    from reports.models import WorkdayOverride
    from reports.workcal import year_covered

    year = ctx.today.year
    overrides = WorkdayOverride.objects.filter(tenant=ctx.tenant, day__year=year).count()
    if not year_covered(year):
        found = [_("官方日历尚未包含 %(y)s 年：请在工作日历中逐日设置节假日与调休") % {"y": year}]
    else:
        days = year_days(year)
        found = [_("%(y)s 年：工作日放假 %(h)s 天，调休上班 %(m)s 天；本公司调整 %(o)s 天") % {
            "y": year, "h": len(days["holidays"]), "m": len(days["makeup"]), "o": overrides}]
    if ctx.confirmed("calendar", str(year)):
        return DONE, found + [_("%(y)s 年日历已确认") % {"y": year}]
    return NOT_STARTED, found


def _deadline(ctx):
    from reports.selectors import summary_recipients

    t = ctx.tenant
    recipients = summary_recipients(tenant=t)
    found = [_("日报截止 %(d)s，汇总发送 %(s)s；汇总收件人 %(n)s 人") % {
        "d": t.report_deadline_time.strftime("%H:%M"), "s": t.summary_send_time.strftime("%H:%M"),
        "n": len(recipients)}]
    if recipients:
        found.append("、".join(u.display_name for u in recipients[:8]) + ("…" if len(recipients) > 8 else ""))
    if ctx.confirmed("deadline") and recipients:
        return DONE, found
    return (IN_PROGRESS if recipients else NOT_STARTED), found


def chain_types():
    from marketing.approvals.registry import all_types

    return all_types(configurable=True)


def _approvals(ctx):
    from marketing.approvals.models import ApprovalChain

    types = chain_types()
    edited = set(ApprovalChain.objects.filter(tenant=ctx.tenant).values_list("document_type", flat=True))
    confirmed = ctx.confirmed_items("approvals")
    settled = [t for t in types if t.key in edited or t.key in confirmed]
    found = [_("%(n)s / %(m)s 类单据的审批流程已确认或已修改") % {"n": len(settled), "m": len(types)}]
    pending = [str(t.label) for t in types if t not in settled]
    if pending:
        found.append(_("待确认：%(t)s") % {"t": "、".join(pending)})
    if len(settled) == len(types):
        return DONE, found
    return (IN_PROGRESS if settled else NOT_STARTED), found


def _targets(ctx):
    from reports.models import MonthlyTarget

    with_target = set(MonthlyTarget.objects.filter(tenant=ctx.tenant, month=ctx.month)
                      .values_list("branch_id", flat=True))
    have = [b for b in ctx.branches if b.pk in with_target]
    missing = [b.name for b in ctx.branches if b.pk not in with_target]
    found = [_("%(m)s：%(n)s / %(t)s 个分公司有目标") % {"m": ctx.month.strftime("%Y-%m"), "n": len(have),
                                                  "t": len(ctx.branches)}]
    if missing:
        found.append(_("缺目标：%(b)s") % {"b": "、".join(missing[:10]) + ("…" if len(missing) > 10 else "")})
    if ctx.branches and not missing:
        return DONE, found
    return (IN_PROGRESS if have else NOT_STARTED), found


def _collections(ctx):
    from django.db.models import Count, Sum

    from reports.models import Collection

    agg = Collection.objects.filter(tenant=ctx.tenant, day__gte=ctx.month, day__lte=ctx.today).aggregate(
        n=Count("pk"), total=Sum("amount"), days=Count("day", distinct=True))
    found = [_("本月至今回款 %(n)s 条（%(d)s 天），合计 %(t)s 元") % {"n": agg["n"], "d": agg["days"],
                                                            "t": f"{agg['total'] or 0:,.2f}"}]
    return (DONE if agg["n"] else NOT_STARTED), found


def _pricelist(ctx):
    from contracts.models import PriceList, PriceListStatus

    lists = list(PriceList.objects.filter(tenant=ctx.tenant).values_list("status", "version", "effective_on"))
    published = [v for s, v, _e in lists if s == PriceListStatus.PUBLISHED]
    if published:
        eff = next(e for s, v, e in lists if s == PriceListStatus.PUBLISHED and v == min(published))
        return DONE, [_("已发布 %(n)s 个版本（第一版 %(d)s 起生效）") % {"n": len(published), "d": eff}]
    pending = OpeningImport.objects.filter(tenant=ctx.tenant, kind=OpeningKind.PRICE_LIST,
                                           status=OpeningStatus.READY).exists()
    if lists or pending:
        return IN_PROGRESS, [_("有草稿或待确认的导入，尚未发布")]
    return NOT_STARTED, [_("尚无报价表")]


def _ledger(ctx):
    from contracts.models import Contract

    jobs = list(OpeningImport.objects.filter(tenant=ctx.tenant, kind=OpeningKind.CONTRACTS)
                .values_list("status", "total_rows", "as_of")[:20])
    contracts = Contract.objects.filter(tenant=ctx.tenant).count()
    done = [j for j in jobs if j[0] == OpeningStatus.DONE]
    if done:
        return DONE, [_("期初已导入（%(d)s）；台账共 %(n)s 份合同") % {"d": done[0][2], "n": contracts}]
    if jobs:
        return IN_PROGRESS, [_("已上传 %(n)s 个文件，尚未确认导入") % {"n": len(jobs)}]
    return NOT_STARTED, [_("期初未导入前，合同申领的动销率检查会提示“期初未导入”，而不是按首次申领通过")]


def _customers(ctx):
    from customers.models import Customer, ImportBatch

    n = Customer.objects.filter(tenant=ctx.tenant).count()
    if n:
        return DONE, [_("客户档案 %(n)s 户") % {"n": n}]
    if ImportBatch.objects.filter(tenant=ctx.tenant).exists():
        return IN_PROGRESS, [_("已上传，尚未确认导入")]
    return NOT_STARTED, [_("尚无客户")]


def _partners(ctx):
    if not apps.is_installed("customers.partners"):  # is_installed takes the dotted path, not the label
        return UNAVAILABLE, [_("合作伙伴（经销商、修理厂）模块尚未启用")]
    model = next((m for m in apps.get_app_config("partners").get_models() if m.__name__ == "Partner"), None)
    n = model.objects.filter(tenant=ctx.tenant).count() if model is not None else 0
    return (DONE if n else NOT_STARTED), [_("合作伙伴 %(n)s 家") % {"n": n}]


def _channels(ctx):
    from marketing.notifications.models import ChatWebhook, CompanySignIn

    hooks = ChatWebhook.objects.filter(tenant=ctx.tenant).count()
    signin = CompanySignIn.objects.filter(tenant=ctx.tenant).count()
    found = [_("群机器人 %(h)s 个，企业登录 %(s)s 个；邮件始终可用") % {"h": hooks, "s": signin}]
    return (DONE if hooks or signin else NOT_STARTED), found


def _test_send(ctx):
    from marketing.notifications.models import Message, Status

    last = Message.objects.filter(tenant=ctx.tenant, kind=TEST_KIND).order_by("-created_at", "-pk").first()
    if last is None:
        return NOT_STARTED, [_("尚未测试发送")]
    found = [_("最近一次：%(at)s 发给 %(to)s，%(s)s") % {
        "at": timezone.localtime(last.created_at).strftime("%Y-%m-%d %H:%M"), "to": last.to_address or "—",
        "s": last.get_status_display()}]
    return (DONE if last.status == Status.SENT else IN_PROGRESS), found


STEPS: list[Step] = [
    Step("org", gettext_lazy("组织架构：地区与分公司"), True, False, "onboarding:org_import", gettext_lazy("系统管理员"), _org),
    Step("people", gettext_lazy("人员：花名册与账号、角色"), True, False, "onboarding:people",
         gettext_lazy("人事（花名册）、系统管理员（账号）"), _people),
    Step("calendar", gettext_lazy("工作日历：节假日与调休确认"), True, False, "onboarding:calendar",
         gettext_lazy("系统管理员"), _calendar),
    Step("deadline", gettext_lazy("日报截止时间与汇总收件人"), True, False, "reports:recipients",
         gettext_lazy("系统管理员"), _deadline),
    Step("approvals", gettext_lazy("审批流程：确认默认流程或修改"), True, True, "onboarding:approvals",
         gettext_lazy("系统管理员"), _approvals),
    Step("targets", gettext_lazy("本月目标（销售月度考核目标）"), True, True, "reports:imports",
         gettext_lazy("市场专员、分公司总经理"), _targets),
    Step("collections", gettext_lazy("本月至今回款（公司回款统计表）"), True, True, "reports:imports",
         gettext_lazy("财务"), _collections),
    Step("pricelist", gettext_lazy("产品体系报价表（期初版本）"), False, True, "onboarding:opening_pricelist",
         gettext_lazy("市场专员"), _pricelist),
    Step("ledger", gettext_lazy("合同台账期初"), False, True, "onboarding:opening_contracts",
         gettext_lazy("市场专员"), _ledger),
    Step("customers", gettext_lazy("客户档案"), False, True, "customers:import", gettext_lazy("市场营销总监"),
         _customers),
    Step("partners", gettext_lazy("合作伙伴"), False, True, "partners:list", gettext_lazy("运营"), _partners),
    Step("channels", gettext_lazy("通知渠道：群机器人与企业登录"), False, True, "notifications:webhooks",
         gettext_lazy("系统管理员"), _channels),
    Step("test_send", gettext_lazy("测试发送日报汇总（仅发给自己）"), True, False, "onboarding:checklist",
         gettext_lazy("系统管理员"), _test_send),
]
STEP_KEYS = {s.key: s for s in STEPS}


def checklist(tenant, today: dt.date | None = None) -> list[StepState]:
    ctx = Ctx(tenant, today)
    out = []
    for step in STEPS:
        state, found = step.detect(ctx)
        skip = ctx.skip(step.key) if step.skippable else None
        if skip is not None and state not in (DONE, UNAVAILABLE):
            state = SKIPPED
            found = [*found, _("跳过原因：%(r)s") % {"r": skip.reason}]
        out.append(StepState(step=step, state=state, found=found, skip=skip))
    return out


def all_required_settled(states: list[StepState]) -> bool:
    return all(s.settled for s in states if s.step.required)


def plain_text(tenant, today: dt.date | None = None) -> tuple[str, bool]:
    """The checklist as plain text (the command prints it) and whether every required step is settled."""
    states = checklist(tenant, today)
    lines = [_("开通向导：%(t)s（%(s)s）") % {"t": tenant.name, "s": tenant.slug}]
    for i, s in enumerate(states, 1):
        need = _("必需") if s.step.required else _("可选")
        lines.append(f"{i:>2}. [{s.label}] {s.step.title}（{need}）  {s.url}")
        for f in s.found:
            lines.append(f"      {f}")
    ok = all_required_settled(states)
    todo = [s for s in states if s.step.required and not s.settled]
    lines.append(_("全部必需步骤已完成。") if ok else _("还有 %(n)s 个必需步骤未完成；下一步：%(s)s") % {
        "n": len(todo), "s": todo[0].step.title})
    return "\n".join(lines) + "\n", ok
