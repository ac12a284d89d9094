"""A covering index for the weekly usage scan (PostgreSQL only: SQLite has no INCLUDE, and a
model-level ``Index(include=...)`` would warn on SQLite). Not declared on the model, so
makemigrations leaves it alone."""

from django.db import migrations

CREATE = ('CREATE INDEX IF NOT EXISTS contract_usage_idx ON contracts_contract (tenant_id, dispatched_on) '
          'INCLUDE (branch_id, batch_id, received_on, signed_on, voided_on)')
DROP = "DROP INDEX IF EXISTS contract_usage_idx"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_alter_contractimportjob_created_by_contract_and_more")]
    operations = [migrations.RunPython(forward, backward)]
