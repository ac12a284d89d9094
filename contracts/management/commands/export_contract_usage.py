import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Write the weekly contract usage workbook (sheet 合同使用情况 first) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        parser.add_argument("--out", required=True)

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant: {options['tenant']}")
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError:
            raise CommandError("--as-of must be YYYY-MM-DD")
        from contracts.views.usage import usage_workbook

        with tenant_scope(tenant):
            data = usage_workbook(tenant=tenant, as_of=as_of)
        with open(options["out"], "wb") as fh:
            fh.write(data)
        self.stdout.write(f"wrote {options['out']}")
