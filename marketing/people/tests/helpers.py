"""Build people-app state through the real services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marketing.people import services
from marketing.roles import Role
from marketing.services import user_create


def today(org):
    with org.scope():
        return timezone.localdate()


def file_departure(org, who="sales", actor="admin", days=40, **kw):
    with org.scope():
        return services.departure_file(tenant=org.tenant, actor=org.users[actor], user=org.users[who],
                                       last_day=timezone.localdate() + dt.timedelta(days=days), **kw)


def roster(org, rows):
    """Replace the roster like the HR import does: rows of (name, branch code, position, phone, leave_date)."""
    from reports.models import RosterEntry

    with org.scope():
        RosterEntry.objects.filter(tenant=org.tenant).delete()
        RosterEntry.objects.bulk_create([
            RosterEntry(tenant=org.tenant, branch=org.branches[b], name=n, position=p, hire_date=dt.date(2024, 1, 1),
                        leave_date=lv, phone=ph) for n, b, p, ph, lv in rows])


def extra_user(org, username, roles, branches=(), full_name=None):
    with org.scope():
        return user_create(tenant=org.tenant, actor=org.users["admin"], username=username, password=None,
                           full_name=full_name or username, email=f"{username}@x.test", roles=roles,
                           branches=[org.branches[b] for b in branches])


def lines_by_key(org, departure):
    from marketing.people.handover import checklist

    with org.scope():
        return {line.provider.key: line for line in checklist(departure)}


ROLE_SALES = Role.SALESPERSON
