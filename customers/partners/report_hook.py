"""The branch daily report stays the entry point for the day's new partners (S000-32): each
line it saves is written through to the register in the report's transaction.

* a new line -> the partner of that (name, type) in the tenant (a renewal) or a new one
  registered for the report's branch, plus an agreement signed on the business day;
* a line removed from the report -> its agreement is cancelled while nothing has happened
  to it yet (no scan, original not posted); otherwise it stays and marketing terminates it.
Editing a line's text later does not rename the register's partner: the register is edited
in the register (docs/partners.md)."""

from __future__ import annotations

import contextlib

from django.utils.translation import gettext as _

from . import services
from .legacy import KIND_TO_CODE, LEGACY_TERMS, one_year
from .models import Agreement, AgreementStage, Partner, PartnerType


def sync_report(*, report, actor, request=None) -> None:
    tenant = report.tenant
    rows = list(report.partners.all())
    linked = {a.legacy_signed_partner_id: a
              for a in Agreement.objects.filter(tenant=tenant, source_report_id=report.pk)}
    if rows:
        services.ensure_default_types(tenant)
    types = {t.code: t for t in PartnerType.objects.filter(tenant=tenant)}
    for row in rows:
        if row.pk in linked:
            continue
        ptype = types[KIND_TO_CODE[row.kind]]
        partner = Partner.objects.filter(tenant=tenant, name=row.name.strip(), type=ptype).order_by("id").first()
        if partner is None:
            partner = services.partner_create(tenant=tenant, actor=actor, type=ptype, name=row.name,
                                              branch=report.branch, city=row.city, contacts=row.contact,
                                              request=request)
        day = report.business_day
        services.agreement_create(
            partner=partner, actor=actor, signed_on=day, starts_on=day, ends_on=one_year(day), branch=report.branch,
            number=f"RP-{day:%Y%m%d}-{row.pk}", terms=LEGACY_TERMS, request=request, _legacy_id=row.pk,
            _report_id=report.pk, _skip_review=True,
        )
    present = {row.pk for row in rows}
    for legacy_id, agreement in linked.items():
        if legacy_id not in present and agreement.stage != AgreementStage.CANCELLED:
            # already moving (scan or posted original): kept, marketing decides
            with contextlib.suppress(services.ValidationError):
                services.agreement_cancel(agreement=agreement, actor=actor, reason=_("已从日报中删除"), request=request)
