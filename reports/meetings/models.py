"""The monthly pack (one per tenant and month: also the exactly-once claim of the scheduled
run) and the minutes: Meeting -> AgendaItem (discussion, 决议) -> ActionItem (owner, due date)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import TenantOwned


class PackStatus(models.TextChoices):
    # generating -> ready (compiled) -> sent (notify() rows queued); generating -> failed -> generating (retry)
    GENERATING = "generating", _("生成中")
    READY = "ready", _("已生成")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("生成失败")


class MonthlyPack(TenantOwned):
    """月例会资料 for one past month. The row is claimed (unique per tenant and month) before
    anything is compiled or sent, so two beats or a retried task never send twice. ``data`` is
    the compiled snapshot every renderer (page, xlsx, PDF) reads."""

    month = models.DateField(_("月份"))  # the 1st of the month reviewed
    status = models.CharField(_("状态"), max_length=12, choices=PackStatus.choices, default=PackStatus.GENERATING)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    claimed_at = models.DateTimeField(_("领取时间"))
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("月例会资料")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="meetings_pack_once_per_month")]

    def __str__(self):
        return self.month.strftime("%Y-%m")


class MeetingStatus(models.TextChoices):
    # open -> closed (meeting_close: refused while an agenda item has no decision); closed is final
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Meeting(TenantOwned):
    month = models.DateField(_("所议月份"))  # the month under review (its pack's month)
    held_on = models.DateField(_("会议日期"))
    title = models.CharField(_("会议名称"), max_length=100)
    pack = models.ForeignKey(MonthlyPack, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("月例会资料"))
    status = models.CharField(_("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("结束人"))

    class Meta:
        verbose_name = _("月例会")
        ordering = ["-month", "-pk"]
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="meetings_one_meeting_per_month")]

    def __str__(self):
        return self.title


class AgendaSource(models.TextChoices):
    PACK = "pack", _("月例会资料")
    CARRIED = "carried", _("上次会议未完成事项")
    MANUAL = "manual", _("临时议题")


class AgendaItem(TenantOwned):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("会议"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    title = models.CharField(_("议题"), max_length=200)
    source = models.CharField(_("来源"), max_length=10, choices=AgendaSource.choices, default=AgendaSource.MANUAL)
    carried_action = models.ForeignKey("ActionItem", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("延续的待办"))
    briefing = models.TextField(_("资料摘要"), blank=True)  # prefilled from the pack / the carried action
    discussion = models.TextField(_("讨论"), blank=True)
    decision = models.TextField(_("决议"), blank=True)  # required before the meeting closes (S003-21)

    class Meta:
        verbose_name = _("议题")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title


class ActionStatus(models.TextChoices):
    # open -> done (owner or a minute-taker marks it) ; open -> dropped (minute-taker, with the meeting open)
    OPEN = "open", _("未完成")
    DONE = "done", _("已完成")
    DROPPED = "dropped", _("已取消")


class ActionItem(TenantOwned):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="actions", verbose_name=_("议题"))
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions", verbose_name=_("会议"))
    title = models.CharField(_("待办事项"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.CharField(_("完成说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待办事项")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["tenant", "owner", "status"], name="meetings_action_owner_idx")]

    def __str__(self):
        return self.title
