"""Home cards: today's filing board for marketing, the branch's own report for filers,
and the calendar warning for admins."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.roles import Cap

from . import selectors
from .models import DailyReport, SummaryStatus
from .workcal import WorkCalendar, missing_years

# The cards read these (marketing/dashboard.py keeps them a minute unless one changes).
HOME_CARDS_WATCH = ("dailyreport", "dailysummary", "workdayoverride", "branch")


def home_cards(request) -> list[dict]:
    membership = request.membership
    tenant = request.tenant
    cards: list[dict] = []
    now = timezone.now()
    calendar = WorkCalendar(tenant)
    day = calendar.current_business_day(now)
    if membership.can(Cap.REPORTS_VIEW_ALL):
        board = selectors.board_counts(tenant=tenant, business_day=day, now=now, calendar=calendar)
        done = board["counts"]["on_time"] + board["counts"]["late"]
        missing = board["counts"]["missing"]
        cards.append({
            "title": _("%(day)s 日报") % {"day": day.strftime("%m-%d")},
            "value": f"{done}/{board['total']}",
            "hint": _("未报 %(n)d 家") % {"n": missing} if missing else _("截止 %(t)s") % {"t": board["due_at"].strftime("%m-%d %H:%M")},
            "url": reverse("reports:board"),
            "tone": "bad" if missing else ("ok" if done == board["total"] else "default"),
        })
    elif selectors.can_file(membership):
        branches = list(selectors.filing_branches(membership=membership).values_list("pk", flat=True))
        filed = DailyReport.objects.filter(tenant=tenant, business_day=day, branch_id__in=branches, submitted_at__isnull=False).count()
        cards.append({
            "title": _("%(day)s 日报") % {"day": day.strftime("%m-%d")},
            "value": _("已提交") if branches and filed == len(branches) else _("未提交"),
            "hint": _("截止 %(t)s") % {"t": calendar.due_at(day).astimezone(tenant.zone).strftime("%m-%d %H:%M")},
            "url": reverse("reports:file"),
            "tone": "ok" if branches and filed == len(branches) else "warn",
        })
    if membership.can(Cap.SUMMARIES_VIEW) or membership.can(Cap.SUMMARIES_MANAGE):
        latest = selectors.summaries_for(membership=membership).order_by("-business_day").first()
        if latest is not None:
            failed = latest.status == SummaryStatus.FAILED
            cards.append({
                "title": _("最新每日汇总"),
                "value": latest.business_day.strftime("%m-%d"),
                "hint": latest.get_status_display(),
                "url": reverse("reports:summary_detail", args=[latest.pk]),
                "tone": "bad" if failed else ("ok" if latest.status == SummaryStatus.SENT else "warn"),
            })
    if membership.can(Cap.REPORTS_CALENDAR):
        years = missing_years(now.astimezone(tenant.zone).date())
        if years:
            cards.append({
                "title": _("缺少官方节假日安排的年份"),
                "value": "、".join(str(y) for y in years),
                "hint": _("暂按周一至周五计算，请添加法定节假日调整"),
                "url": reverse("reports:calendar"),
                "tone": "warn",
            })
    return cards
