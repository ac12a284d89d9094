from __future__ import annotations

from django.db import transaction

from marketing.audit import audit_record, changed_fields, model_snapshot

from ..models import ContractSettings

FIELDS = ["sell_through_window_days", "print_lead_working_days", "unconfirmed_after_working_days"]


@transaction.atomic
def settings_save(*, tenant, actor, data: dict, request=None) -> ContractSettings:
    current, _created = ContractSettings.objects.select_for_update().get_or_create(tenant=tenant)
    before = model_snapshot(current, FIELDS)
    for name in FIELDS:
        setattr(current, name, data[name])
    current.full_clean()
    current.save()
    old, new = changed_fields(before, model_snapshot(current, FIELDS))
    if new:
        audit_record(tenant=tenant, actor=actor, verb="contracts.settings", obj=current, before=old, after=new,
                     request=request)
    return current
