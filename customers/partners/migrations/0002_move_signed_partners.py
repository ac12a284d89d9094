"""Carry every reports.SignedPartner row into partners + agreements (customers/partners/legacy.py).
The old rows stay (reports still reads them); reversing removes only what this created."""

from django.db import migrations


def forward(apps, schema_editor):
    from customers.partners.legacy import move

    move(PartnerType=apps.get_model("partners", "PartnerType"), Partner=apps.get_model("partners", "Partner"),
         Agreement=apps.get_model("partners", "Agreement"), PartnerEvent=apps.get_model("partners", "PartnerEvent"),
         SignedPartner=apps.get_model("reports", "SignedPartner"), Branch=apps.get_model("marketing", "Branch"))


def backward(apps, schema_editor):
    Agreement = apps.get_model("partners", "Agreement")
    Partner = apps.get_model("partners", "Partner")
    PartnerEvent = apps.get_model("partners", "PartnerEvent")
    moved = Agreement._base_manager.exclude(legacy_signed_partner_id=None)
    partner_ids = set(moved.values_list("partner_id", flat=True))
    PartnerEvent._base_manager.filter(agreement__in=moved).delete()
    moved.delete()
    orphans = Partner._base_manager.filter(pk__in=partner_ids, agreements__isnull=True)
    PartnerEvent._base_manager.filter(partner__in=orphans).delete()
    orphans.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_register"),
        ("reports", "0004_merge_parallel_work"),
    ]

    operations = [migrations.RunPython(forward, backward)]
