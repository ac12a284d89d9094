from django.core.management.base import BaseCommand, CommandError

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Print a tenant's setup checklist (开通向导); exit 0 only when every required step is done."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")

    def handle(self, *args, **o):
        from marketing.onboarding.steps import plain_text

        tenant = Tenant.objects.filter(slug=o["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {o['tenant']!r}")
        with tenant_scope(tenant):
            text, ok = plain_text(tenant)
        self.stdout.write(text, ending="")
        if not ok:
            raise SystemExit(1)
