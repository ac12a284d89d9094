"""What a new submission starts from: the last version (action plans), the day's visit
records (the regional manager's visit sheet), or a compilation of another rule's period
(the director's weekly report). Also: how customer ids in stored content are shown to a
reader, and the visit plan's plan-vs-done."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from marketing.models import Membership
from marketing.roles import Role
from marketing.selectors import visible_branches
from reports.workcal import WorkCalendar

from . import cadence
from .models import FieldType, Prefill, Submission, SubmissionRule, SubmissionStatus, SubmitterScope


def initial_for(*, rule: SubmissionRule, period: dt.date, branch, membership: Membership) -> dict:
    if rule.prefill == Prefill.LAST_VERSION:
        qs = Submission.objects.filter(tenant=rule.tenant, rule=rule, period__lt=period).exclude(
            status=SubmissionStatus.DRAFT
        )
        qs = qs.filter(branch=branch) if rule.scope == SubmitterScope.BRANCH else qs.filter(
            branch__isnull=True, submitter_id=membership.user_id
        )
        last = qs.order_by("-period").first()
        return dict(last.data) if last else {}
    if rule.prefill == Prefill.VISITS:
        return {"visits": visit_rows(membership=membership, day=period)}
    if rule.prefill == Prefill.COMPILED and rule.source_code:
        return compiled(rule=rule, period=period)
    if rule.prefill == Prefill.REGION_FIGURES:
        return region_figures(rule=rule, period=period, membership=membership)
    if rule.prefill == Prefill.DESIGN_DRAFTS:
        return design_drafts(rule=rule, period=period)
    return {}


DESIGN_FORM_CODE = "SC-006"  # 宣传物料设计 (marketing.workflows.shipped): design → review → 定稿存档


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter holding ``day``."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = dt.date(first.year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def design_drafts(*, rule: SubmissionRule, period: dt.date) -> dict:
    """S000-10 (定期外宣品设计稿资料收集): the quarter's collection starts from the tenant's SC-006
    requests archived in the quarter of the period -- approved, their chain finished on a local
    day of that quarter -- one row each: number, title, material, the design-draft files and the
    day archived. Fills the rule's ``drafts`` table (left alone when the rule has none)."""
    from marketing.workflows.models import FormRequest, RequestStatus

    table = next((f for f in rule.fields or [] if f.get("key") == "drafts" and f.get("type") == FieldType.TABLE), None)
    if table is None:
        return {}
    zone = rule.tenant.zone
    first, last = quarter_of(period)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    archived = (FormRequest.objects.filter(tenant=rule.tenant, template__code=DESIGN_FORM_CODE,
                                           status=RequestStatus.APPROVED, finished_at__gte=start, finished_at__lt=end)
                .prefetch_related("attachments").order_by("finished_at", "id")[:200])
    rows = []
    for req in archived:
        files = "、".join(a.name for a in sorted(req.attachments.all(), key=lambda a: a.pk) if a.field_key == "draft")
        rows.append({"number": req.number, "title": req.title, "material": str(req.values.get("material") or ""),
                     "files": files[:500], "archived": req.finished_at.astimezone(zone).date().isoformat()})
    return {"drafts": rows}


REGION_FIGURE_KEYS = ("period_collections", "mtd_collections", "month_target", "rate")


def region_figures(*, rule: SubmissionRule, period: dt.date, membership: Membership) -> dict:
    """S001-17: a regional manager's daily / weekly / monthly sales-plan report starts from the
    figures of the branches they cover, as finance's collections sheet and the month's targets
    hold them on the period's date: the period's collections (the day; the week from Monday;
    the month), the month's collections to date, the month's target and 完成率 (collections of
    the branches that have a target ÷ their targets, as in the daily summary, S000-20). Only
    the fields the rule has are filled."""
    from decimal import Decimal

    from django.db.models import Q, Sum

    from reports.models import Collection, MonthlyTarget
    from reports.summary import pct

    from .models import Cadence

    wanted = {f["key"] for f in rule.fields} & set(REGION_FIGURE_KEYS)
    if not wanted:
        return {}
    branches = visible_branches(membership=membership).filter(is_active=True).values("pk")
    month_start = period.replace(day=1)
    start = {Cadence.DAILY: period, Cadence.WEEKLY: period - dt.timedelta(days=period.weekday())}.get(
        rule.cadence, month_start)
    targets = dict(MonthlyTarget.objects.filter(tenant=rule.tenant, branch__in=branches, month=month_start, amount__gt=0)
                   .values_list("branch_id", "amount"))
    zero = Decimal("0")
    sums = Collection.objects.filter(
        tenant=rule.tenant, branch__in=branches, day__gte=min(start, month_start), day__lte=period
    ).aggregate(
        in_period=Sum("amount", filter=Q(day__gte=start)), mtd=Sum("amount", filter=Q(day__gte=month_start)),
        mtd_targeted=Sum("amount", filter=Q(day__gte=month_start, branch_id__in=list(targets))),
    )
    target = sum(targets.values(), zero)
    figures = {
        "period_collections": f"{sums['in_period'] or zero:.2f}",
        "mtd_collections": f"{sums['mtd'] or zero:.2f}",
        "month_target": f"{target:.2f}" if targets else "",
        "rate": pct((sums["mtd_targeted"] or zero) / target) if targets else "",
    }
    return {k: v for k, v in figures.items() if k in wanted}


def visit_rows(*, membership: Membership, day: dt.date) -> list[dict]:
    """The day's visits in the member's branches (regional managers read their branches'
    visits for this sheet). Customers are stored by id; names are shown per reader."""
    from customers.models import Visit

    visits = Visit.objects.filter(tenant=membership.tenant, visited_on=day,
                                  customer__branch__in=visible_branches(membership=membership).values("pk"))
    if Role.REGIONAL_MANAGER not in set(membership.roles):
        visits = visits.filter(visited_by=membership.user)  # a salesperson's work log: their own visits (S002-04)
    visits = (
        visits
        .select_related("visited_by")
        .order_by("customer__branch__sort_order", "id")[:200]
    )
    return [
        {"customer": v.customer_id, "by": v.visited_by.display_name, "outcome": v.outcome[:500],
         "next": v.next_step[:500]}
        for v in visits
    ]


def compiled(*, rule: SubmissionRule, period: dt.date) -> dict:
    """Another rule's last period, compiled: every submission's text fields, figures and table
    rows (S002-14: each person's key work *and* intended-customer visits) as one text in the
    rule's first text field; and, when the source is one per person, a table of the rule with
    a person column starts with one row per submitter, columns filled from the submitter's
    fields of the same code (S002-11: the month's tasks start from each person's plan)."""
    source = SubmissionRule.objects.filter(tenant=rule.tenant, code=rule.source_code).first()
    if source is None:
        return {}
    cal = WorkCalendar(rule.tenant)
    before = cadence.previous_periods(source, period + dt.timedelta(days=1), cal, 1)
    if not before:
        return {}
    subs = list(
        Submission.objects.filter(tenant=rule.tenant, rule=source, period=before[0])
        .exclude(status=SubmissionStatus.DRAFT)
        .select_related("submitter", "branch")
        .order_by("branch__sort_order", "submitter__username")
    )
    people = people_labels(tenant=rule.tenant, ids=_person_ids(source, subs))
    names = _customer_names(rule.tenant, customer_ids_in(source, [s.data for s in subs]))
    lines = [_("%(rule)s %(day)s 共 %(n)d 份：") % {"rule": source.name, "day": before[0], "n": len(subs)}]
    for sub in subs:
        who = sub.branch.name if sub.branch_id else sub.submitter.display_name
        parts = [p for p in (_field_text(spec, sub.data.get(spec["key"]), people, names) for spec in source.fields) if p]
        lines.append(f"· {who}：{'；'.join(parts)}")
    out: dict = {}
    first_text = next((f["key"] for f in rule.fields if f.get("type") in (FieldType.TEXT, FieldType.TEXTAREA)), None)
    if first_text:
        out[first_text] = "\n".join(lines)
    if source.scope == SubmitterScope.PERSON:
        for spec in rule.fields:
            cols = spec.get("columns") or []
            person = next((c["key"] for c in cols if c.get("type") == FieldType.PERSON), None)
            if spec.get("type") != FieldType.TABLE or person is None:
                continue
            out[spec["key"]] = [
                {c["key"]: (sub.submitter_id if c["key"] == person else _scalar(sub.data.get(c["key"]))) for c in cols}
                for sub in subs
            ]
    return out


def _scalar(value):
    return value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _person_ids(rule: SubmissionRule, subs) -> set[int]:
    ids: set[int] = set()
    for sub in subs:
        for spec in rule.fields or []:
            if spec.get("type") == FieldType.PERSON and isinstance(sub.data.get(spec["key"]), int):
                ids.add(sub.data[spec["key"]])
            if spec.get("type") == FieldType.TABLE:
                cols = [c["key"] for c in spec.get("columns", []) if c.get("type") == FieldType.PERSON]
                ids |= {row[c] for row in sub.data.get(spec["key"]) or [] for c in cols if isinstance(row.get(c), int)}
    return ids


def _customer_names(tenant, ids: set[int]) -> dict[int, str]:
    """Compiled text is read by people whose customer reach is unknown here: names masked."""
    if not ids:
        return {}
    from customers.models import Customer

    return {pk: mask_name(name) for pk, name in Customer.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name")}


def _value_text(kind, value, people, names) -> str:
    if value in (None, ""):
        return ""
    if kind == FieldType.PERSON:
        return people.get(value, "") if isinstance(value, int) else ""
    if kind == FieldType.CUSTOMER:
        return names.get(value, "＊＊") if isinstance(value, int) else ""
    return str(value)


def _field_text(spec: dict, value, people, names) -> str:
    """One field of a compiled submission: text as written, figures with their label, a table
    as its label and rows (columns joined by "，", rows by "、"); attachments are left out."""
    kind = spec.get("type")
    if kind in (FieldType.TEXT, FieldType.TEXTAREA):
        return str(value or "").strip()
    if kind == FieldType.TABLE:
        rows = []
        for row in value or []:
            cells = [_value_text(c.get("type"), (row or {}).get(c["key"]), people, names) for c in spec.get("columns", [])]
            if any(cells):
                rows.append("，".join(c for c in cells if c))
        return f"{spec.get('label', '')}：{'、'.join(rows)}" if rows else ""
    if kind == FieldType.ATTACHMENT:
        return ""
    text = _value_text(kind, value, people, names)
    return f"{spec.get('label', '')}：{text}" if text else ""


def customer_ids_in(rule: SubmissionRule, data_list) -> set[int]:
    ids: set[int] = set()
    for data in data_list:
        for spec in rule.fields or []:
            if spec.get("type") == FieldType.CUSTOMER and isinstance(data.get(spec["key"]), int):
                ids.add(data[spec["key"]])
            if spec.get("type") == FieldType.TABLE:
                cols = [c["key"] for c in spec.get("columns", []) if c.get("type") == FieldType.CUSTOMER]
                for row in data.get(spec["key"]) or []:
                    for c in cols:
                        if isinstance(row.get(c), int):
                            ids.add(row[c])
    return ids


def customer_labels(*, membership: Membership, ids: set[int]) -> dict[int, str]:
    """Names the reader may see; every other id shows masked (no archive data leaks)."""
    if not ids:
        return {}
    from customers.models import Customer
    from customers.selectors import customer_reach

    readable = dict(customer_reach(membership=membership).filter(pk__in=ids).values_list("pk", "name"))
    labels = {pk: mask_name(name) for pk, name in Customer.objects.filter(
        tenant=membership.tenant, pk__in=ids - set(readable)).values_list("pk", "name")}
    labels.update(readable)
    return labels


def mask_name(name: str) -> str:
    """A customer the reader may not see: its first character only (杭州某4S店 → 杭＊＊)."""
    return (name[:1] + "＊＊") if name else "＊＊"


def people_labels(*, tenant, ids: set[int]) -> dict[int, str]:
    from marketing.models import User

    if not ids:
        return {}
    users = User.objects.filter(pk__in=ids, membership__tenant=tenant).only("id", "full_name", "username")
    return {u.pk: u.display_name for u in users}


def plan_progress(*, submission: Submission) -> list[dict]:
    """Visit plan rows with done = a visit of that customer by the planner in the planned
    week (the seven days after the period's deadline date)."""
    from customers.models import Visit

    rows = [r for r in (submission.data.get("visits") or []) if isinstance(r.get("customer"), int)]
    if not rows:
        return []
    start, end = submission.period + dt.timedelta(days=1), submission.period + dt.timedelta(days=7)
    done = set(
        Visit.objects.filter(
            tenant=submission.tenant, visited_by_id=submission.submitter_id,
            customer_id__in=[r["customer"] for r in rows], visited_on__range=(start, end),
        ).values_list("customer_id", flat=True)
    )
    return [{**r, "done": r["customer"] in done} for r in rows]


def plan_done_counts(*, rule: SubmissionRule, period: dt.date, submissions) -> dict[int, tuple[int, int]]:
    """For the board of a visit plan: submission id -> (planned customers, visited ones), for
    every submission of the period with one query."""
    from customers.models import Visit

    planned = {
        s.pk: {r["customer"] for r in (s.data.get("visits") or []) if isinstance(r.get("customer"), int)}
        for s in submissions if s is not None
    }
    if not any(planned.values()):
        return dict.fromkeys(planned, (0, 0))
    owners = {s.pk: s.submitter_id for s in submissions if s is not None}
    start, end = period + dt.timedelta(days=1), period + dt.timedelta(days=7)
    done = set(
        Visit.objects.filter(
            tenant=rule.tenant, visited_by_id__in=set(owners.values()),
            customer_id__in=set().union(*planned.values()), visited_on__range=(start, end),
        ).values_list("visited_by_id", "customer_id")
    )
    return {pk: (len(c), sum(1 for cid in c if (owners[pk], cid) in done)) for pk, c in planned.items()}


def task_progress(*, submission: Submission) -> list[dict]:
    """S002-01: how the month's tasks are being carried out. For a plan whose rule assigns a
    task to every person (``Check.EVERY_PERSON``), one row per task row: the person, the task,
    its target, and the person's own figures in the planned month (the month after the
    period, as the plan is made for next month): visits, customers visited, contracts signed,
    plans and reports handed in and how many of them late -- the staff statistics
    (``reports.statistics.staff_statistics``), so the two cannot disagree. Collections are per
    branch in finance's sheet, so no personal 完成率 is invented."""
    from marketing.models import Branch
    from reports.statistics import Period, staff_statistics

    from .models import Check
    from .services import target_month

    rule = submission.rule
    if rule.submit_check != Check.EVERY_PERSON:
        return []
    table, person = rule.person_table()
    if table is None:
        return []
    rows = [r for r in submission.data.get(table["key"]) or [] if isinstance(r, dict) and isinstance(r.get(person), int)]
    if not rows:
        return []
    start = target_month(submission.period)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    stats = staff_statistics(tenant=submission.tenant, branches=Branch.objects.filter(tenant=submission.tenant),
                             period=Period("month", start, end))
    figures = {s.user.pk: s for s in stats["rows"]}
    names = people_labels(tenant=submission.tenant, ids={r[person] for r in rows})
    out = []
    for r in rows:
        s = figures.get(r[person])
        out.append({
            "person": r[person], "name": names.get(r[person], ""), "task": r.get("key_work", ""),
            "target": r.get("target", ""), "month": f"{start:%Y-%m}",
            "visits": s.visits if s else 0, "customers_visited": s.customers_visited if s else 0,
            "contracts_signed": s.contracts_signed if s else 0, "submissions": s.submissions if s else 0,
            "late": s.late if s else 0,
        })
    return out
