"""Demo hospitality: designated venues and one application / claim for every outcome, built
through the services and the approval engine. Idempotent (nothing happens if the tenant has
applications).

Applications must be filed a day ahead, and a claim needs the meal to have happened, so the
history is built the way it would have happened and then moved into the past: each record
is filed for a coming day through the services, approved, and its dates are shifted back
(the only direct writes in this module, and only on dates)."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.demo import membership_of
from marketing.roles import Role
from marketing.selectors import visible_branches
from reports.workcal import WorkCalendar

from . import services
from .approvals import APPLICATION_KEY, CLAIM_KEY
from .models import HospitalityApplication

PDF = b"%PDF-1.4\n% demo invoice\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GUEST_CITIES = ["郑州", "合肥", "武汉", "长沙", "西安"]


def _holders(personas, role):
    return [u for u in personas.values() if role in membership_of(u).roles]


def _pending(doc, key):
    return (ApprovalTask.objects.filter(flow__document_type=key, flow__object_id=doc.pk, status=TaskStatus.PENDING)
            .select_related("step", "assignee").first())


def _approve(doc, key):
    task = _pending(doc, key)
    if task is None:
        return
    approvals.approval_approve(task=task, actor=task.assignee, comment="同意",
                               checklist=task.step.checklist if task.step.kind == StepKind.VERIFY else ())


def _line(kind, amount, quantity=1, description=""):
    return {"kind": kind, "amount": Decimal(amount), "quantity": quantity, "description": description}


def seed(*, tenant, personas: dict, rich: bool) -> None:
    if HospitalityApplication.objects.filter(tenant=tenant).exists():
        return
    services.ensure_policy(tenant=tenant)
    applicants = _holders(personas, Role.SALESPERSON)
    admins = _holders(personas, Role.TENANT_ADMIN)
    if not applicants or not admins:
        return
    sales = applicants[0]
    membership = membership_of(sales)
    branch = visible_branches(membership=membership).first()
    city = branch.city or "本地"
    admin = admins[0]
    hotel = services.venue_save(tenant=tenant, actor=admin, data={
        "name": f"{city}国际饭店", "city": city, "address": f"{city}市人民路 88 号", "serves_meals": True,
        "serves_lodging": True, "is_active": True})
    services.venue_save(tenant=tenant, actor=admin, data={
        "name": f"{city}老字号酒家", "city": city, "address": f"{city}市解放路 12 号", "serves_meals": True,
        "serves_lodging": False, "is_active": True})
    services.venue_save(tenant=tenant, actor=admin, data={
        "name": f"{city}旧定点宾馆", "city": city, "address": f"{city}市东风路 3 号", "serves_meals": True,
        "serves_lodging": True, "is_active": False})
    calendar = WorkCalendar(tenant)
    today = services.local_today(tenant)
    ahead = calendar.next_working(calendar.next_working(today))
    n = [0]

    def application(*, diners=2, lodging=False, companions=1, guests=1):
        n[0] += 1
        guest_rows = [{"name": f"{'张王李赵刘'[i % 5]}总", "title": "总经理", "company": f"{GUEST_CITIES[i % 5]}星河汽车服务",
                       "city": GUEST_CITIES[(n[0] + i) % 5]} for i in range(guests)]
        return services.application_create(tenant=tenant, membership=membership, actor=sales, guests=guest_rows, data={
            "branch": branch, "visit_date": ahead, "venue": hotel, "meals": True, "lodging": lodging,
            "room_nights": 1 if lodging else 0, "expected_diners": diners, "progress": "已完成方案比选，本月签约延保合作",
            "companions": sales.display_name, "companion_count": companions})

    def to_past(app, day):
        HospitalityApplication.objects.filter(pk=app.pk).update(visit_date=day)
        app.refresh_from_db()
        return app

    def bill(app, lines, *, diners=2, submit=True, **extra):
        data = {"venue": app.venue if app is not None else hotel, "venue_other": "", "diners": diners,
                "diners_note": "", "branch": branch, "meal_date": yesterday, **extra}
        return services.claim_create(tenant=tenant, membership=membership, actor=sales, application=app, data=data,
                                     lines=lines, files=[ContentFile(PDF, name="发票.pdf")], submit=submit)

    yesterday = calendar.previous_working(today)
    finance = _holders(personas, Role.FINANCE)
    # 1. within the standard, checked and paid (the company share counts against sales)
    paid = to_past(_approved(application()), yesterday)
    # (a tenant without a finance member cannot submit: the claim stays a draft)
    paid_claim = bill(paid, [_line("dish", "368.00", 3), _line("soup", "46.00"), _line("staple", "18.00")],
                      submit=bool(finance))
    if finance:
        _approve(paid_claim, CLAIM_KEY)
        services.claim_mark_paid(claim=paid_claim, actor=finance[0], paid_on=today, reference=f"ZF{today:%Y%m%d}01")
    # 2. an emergency application still to be completed (with its reminder due)
    services.emergency_create(tenant=tenant, membership=membership, actor=sales, data={
        "branch": branch, "visit_date": today, "venue": hotel, "meals": True, "lodging": False, "room_nights": 0,
        "expected_diners": 3, "emergency_note": "郑州客户临时来访，洽谈区域代理"})
    # 3. an application waiting for the branch GM
    application(diners=3, companions=1, guests=2)
    if not rich or not finance:
        return
    # 4. dishes beyond the standard and drinks, waiting for finance
    extra = to_past(_approved(application()), yesterday)
    bill(extra, [_line("dish", "620.00", 5, "招牌菜"), _line("soup", "48.00"), _line("staple", "20.00"),
                 _line("drink", "160.00", 1, "白酒")])
    # 5. lodging above the standard, approved (to pay)
    lodge = to_past(_approved(application(lodging=True)), yesterday)
    done = bill(lodge, [_line("lodging", "420.00", 1), _line("dish", "300.00", 3)])
    _approve(done, CLAIM_KEY)
    # 6. a gift on the bill, and a venue that is not designated
    gift = to_past(_approved(application()), yesterday)
    bill(gift, [_line("dish", "300.00", 3), _line("other", "268.00", 1, "礼品")])
    off = to_past(_approved(application()), yesterday)
    bill(off, [_line("dish", "280.00", 3)], venue=None, venue_other="路边大排档")
    # 7. more diners than approved, without a note (everything personal), left as a draft
    crowd = to_past(_approved(application()), yesterday)
    bill(crowd, [_line("dish", "450.00", 5)], diners=4, submit=False)
    # 8. an emergency not completed in time: refused (拒付), its bill falls on the salesperson
    late = services.emergency_create(tenant=tenant, membership=membership, actor=sales, data={
        "branch": branch, "visit_date": today, "venue": hotel, "meals": True, "lodging": False, "room_nights": 0,
        "expected_diners": 2, "emergency_note": "合肥客户临时来访"})
    before = calendar.previous_working(calendar.previous_working(yesterday))
    HospitalityApplication.objects.filter(pk=late.pk).update(visit_date=before, completion_due=yesterday)
    services.emergency_sweep(tenant=tenant)
    late.refresh_from_db()
    bill(late, [_line("dish", "380.00", 3), _line("staple", "20.00")])
    # 9. an application the branch GM rejected
    refused = application()
    task = _pending(refused, APPLICATION_KEY)
    if task is not None:
        approvals.approval_reject(task=task, actor=task.assignee, reason="本市客户，不在招待范围。")
    # 10. no application at all
    bill(None, [_line("dish", "200.00", 2)])


def _approved(app):
    _approve(app, APPLICATION_KEY)
    app.refresh_from_db()
    return app

