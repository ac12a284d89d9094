from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("file", help="path to the .xlsx file")
        if self.kind in ("collections", "targets"):
            parser.add_argument(
                "--replace-whole-scope", action="store_true",
                help="also DELETE the figures of branches the file does not list, for every day (collections) "
                     "or month (targets) the file contains (default: only the listed branch/day or branch/month pairs)",
            )

    def handle(self, *args, **options):
        from reports.imports import import_file_now

        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant: {options['tenant']}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            with tenant_scope(tenant):
                result, outcome = import_file_now(tenant=tenant, kind=self.kind, filename=path.name, content=content,
                                                  replace_scope=bool(options.get("replace_whole_scope")))
        except Exception as exc:  # never a traceback: a message and exit status 1, nothing imported
            raise CommandError(f"import failed, nothing imported: {type(exc).__name__}: {exc}") from exc
        if outcome is None:
            for error in result.errors:
                where = f"row {error['row']}" if error["row"] else "file"
                self.stderr.write(f"{where}: {'; '.join(error['messages'])}")
            raise CommandError(f"{len(result.errors)} error(s): nothing imported")
        if outcome["changed"]:
            self.stdout.write(self.style.SUCCESS(
                f"imported {result.total} rows ({outcome['created']} new, {outcome['updated']} changed, "
                f"{outcome['unchanged']} unchanged, {outcome['deleted']} deleted)"))
        else:
            self.stdout.write(f"{result.total} rows: identical to the stored data, nothing changed")
