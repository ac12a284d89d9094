"""Demo data: the pack of the month before last with its meeting closed (every item decided,
one action open for the GM, one done), and -- rich -- last month's pack with an open
meeting whose agenda carries the open action. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marketing.models import Membership

from . import services
from .models import Meeting, MonthlyPack
from .pack import previous_month


def seed(*, tenant, personas, rich: bool) -> None:
    if MonthlyPack.objects.filter(tenant=tenant).exists():
        return
    director = next((personas[k] for k in ("mdirector", "mspec", "gm", "admin") if k in personas), None)
    owner = next((personas[k] for k in ("gm", "mspec", "admin") if k in personas), director)
    if director is None:
        return
    now = timezone.now()
    today = timezone.localdate()
    last = previous_month(today)
    before = previous_month(last)
    services.pack_generate(tenant=tenant, month=before, now=now, send=False)
    meeting = services.meeting_create(tenant=tenant, actor=director, month=before, held_on=last + dt.timedelta(days=2))
    items = list(meeting.items.order_by("position"))
    for item in items:
        services.agenda_item_update(item=item, actor=director, discussion="会上逐项对照资料讨论。",
                                    decision="按讨论意见执行，责任到人。")
    services.action_add(item=items[0], actor=director, title="落后分公司制定追赶计划", owner=owner,
                        due_on=today + dt.timedelta(days=1))
    done = services.action_add(item=items[-1], actor=director, title="整理下月市场活动安排", owner=owner,
                               due_on=last + dt.timedelta(days=10))
    services.meeting_close(meeting=meeting, actor=director)
    services.action_complete(action=done, actor=owner, note="已提交活动计划",
                             membership=Membership.objects.get(tenant=tenant, user=owner))
    if rich and not Meeting.objects.filter(tenant=tenant, month=last).exists():
        services.pack_generate(tenant=tenant, month=last, now=now, send=False)
        services.meeting_create(tenant=tenant, actor=director, month=last, held_on=today)
