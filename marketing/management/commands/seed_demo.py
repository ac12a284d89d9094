from django.core.management.base import BaseCommand

from marketing.demo import DEMO_MAIN, DEMO_PASSWORD, DEMO_SECOND, build_tenant, seed_apps, username_for


class Command(BaseCommand):
    help = "Create (idempotently) the demo tenants, their organisation, one user per role and demo data."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the login table")

    def handle(self, *args, **options):
        for spec, rich in ((DEMO_MAIN, True), (DEMO_SECOND, False)):
            tenant, personas = build_tenant(spec)
            apps = seed_apps(tenant=tenant, personas=personas, rich=rich)
            self.stdout.write(self.style.SUCCESS(f"tenant {tenant.slug}: {tenant.name} (demo data: {', '.join(apps) or 'org only'})"))
            if options["quiet_logins"]:
                continue
            for persona in spec.personas:
                roles = ", ".join(str(r.label) for r in persona.roles)
                where = f" [{', '.join(persona.branches)}]" if persona.branches else ""
                self.stdout.write(f"    {username_for(spec, persona):<22} {persona.full_name:<6} {roles}{where}")
        self.stdout.write(f"All demo users share the password: {DEMO_PASSWORD}")
