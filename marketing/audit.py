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


from .client_ip import client_ip  # noqa: E402  (re-exported: the one resolver)


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


# --- confidential objects in the audit log ----------------------------------------------------
# The audit log is read by tenant admins, who may not open a confidential customer record or
# an expense's bank account. An app that audits such objects registers a ``ConfidentialAudit``
# (in its AppConfig.ready): the audit page then shows an event's values only to a reader who
# may see the object itself, logs those reads where the app keeps a read log, and lets the
# object-label filter match only events the reader may see.

HIDDEN = "（保密）"


class ConfidentialAudit:
    """Override in an app. ``hidden_fields=None``: label and every value are confidential;
    a set: only those keys of before/after are (the label stays)."""

    object_types: frozenset[str] = frozenset()
    hidden_fields: frozenset[str] | None = None

    def visible(self, request, events: list[AuditEvent]) -> set[int]:
        """Ids of the events whose object this reader may see."""
        return set()

    def record_reads(self, request, events: list[AuditEvent]) -> None:
        """Log that the reader saw these (visible) events' objects."""

    def label_q(self, request):
        """A Q on AuditEvent: which of this handler's events the label search may match."""
        return ~models.Q(object_type__in=self.object_types)

    def hidden_label(self, event: AuditEvent) -> str:
        return f"{event.object_type.rsplit('.', 1)[-1]} #{event.object_id}"


_CONFIDENTIAL: list[ConfidentialAudit] = []


def register_confidential(handler: ConfidentialAudit) -> None:
    if not any(type(h) is type(handler) for h in _CONFIDENTIAL):
        _CONFIDENTIAL.append(handler)


def label_search_q(request):
    q = models.Q()
    for handler in _CONFIDENTIAL:
        q &= handler.label_q(request)
    return q


def _mask(values, hidden_fields):
    if not isinstance(values, dict):
        return HIDDEN if values not in (None, "") else values
    return {k: (HIDDEN if hidden_fields is None or k in hidden_fields else v) for k, v in values.items()}


def redact_for_reader(request, events) -> list[AuditEvent]:
    """Mask, in memory, what this reader may not see; log reads of what they may."""
    events = list(events)
    for handler in _CONFIDENTIAL:
        mine = [e for e in events if e.object_type in handler.object_types]
        if not mine:
            continue
        visible = handler.visible(request, mine)
        for event in mine:
            if event.pk in visible:
                continue
            event.redacted = True
            if handler.hidden_fields is None:
                event.object_label = handler.hidden_label(event)
            event.before = _mask(event.before, handler.hidden_fields) if event.before is not None else None
            event.after = _mask(event.after, handler.hidden_fields) if event.after is not None else None
        seen = [e for e in mine if e.pk in visible]
        if seen:
            handler.record_reads(request, seen)
    return events
