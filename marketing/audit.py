"""Audit trail: one function writes every event. Call it inside the service's transaction,
so the event exists exactly when the change does."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        # Normalised so 0.0500 (from the database) and 0.05 (from a form) compare equal.
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the production proxy the first X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def model_snapshot(obj: models.Model, fields: list[str]) -> dict:
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def audit_record(
    *,
    tenant,
    actor,
    verb: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    object_label: str = "",
) -> AuditEvent:
    actor_user = actor if getattr(actor, "pk", None) else None
    event = AuditEvent(
        tenant=tenant,
        actor=actor_user,
        actor_label=str(actor_user or actor or "")[:150],
        verb=verb,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=(object_label or (str(obj) if obj is not None else ""))[:200],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )
    # Save through the base manager: the event may be written outside a tenant scope
    # (failed login) and the write itself cannot leak anything.
    AuditEvent._base_manager.bulk_create([event])
    return event


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, for compact before/after pairs."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
