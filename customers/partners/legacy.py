"""The old flat list (reports.SignedPartner, one row per name per daily report) carried into
the register: one Partner per (tenant, name, type), one Agreement per old row. Used by the
data migration (historical models) and by the daily-report hook (live models); the rules:

* partner: the first row's branch / city / contact; later rows of the same name and type are
  agreements of that partner (renewals), so "the same dealer signed twice" is one partner;
* agreement: signed and started on the report's business day; the old list had no term, so
  the end is one year later less a day (flagged in the terms summary for marketing to check);
* the paper original: ``paper_received`` -> 总部已收 at ``paper_received_at``, else 待寄出;
* ``Agreement.legacy_signed_partner_id`` links back to the old row (unique), so the move can
  run twice and nothing is lost or doubled."""

from __future__ import annotations

import datetime as dt

LEGACY_TERMS = "自日报“新签合作单位”迁入：原记录无合作期限，暂按一年登记，请核对。"
KIND_TO_CODE = {"dealer": "dealer", "repair_shop": "repair_shop"}
DEFAULT_TYPES = [("dealer", "经销商"), ("repair_shop", "修理厂")]


def one_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def move(*, PartnerType, Partner, Agreement, PartnerEvent, SignedPartner, Branch, rows=None) -> int:
    """Move ``rows`` (default: every SignedPartner of every tenant not moved yet), oldest
    business day first. Returns the number of agreements created. Managers are base managers:
    the migration runs outside any tenant scope and handles every tenant."""
    done = set(Agreement._base_manager.exclude(legacy_signed_partner_id=None)
               .values_list("legacy_signed_partner_id", flat=True))
    qs = rows if rows is not None else SignedPartner._base_manager.all()
    qs = qs.select_related("report").order_by("report__business_day", "id")
    types: dict[tuple[int, str], object] = {}
    partners: dict[tuple[int, str, int], object] = {}
    regions = dict(Branch._base_manager.values_list("pk", "region_id"))
    created = 0
    for row in qs.iterator():
        if row.pk in done:
            continue
        tkey = (row.tenant_id, row.kind)
        if tkey not in types:
            for i, (code, name) in enumerate(DEFAULT_TYPES):
                PartnerType._base_manager.get_or_create(tenant_id=row.tenant_id, code=code,
                                                        defaults={"name": name, "sort_order": i})
            types[tkey] = PartnerType._base_manager.get(tenant_id=row.tenant_id, code=KIND_TO_CODE[row.kind])
        ptype = types[tkey]
        name = row.name.strip()
        pkey = (row.tenant_id, name, ptype.pk)
        partner = partners.get(pkey) or Partner._base_manager.filter(
            tenant_id=row.tenant_id, name=name, type_id=ptype.pk).order_by("id").first()
        report = row.report
        actor_id = report.submitted_by_id or report.created_by_id
        if partner is None:
            partner = Partner._base_manager.create(
                tenant_id=row.tenant_id, type_id=ptype.pk, name=name, city=row.city, branch_id=row.branch_id,
                region_id=regions[row.branch_id], contacts=row.contact, created_by_id=actor_id,
            )
            PartnerEvent._base_manager.create(tenant_id=row.tenant_id, partner_id=partner.pk, kind="registered",
                                              actor_id=actor_id, note=f"日报 {report.business_day.isoformat()}")
        partners[pkey] = partner
        renewal = Agreement._base_manager.filter(partner_id=partner.pk).exists()
        day = report.business_day
        received = bool(row.paper_received)
        agreement = Agreement._base_manager.create(
            tenant_id=row.tenant_id, partner_id=partner.pk, number=f"RP-{day:%Y%m%d}-{row.pk}",
            kind="renewal" if renewal else "new", stage="signed", signed_on=day, starts_on=day, ends_on=one_year(day),
            branch_id=row.branch_id, terms=LEGACY_TERMS, original_state="received" if received else "to_send",
            received_at=row.paper_received_at if received else None, check_result="complete" if received else "",
            legacy_signed_partner_id=row.pk, source_report_id=row.report_id, created_by_id=actor_id,
        )
        PartnerEvent._base_manager.create(tenant_id=row.tenant_id, partner_id=partner.pk, agreement_id=agreement.pk,
                                          kind="renewed" if renewal else "signed", actor_id=actor_id,
                                          note=f"{agreement.number} 联系人：{row.contact}"[:300])
        if received:
            PartnerEvent._base_manager.create(tenant_id=row.tenant_id, partner_id=partner.pk,
                                              agreement_id=agreement.pk, kind="received", actor_id=None,
                                              note="日报“原件已寄达上海”")
        created += 1
    return created
