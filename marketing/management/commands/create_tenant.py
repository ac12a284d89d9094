from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from marketing import services


class Command(BaseCommand):
    help = "Create a tenant with its first tenant admin."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--mailbox", required=True, help="marketing mailbox (sender of summaries)")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--admin-name", default="")

    def handle(self, *args, **o):
        try:
            tenant, admin = services.tenant_create(
                name=o["name"],
                slug=o["slug"],
                marketing_mailbox=o["mailbox"],
                admin_username=o["admin_username"],
                admin_password=o["admin_password"],
                admin_email=o["admin_email"],
                admin_full_name=o["admin_name"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} (id {tenant.pk}) with admin {admin.username}"))
        # the trial path: the tenant moves in through the setup checklist (docs/onboarding.md)
        from django.apps import apps

        if apps.is_installed("marketing.onboarding"):
            from marketing.onboarding.services import setup_start
            from marketing.tenancy import tenant_scope

            with tenant_scope(tenant):
                setup_start(tenant=tenant)
            self.stdout.write(f"Start here: sign in as {admin.username} and open /m/setup/ (开通向导); "
                              f"or run: manage.py tenant_setup_status --tenant {tenant.slug}")
