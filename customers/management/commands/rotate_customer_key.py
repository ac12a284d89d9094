"""Re-encrypt the archive's personal fields with the current FIELD_ENCRYPTION_KEY.

Rotation: set the new key as FIELD_ENCRYPTION_KEY and the old one in
FIELD_ENCRYPTION_KEY_PREVIOUS, deploy (reads keep working: old ciphertext is still
accepted), run this command, then drop FIELD_ENCRYPTION_KEY_PREVIOUS. Phone hashes are
recomputed too (they are keyed), so exact phone search works again as soon as a tenant is
done. Idempotent: running it twice re-encrypts again and changes nothing visible."""

from django.core.management.base import BaseCommand
from django.db import transaction

from customers.crypto import phone_hash
from customers.models import Contact, Customer, ImportBatch
from marketing.models import Tenant
from marketing.tenancy import tenant_scope

# model -> (encrypted fields, has phone_hash)
TARGETS = [
    (Customer, ["phone"], True),
    (Contact, ["phone", "address", "family"], True),
    (Customer.history.model, ["phone"], False),
    (Contact.history.model, ["phone", "address", "family"], False),
    (ImportBatch, ["payload"], False),
]


class Command(BaseCommand):
    help = "Re-encrypt customer personal fields with the current FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        for tenant in Tenant.objects.order_by("pk"):
            with tenant_scope(tenant), transaction.atomic():
                for model, fields, hashed in TARGETS:
                    rows = list(model.objects.filter(tenant=tenant).only("pk", "tenant", *fields))
                    update = list(fields)
                    for row in rows:
                        if hashed:
                            row.phone_hash = phone_hash(row.phone)
                    if hashed:
                        update.append("phone_hash")
                    # Values were decrypted on load (old or new key); saving encrypts with the new one.
                    model.objects.bulk_update(rows, update, batch_size=500)
                    self.stdout.write(f"{tenant.slug}: {model._meta.label} {len(rows)}")
