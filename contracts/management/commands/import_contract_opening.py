"""The contract ledger's opening state (期初) from an xlsx: the whole file or nothing; the same
file again changes nothing (docs/onboarding.md)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Import the contract ledger's opening state (合同台账期初) from an xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--as-of", default="", help="opening date YYYY-MM-DD (default: today, tenant time)")
        parser.add_argument("file", help="xlsx file")

    def handle(self, *args, **options):
        from marketing.onboarding.models import OpeningKind, OpeningStatus
        from marketing.onboarding.services import opening_run_file

        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant: {options['tenant']}")
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else \
                timezone.localdate(timezone=tenant.zone)
        except ValueError:
            raise CommandError(f"bad --as-of: {options['as_of']}")
        with tenant_scope(tenant):
            try:
                job = opening_run_file(tenant=tenant, kind=OpeningKind.CONTRACTS, path=options["file"], as_of=as_of)
            except FileNotFoundError:
                raise CommandError(f"file not found: {options['file']}")
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages))
            if job.status != OpeningStatus.DONE:
                for e in job.errors:
                    self.stderr.write((f"row {e['row']}: " if e.get("row") else "") + "; ".join(e["messages"]))
                raise CommandError(f"nothing imported: {job.error_rows} error row(s) in {job.filename}")
            self.stdout.write(f"imported {job.total_rows} row(s) from {job.filename}: "
                              f"{job.result.get('new', 0)} new, {job.result.get('unchanged', 0)} unchanged")
