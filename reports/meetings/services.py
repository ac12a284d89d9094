"""Every state change of the monthly meeting: one function each, atomic, audited, messages
only through the outbox (``notify``).

Seed rules: S003-21 (a meeting must decide: it cannot close while an agenda item lacks a
决议), S003-22 / S003-25..27 (the pack's contents, ``pack.py``), S001-03 (work handed out:
action items with owner and due date), S001-28 (minutes of the meeting)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.audit import audit_record
from marketing.notifications.models import register_kind
from marketing.notifications.services import notify
from marketing.roles import Cap, Role
from marketing.selectors import users_with_roles

from ..summary import money_text, pct
from .models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaSource,
    Meeting,
    MeetingStatus,
    MonthlyPack,
    PackStatus,
)
from .pack import compile_pack, previous_month

log = logging.getLogger(__name__)

PACK_KIND = "meetings.pack"
ACTION_KIND = "meetings.action"
DUE_KIND = "meetings.action_due"
register_kind(PACK_KIND, gettext_lazy("市场部月例会资料"))
register_kind(ACTION_KIND, gettext_lazy("月例会待办事项"))
register_kind(DUE_KIND, gettext_lazy("月例会待办到期提醒"))

PACK_RECIPIENT_ROLES = (Role.MARKETING_DIRECTOR, Role.GENERAL_MANAGER)  # 营销总监 and 总经理 (seed 003)
REMIND_DAYS_BEFORE = 2  # calendar days: an action due on day D is reminded from D-2


def pack_recipients(*, tenant):
    return list(users_with_roles(tenant=tenant, roles=PACK_RECIPIENT_ROLES))


# --- the pack ---------------------------------------------------------------------------------


def pack_claim(*, tenant, month: dt.date, now: dt.datetime, force: bool = False) -> MonthlyPack | None:
    """Claim the month's pack before compiling or sending anything: the row is unique per
    tenant and month, so of two beats (or a retried task) exactly one gets it. A failed pack
    may be claimed again; ``force`` regenerates a ready/sent one (it is not sent again)."""
    month = month.replace(day=1)
    try:
        with transaction.atomic():
            return MonthlyPack.objects.create(tenant=tenant, month=month, claimed_at=now)
    except IntegrityError:
        pass
    with transaction.atomic():
        row = MonthlyPack.objects.select_for_update().get(tenant=tenant, month=month)
        if row.status == PackStatus.FAILED or force:
            row.status, row.claimed_at, row.error = (PackStatus.GENERATING if row.sent_at is None else row.status,
                                                     now, "")
            row.save(update_fields=["status", "claimed_at", "error"])
            return row
    return None


def _pack_lines(data: dict) -> list[str]:
    total = data.get("total") or {}
    behind = [r["branch"] for r in data.get("targets", []) if r.get("behind")]
    prev = data.get("previous_actions", [])
    lines = [
        _("公司完成率 %(rate)s，月末时间进度 %(pace)s") % {"rate": pct(total.get("rate")) or "—",
                                                  "pace": (data.get("pace") or {}).get("pct") or "—"},
        _("本月回款 %(mtd)s 元，月度目标 %(target)s 元") % {"mtd": total.get("mtd") or "0.00",
                                                    "target": total.get("target") or "—"},
        _("落后于时间进度的分公司：%(n)d 家") % {"n": len(behind)},
        _("本月无进展客户：%(n)d 家（下月重点客户候选）") % {"n": data.get("no_progress", 0)},
        _("本月市场活动：%(n)d 项") % {"n": len(data.get("activities", []))},
    ]
    if prev:
        done = sum(1 for a in prev if a["status"] == ActionStatus.DONE)
        lines.insert(0, _("上次例会待办：%(done)d/%(n)d 项已完成") % {"done": done, "n": len(prev)})
    return lines


def pack_generate(*, tenant, month: dt.date, now: dt.datetime | None = None, force: bool = False,
                  send: bool = True) -> MonthlyPack | None:
    """Compile the month's pack and send it (once) to the marketing director and the GM.
    None when another run already holds the month."""
    now = now or timezone.now()
    row = pack_claim(tenant=tenant, month=month, now=now, force=force)
    if row is None:
        return None
    try:
        data = compile_pack(tenant=tenant, month=row.month, now=now)
    except Exception as exc:  # recorded on the row (visible on the page), retried by the next run
        log.exception("monthly pack %s for tenant %s failed", row.month, tenant.pk)
        MonthlyPack.objects.filter(pk=row.pk).update(status=PackStatus.FAILED, error=type(exc).__name__[:300])
        row.refresh_from_db()
        return row
    with transaction.atomic():
        row = MonthlyPack.objects.select_for_update().get(pk=row.pk)
        first_send = send and row.sent_at is None
        row.data, row.generated_at = data, now
        row.status = PackStatus.SENT if (first_send or row.sent_at) else PackStatus.READY
        if first_send:
            row.sent_at = now
            notify(tenant=tenant, kind=PACK_KIND, users=pack_recipients(tenant=tenant),
                   subject=_("%(tenant)s 市场部月例会资料 %(month)s") % {"tenant": tenant.name, "month": data["month"]},
                   lines=_pack_lines(data), link=reverse("meetings:pack", args=[row.pk]),
                   link_label=_("查看月例会资料"), dedupe_key=f"meetings.pack:{row.month.isoformat()}")
        row.save(update_fields=["data", "generated_at", "status", "sent_at"])
        audit_record(tenant=tenant, actor=None, verb="meetings.pack_generated", obj=row,
                     after={"month": data["month"], "sent": first_send})
    return row


# --- the minutes ------------------------------------------------------------------------------


def _agenda_from_pack(data: dict) -> list[tuple[str, str]]:
    total = data.get("total") or {}
    behind = [r["branch"] for r in data.get("targets", []) if r.get("behind")]
    pace = (data.get("pace") or {}).get("pct") or "—"
    acts = data.get("activities", [])
    by_branch: dict[str, int] = {}
    for c in data.get("customers", []):
        if c["no_progress"]:
            by_branch[c["branch"]] = by_branch.get(c["branch"], 0) + 1
    return [
        (_("每月销售业绩目标完成情况"),
         _("公司完成率 %(rate)s，时间进度 %(pace)s；落后于时间进度：%(behind)s") % {
             "rate": pct(total.get("rate")) or "—", "pace": pace, "behind": "、".join(behind) or _("无")}),
        (_("回款与目标（应收帐款回收情况）"),
         "；".join(_("%(region)s 回款 %(mtd)s 元 / 目标 %(target)s 元（%(rate)s）") % {
             "region": g["region"], "mtd": money_text(g["mtd"]), "target": money_text(g["target"]) or "—",
             "rate": pct(g["rate"]) or "—"} for g in data.get("regions", []))),
        (_("客户销售业绩进度：无进展客户与下月重点客户"),
         _("无进展客户 %(n)d 家：%(detail)s") % {
             "n": data.get("no_progress", 0),
             "detail": "；".join(f"{b} {n}" for b, n in by_branch.items()) or _("无")}),
        (_("本月市场活动回顾与下月安排"),
         _("本月市场活动 %(n)d 项，其中已审批 %(ok)d 项") % {
             "n": len(acts), "ok": sum(1 for a in acts if a["approved"])}),
    ]


def meeting_create(*, tenant, actor, month: dt.date, held_on: dt.date, request=None) -> Meeting:
    """Open the minutes of the meeting reviewing ``month``. The agenda is prefilled: first
    the previous meeting's open actions (to follow up), then one item per section of the
    month's pack (compiled now when the scheduled pack has not run yet)."""
    month = month.replace(day=1)
    if Meeting.objects.filter(tenant=tenant, month=month).exists():
        raise ValidationError(_("%(month)s 的月例会已存在。") % {"month": month.strftime("%Y-%m")}, code="exists")
    pack = MonthlyPack.objects.filter(tenant=tenant, month=month).exclude(data={}).first()
    data = pack.data if pack is not None else compile_pack(tenant=tenant, month=month)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            tenant=tenant, month=month, held_on=held_on, pack=pack, created_by=actor,
            title=_("市场部月例会（%(month)s）") % {"month": month.strftime("%Y-%m")})
        position = 0
        last = Meeting.objects.filter(tenant=tenant, month__lt=month).order_by("-month").first()
        if last is not None:
            for action in (ActionItem.objects.filter(tenant=tenant, meeting=last, status=ActionStatus.OPEN)
                           .select_related("owner").order_by("due_on", "pk")):
                position += 1
                AgendaItem.objects.create(
                    tenant=tenant, meeting=meeting, position=position, source=AgendaSource.CARRIED,
                    carried_action=action, title=(_("跟进：%(title)s") % {"title": action.title})[:200],
                    briefing=_("负责人 %(owner)s，期限 %(due)s，状态：未完成") % {
                        "owner": action.owner.display_name, "due": action.due_on.isoformat()})
        for title, briefing in _agenda_from_pack(data):
            position += 1
            AgendaItem.objects.create(tenant=tenant, meeting=meeting, position=position, source=AgendaSource.PACK,
                                      title=title, briefing=briefing)
        audit_record(tenant=tenant, actor=actor, verb="meetings.meeting_created", obj=meeting,
                     after={"month": month.isoformat(), "items": position}, request=request)
    return meeting


def _open_meeting(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk, tenant=meeting.tenant)
    if locked.status != MeetingStatus.OPEN:
        raise ValidationError(_("会议已结束，纪要不能再修改。"), code="closed")
    return locked


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, actor, title: str, request=None) -> AgendaItem:
    meeting = _open_meeting(meeting)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写议题。"), code="required")
    position = (meeting.items.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    item = AgendaItem.objects.create(tenant=meeting.tenant, meeting=meeting, position=position, title=title[:200],
                                     source=AgendaSource.MANUAL)
    audit_record(tenant=meeting.tenant, actor=actor, verb="meetings.item_added", obj=item,
                 after={"title": item.title}, request=request)
    return item


@transaction.atomic
def agenda_item_update(*, item: AgendaItem, actor, discussion: str, decision: str, request=None) -> AgendaItem:
    _open_meeting(item.meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk, tenant=item.tenant)
    before = {"discussion": item.discussion, "decision": item.decision}
    item.discussion, item.decision = (discussion or "").strip(), (decision or "").strip()
    item.save(update_fields=["discussion", "decision"])
    audit_record(tenant=item.tenant, actor=actor, verb="meetings.item_recorded", obj=item, before=before,
                 after={"discussion": item.discussion, "decision": item.decision}, request=request)
    return item


@transaction.atomic
def action_add(*, item: AgendaItem, actor, title: str, owner, due_on: dt.date, request=None) -> ActionItem:
    meeting = _open_meeting(item.meeting)
    from marketing.models import Membership

    if not Membership.objects.filter(tenant=meeting.tenant, user=owner, is_active=True).exists():
        raise ValidationError(_("负责人必须是本单位的在职成员。"), code="owner")
    if due_on < meeting.held_on:
        raise ValidationError(_("完成期限不能早于会议日期。"), code="due_on")
    action = ActionItem.objects.create(tenant=meeting.tenant, meeting=meeting, item=item, title=title.strip()[:200],
                                       owner=owner, due_on=due_on)
    audit_record(tenant=meeting.tenant, actor=actor, verb="meetings.action_added", obj=action,
                 after={"title": action.title, "owner": owner.pk, "due_on": due_on.isoformat()}, request=request)
    return action


@transaction.atomic
def action_complete(*, action: ActionItem, actor, membership, note: str = "", request=None) -> ActionItem:
    """The owner (or a minute-taker) marks an action done; it then leaves the owner's home
    page and the next pack lists it as 已完成."""
    action = ActionItem.objects.select_for_update().get(pk=action.pk, tenant=action.tenant)
    if action.owner_id != actor.pk and not membership.can(Cap.MEETINGS_MANAGE):
        raise ValidationError(_("只有负责人或会议记录人可以完成此待办。"), code="forbidden")
    if action.status != ActionStatus.OPEN:
        raise ValidationError(_("该待办已不是未完成状态。"), code="state")
    action.status, action.done_at, action.note = ActionStatus.DONE, timezone.now(), (note or "").strip()[:300]
    action.save(update_fields=["status", "done_at", "note"])
    # a carried follow-up item of a later meeting keeps pointing at it: its state is read live
    audit_record(tenant=action.tenant, actor=actor, verb="meetings.action_done", obj=action,
                 before={"status": ActionStatus.OPEN}, after={"status": action.status, "note": action.note},
                 request=request)
    return action


@transaction.atomic
def meeting_close(*, meeting: Meeting, actor, request=None) -> Meeting:
    """S003-21 例会不能"会而不议、议而不决": refused while any agenda item has no decision (决议).
    On closing, each action's owner is told what they took on."""
    meeting = _open_meeting(meeting)
    items = list(meeting.items.order_by("position", "pk"))
    if not items:
        raise ValidationError(_("会议没有议题，不能结束。"), code="empty")
    undecided = [i.title for i in items if not i.decision.strip()]
    if undecided:
        raise ValidationError(
            _("以下议题还没有决议，会议不能结束：%(items)s") % {"items": "、".join(undecided)}, code="undecided")
    meeting.status, meeting.closed_at, meeting.closed_by = MeetingStatus.CLOSED, timezone.now(), actor
    meeting.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(tenant=meeting.tenant, actor=actor, verb="meetings.meeting_closed", obj=meeting,
                 before={"status": MeetingStatus.OPEN}, after={"status": meeting.status}, request=request)
    link = reverse("meetings:detail", args=[meeting.pk])
    for action in meeting.actions.select_related("owner").order_by("due_on", "pk"):
        notify(tenant=meeting.tenant, kind=ACTION_KIND, users=[action.owner],
               subject=_("月例会待办：%(title)s") % {"title": action.title},
               lines=[_("会议：%(m)s") % {"m": meeting.title}, _("完成期限：%(d)s") % {"d": action.due_on.isoformat()}],
               link=link, dedupe_key=f"meetings.action:{action.pk}")
    return meeting


def actions_remind(*, tenant, today: dt.date) -> int:
    """Remind each owner of their open actions due within ``REMIND_DAYS_BEFORE`` days (once per
    action and due date: the dedupe key carries both, so moving the date reminds again)."""
    due = (ActionItem.objects.filter(tenant=tenant, status=ActionStatus.OPEN,
                                    due_on__gte=today, due_on__lte=today + dt.timedelta(days=REMIND_DAYS_BEFORE))
           .select_related("owner", "meeting"))
    n = 0
    with transaction.atomic():
        for action in due:
            rows = notify(tenant=tenant, kind=DUE_KIND, users=[action.owner],
                          subject=_("待办即将到期：%(title)s（%(due)s）") % {"title": action.title,
                                                                     "due": action.due_on.isoformat()},
                          lines=[_("会议：%(m)s") % {"m": action.meeting.title},
                                 _("完成期限：%(d)s") % {"d": action.due_on.isoformat()}],
                          link=reverse("meetings:detail", args=[action.meeting_id]),
                          purpose=None, dedupe_key=f"meetings.action_due:{action.pk}:{action.due_on.isoformat()}")
            n += len(rows)
    return n


def previous_month_of(day: dt.date) -> dt.date:
    return previous_month(day)
