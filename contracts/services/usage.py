"""The Friday usage figures (S000-54): remind operations once per tenant and Friday, and record
operations' confirmation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.roles import Role
from marketing.selectors import users_with_roles

from ..mail import absolute, emails_of, mail_language, send_notice
from ..models import UsageWeek
from .ledger import local_today

FRIDAY = 4


@transaction.atomic
def usage_remind(*, tenant) -> bool:
    """On the tenant's Friday, e-mail operations once (the UsageWeek row is the claim)."""
    today = local_today(tenant)
    if today.weekday() != FRIDAY:
        return False
    try:
        with transaction.atomic():
            week = UsageWeek.objects.create(tenant=tenant, as_of=today, reminded_at=timezone.now())
    except IntegrityError:
        week = UsageWeek.objects.select_for_update().get(tenant=tenant, as_of=today)
        if week.reminded_at is not None:
            return False
        week.reminded_at = timezone.now()
        week.save(update_fields=["reminded_at"])
    ops = users_with_roles(tenant=tenant, roles=[Role.OPERATIONS])
    with mail_language():
        send_notice(tenant=tenant, to=emails_of(ops),
                    subject=_("[每周五] 请确认本周合同使用情况（截至 %(d)s）") % {"d": today},
                    body=_("您好：\n\n请核对并确认本周合同使用情况数据分析（截至 %(d)s），确认后市场部下载汇总。\n\n%(url)s\n")
                    % {"d": today, "url": absolute(reverse("contracts:usage") + f"?as_of={today.isoformat()}")})
    audit_record(tenant=tenant, actor=None, verb="contracts.usage_remind", obj=week, after={"as_of": today})
    return True


@transaction.atomic
def usage_confirm(*, tenant, actor, as_of, request=None) -> UsageWeek:
    if as_of > local_today(tenant):
        raise ValidationError(_("不能确认将来日期的数据。"), code="future")
    week, _created = UsageWeek.objects.select_for_update().get_or_create(tenant=tenant, as_of=as_of)
    if week.confirmed_at:
        raise ValidationError(_("该日数据已由 %(u)s 确认。") % {"u": week.confirmed_by}, code="already_confirmed")
    week.confirmed_by, week.confirmed_at = actor, timezone.now()
    week.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(tenant=tenant, actor=actor, verb="contracts.usage_confirm", obj=week, after={"as_of": as_of},
                 request=request)
    return week
