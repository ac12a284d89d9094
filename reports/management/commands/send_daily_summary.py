import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


class Command(BaseCommand):
    help = ("Send the summary covering business day D (what the job sends at the send time on the next "
            "working day). Refuses to send a second time unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--day", required=True, help="business day, YYYY-MM-DD")
        parser.add_argument("--force", action="store_true", help="send again even if already sent")

    def handle(self, *args, **options):
        from reports.mailing import summary_send
        from reports.models import DailySummary, SummaryStatus
        from reports.workcal import WorkCalendar

        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"unknown tenant: {options['tenant']}")
        try:
            day = dt.date.fromisoformat(options["day"])
        except ValueError:
            raise CommandError("--day must be YYYY-MM-DD")
        with tenant_scope(tenant):
            if not WorkCalendar(tenant).is_working(day):
                raise CommandError(f"{day} is not a working day: there is no summary for it")
            existing = DailySummary.objects.filter(tenant=tenant, business_day=day).first()
            if existing is not None and not options["force"]:
                raise CommandError(f"summary for {day} already exists ({existing.status}); use --force to send again")
            row = summary_send(tenant=tenant, business_day=day, force=options["force"])
        if row is None:
            raise CommandError(f"summary for {day} is being sent by another worker")
        if row.status != SummaryStatus.SENT:
            raise CommandError(f"summary for {day}: {row.status}: {row.last_error}")
        self.stdout.write(self.style.SUCCESS(f"sent summary for {day} to {len(row.recipients)} recipient(s), {row.message_id}"))
