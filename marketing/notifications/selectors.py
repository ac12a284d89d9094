from __future__ import annotations

from .models import Message, Status


def messages_for(*, tenant):
    return Message.objects.filter(tenant=tenant).select_related("webhook", "user")


def failed_badge(request) -> int:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return 0
    return Message.objects.filter(tenant=tenant, status__in=[Status.FAILED, Status.UNCONFIRMED]).count()
