"""Demo content: a role mapping, one person leaving (with an open handover) and one
scheduled transfer. Idempotent; runs inside the tenant scope."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marketing.models import Branch, User
from marketing.roles import Role

from .models import Departure, HandoverJob, PositionRoleMap, Transfer


def seed(*, tenant, personas, rich: bool) -> None:
    from . import services

    admin = personas.get("admin") or next(iter(personas.values()))
    for position, role in (("销售代表", Role.SALESPERSON), ("分公司经理", Role.BRANCH_GM), ("出纳", Role.BRANCH_CASHIER)):
        if not PositionRoleMap.objects.filter(tenant=tenant, position=position).exists():
            services.mapping_save(tenant=tenant, actor=admin, position=position, role=role)
    branch = Branch.objects.filter(tenant=tenant).order_by("sort_order", "code").first()
    if branch is None:
        return
    username = f"{tenant.slug}-leaver"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create(tenant=tenant, actor=admin, username=username, password=None, full_name="演示离职人员",
                                    phone="13800000000", title="销售代表", roles=[Role.SALESPERSON], branches=[branch])
    today = timezone.localdate()
    if not Departure.objects.filter(tenant=tenant, user=user).exists():
        services.departure_file(tenant=tenant, actor=admin, user=user, last_day=today + dt.timedelta(days=3650),
                                reason="演示数据")
    departure = Departure.objects.filter(tenant=tenant, user=user).order_by("-id").first()
    receiver = personas.get("sales") or admin
    if departure.is_open and receiver.pk != user.pk and not HandoverJob.objects.filter(departure=departure).exists():
        from .jobs import handover_job_start

        handover_job_start(departure=departure, actor=admin, to_user=receiver)  # nothing to move: done at once
    mover = f"{tenant.slug}-mover"
    other = User.objects.filter(username=mover).first()
    if other is None:
        other = services.user_create(tenant=tenant, actor=admin, username=mover, password=None, full_name="演示调岗人员",
                                     roles=[Role.SALESPERSON], branches=[branch])
    if not Transfer.objects.filter(tenant=tenant, user=other).exists():
        target = Branch.objects.filter(tenant=tenant).exclude(pk=branch.pk).first() or branch
        services.transfer_create(tenant=tenant, actor=admin, user=other, to_branch=target,
                                 to_roles=[Role.SALESPERSON], effective_on=today + dt.timedelta(days=3650))
