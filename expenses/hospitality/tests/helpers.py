"""Build hospitality state with the real services (and the approval engine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from expenses.hospitality import services
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.demo import membership_of

SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n% invoice\n%%EOF\n"
TUESDAY = dt.date(2026, 3, 10)  # an ordinary working week (no holiday near it)


def at(day: dt.date, hour=10, minute=0):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH), tick=False)


def invoice(name="invoice.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def venue(org, name="东方饭店", city="上海", meals=True, lodging=True, active=True):
    with org.scope():
        return services.venue_save(tenant=org.tenant, actor=org.users["admin"], data={
            "name": name, "city": city, "address": "人民路 1 号", "serves_meals": meals, "serves_lodging": lodging,
            "is_active": active})


def guests(n=1, city="北京", **extra):
    return [{"name": f"客户{i + 1}", "title": "总经理", "company": "北方汽车服务", "city": city, **extra}
            for i in range(n)]


def app_data(org, v, branch="A1", **overrides):
    data = {"branch": org.branches[branch], "visit_date": TUESDAY + dt.timedelta(days=1), "venue": v,
            "meals": True, "lodging": False, "room_nights": 0, "expected_diners": 2,
            "progress": "已完成方案比选，下周签约", "companions": "甲一销售", "companion_count": 1}
    data.update(overrides)
    return data


def apply(org, v, persona="sales", guest_list=None, **overrides):
    user = org.users[persona]
    with org.scope():
        return services.application_create(tenant=org.tenant, membership=membership_of(user), actor=user,
                                            data=app_data(org, v, **overrides),
                                            guests=guests() if guest_list is None else guest_list)


def emergency(org, v, persona="sales", **overrides):
    user = org.users[persona]
    data = {"branch": org.branches["A1"], "visit_date": TUESDAY, "venue": v, "meals": True, "lodging": False,
            "room_nights": 0, "expected_diners": 3, "emergency_note": "北京客户临时来访"}
    data.update(overrides)
    with org.scope():
        return services.emergency_create(tenant=org.tenant, membership=membership_of(user), actor=user, data=data)


def pending(org, doc, user=None):
    with org.scope():
        qs = ApprovalTask.objects.filter(flow__object_id=doc.pk, flow__document_type=doc_key(doc),
                                         status=TaskStatus.PENDING).select_related("step")
        if user is not None:
            qs = qs.filter(assignee=user)
        return list(qs)


def doc_key(doc):
    from expenses.hospitality.approvals import APPLICATION_KEY, CLAIM_KEY

    return APPLICATION_KEY if doc._meta.model_name == "hospitalityapplication" else CLAIM_KEY


def approve(org, doc, persona):
    user = org.users[persona]
    task = pending(org, doc, user)[0]
    kwargs = {"checklist": task.step.checklist} if task.step.kind == StepKind.VERIFY else {}
    with org.scope():
        approvals.approval_approve(task=task, actor=user, **kwargs)
        return type(doc).objects.get(pk=doc.pk)


def approved_app(org, v, approver="bgm", **kw):
    app = apply(org, v, **kw)
    return approve(org, app, approver)


def line(kind, amount, quantity=1, description=""):
    return {"kind": kind, "amount": Decimal(amount), "quantity": quantity, "description": description}


def claim(org, app, lines, persona="sales", submit=True, files=None, **data):
    user = org.users[persona]
    payload = {"venue": app.venue if app is not None else None, "venue_other": "", "diners": 2, "diners_note": ""}
    payload.update(data)
    with org.scope():
        return services.claim_create(tenant=org.tenant, membership=membership_of(user), actor=user, application=app,
                                     data=payload, lines=lines, files=[invoice()] if files is None else files,
                                     submit=submit)
