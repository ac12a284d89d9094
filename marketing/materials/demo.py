"""Demo materials, stock, a request walked through the engine to a dispatch and a receipt, and
a uniform template with two versions. Built through the services; idempotent (does nothing if
the tenant already has materials)."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, TaskStatus
from marketing.demo import membership_of
from marketing.models import Region
from marketing.roles import Role
from marketing.selectors import visible_branches

from . import services
from .approvals import KEY
from .models import LibraryCategory, Material

PDF_BYTES = b"%PDF-1.4\n% demo template\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

MATERIALS = [
    ("WL-ZY01", "延保产品宣传折页", "张", 2000, 300, "三折页，A4，全国统一版本"),
    ("WL-YLB01", "易拉宝（80×200）", "个", 40, 10, "门店、车展用"),
    ("WL-SC01", "延保服务手册", "本", 500, 100, "随合同交付车主"),
    ("WL-HB01", "门店海报（A1）", "张", 8, 10, "季度主题海报"),
]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (32, 96, 160)).save(out, format="PNG")
    return out.getvalue()


def _holders(personas: dict, role: str) -> list:
    return [u for u in personas.values() if role in membership_of(u).roles]


def _approve_all(req) -> None:
    for _i in range(5):
        task = (ApprovalTask.objects.filter(flow__document_type=KEY, flow__object_id=req.pk,
                                            status=TaskStatus.PENDING).select_related("assignee").first())
        if task is None:
            return
        approvals.approval_approve(task=task, actor=task.assignee, comment="同意")


def seed(*, tenant, personas: dict, rich: bool) -> None:
    if Material.objects.filter(tenant=tenant).exists():
        return
    managers = _holders(personas, Role.MARKETING_SPECIALIST) or _holders(personas, Role.MARKETING_DIRECTOR)
    if not managers:
        return
    mspec = managers[0]
    materials = []
    for i, (code, name, unit, stock, threshold, desc) in enumerate(MATERIALS if rich else MATERIALS[:2]):
        data = {"name": name, "code": code, "unit": unit, "description": desc, "active": True,
                "low_stock_threshold": threshold}
        if i == 3:  # a regional item: only the first region's branches may order it
            data["regions"] = list(Region.objects.filter(tenant=tenant).order_by("pk")[:1])
        image = ContentFile(_png(), name="photo.png") if i == 0 else None
        m = services.material_create(tenant=tenant, actor=mspec, data=data, image=image)
        services.stock_receive(material=m, actor=mspec, quantity=stock, reason="印刷厂交货")
        materials.append(m)
    if rich:
        services.stock_adjust(material=materials[1], actor=mspec, delta=-2, reason="盘点：两个破损")

    applicants = _holders(personas, Role.SALESPERSON) or _holders(personas, Role.BRANCH_GM)
    if applicants:
        applicant = applicants[0]
        membership = membership_of(applicant)
        branch = visible_branches(membership=membership).first()
        req = services.request_create(
            tenant=tenant, membership=membership, actor=applicant, branch=branch, note="下月车展及门店补货",
            lines=[(materials[0], 300, "车展派发"), (materials[1], 4, "门店")],
        )
        _approve_all(req)
        req.refresh_from_db()
        lines = {line.material_id: line for line in req.lines.all()}
        shipment = services.request_dispatch(req=req, actor=mspec, courier="顺丰速运", waybill="SF1234567890",
                                             quantities={lines[materials[0].pk].pk: 300, lines[materials[1].pk].pk: 2})
        services.shipment_receive(shipment=shipment, membership=membership, actor=applicant)
        if rich:
            services.request_dispatch(req=req, actor=mspec, quantities={lines[materials[1].pk].pk: 2})
            waiting = services.request_create(tenant=tenant, membership=membership, actor=applicant, branch=branch,
                                              lines=[(materials[2], 50, "新签车主")])
            del waiting  # stays in approval: the inbox has something to show

    item = services.library_item_create(
        tenant=tenant, actor=mspec, data={"title": "延保产品宣传折页（全国统一版）", "category": LibraryCategory.LEAFLET,
                                          "description": "各分公司印刷、转发请使用最新版本，勿自行修改。"},
        upload=ContentFile(PDF_BYTES, name="折页-2026.pdf"), notes="首版",
    )
    services.library_publish(item=item, actor=mspec, upload=ContentFile(PDF_BYTES, name="折页-2026-v2.pdf"),
                             notes="更新客服电话与二维码")
    if rich:
        services.library_item_create(
            tenant=tenant, actor=mspec, data={"title": "经销商合作协议模板", "category": LibraryCategory.CONTRACT,
                                              "description": "各地区签约经销商统一使用。"},
            upload=ContentFile(PDF_BYTES, name="经销商合作协议.pdf"), notes="2026 版",
        )
