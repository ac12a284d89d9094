"""Shared body of the four ``import_contract_*`` commands: the whole file or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from marketing.models import Tenant
from marketing.tenancy import tenant_scope

from ... import imports
from ...models import ImportStatus


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("file", help="xlsx file")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant: {options['tenant']}")
        with tenant_scope(tenant):
            try:
                job, _ = imports.run_file(tenant=tenant, kind=self.kind, path=options["file"], actor=None)
            except FileNotFoundError:
                raise CommandError(f"file not found: {options['file']}")
            if job.status != ImportStatus.DONE:
                for line in imports.error_lines(job):
                    self.stderr.write(line)
                raise CommandError(f"nothing imported: {len(job.errors)} error(s) in {job.filename}")
            self.stdout.write(f"imported {job.total_rows} row(s) from {job.filename}: {job.result}")
