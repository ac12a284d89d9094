"""A new tenant starts with the shipped approval forms (shipped.py): missing positions are
created (no holders: their steps use the fallback role until the tenant staffs them), then
each form that the tenant does not have yet (by code) is built, given its chain and published.
Idempotent: a form the tenant already has -- edited or not -- is left alone."""

from __future__ import annotations

from marketing.approvals import services as approvals
from marketing.approvals.models import Position

from . import services
from .models import FormTemplate
from .shipped import POSITIONS, SHIPPED


def ensure_shipped(*, tenant, actor=None) -> list[FormTemplate]:
    for name, description, _role in POSITIONS:
        if not Position.objects.filter(tenant=tenant, name=name).exists():
            approvals.position_create(tenant=tenant, actor=actor, name=name, description=description)
    made = []
    for spec in SHIPPED:
        if FormTemplate.objects.filter(tenant=tenant, code=spec["code"]).exists():
            continue
        template = services.template_create(tenant=tenant, actor=actor, name=spec["name"], code=spec["code"],
                                            description=spec["description"], category=spec["category"],
                                            fields=spec["fields"])
        approvals.chain_save(tenant=tenant, actor=actor, key=template.approval_key, steps=spec["steps"],
                             note="初始版本（种子 004）")
        services.version_publish(template=template, actor=actor)
        made.append(template)
    return made


def tenant_created(*, tenant, actor=None) -> None:
    from django.conf import settings

    # On unless switched off (the test settings do: the engine's tests expect a bare tenant).
    if getattr(settings, "WORKFLOWS_SHIP_FORMS", True):
        ensure_shipped(tenant=tenant, actor=actor)
