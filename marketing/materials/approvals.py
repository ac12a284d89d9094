"""The branch material request (物料请购) as an approval document type. Seed 000 §宣传物料
(S000-06): 分公司提申请 → 市场营销部审核 → 总部供应. The default chain: the branch's GM signs
(skipped when the GM is the applicant: the submission is the signature), then marketing
(市场专员) reviews; the tenant edits it in the chain editor like any other chain.
Registered from ``MaterialsConfig.ready()``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepScope
from marketing.approvals.registry import ConditionField, DocumentType, StepSpec, register
from marketing.roles import Role

KEY = "materials.request"

BRANCH_GM_STEP = StepSpec(name="分总审核", role=Role.BRANCH_GM, scope=StepScope.BRANCH)
MARKETING_STEP = StepSpec(name="市场营销部审核", role=Role.MARKETING_SPECIALIST)
DEFAULT_CHAIN = [BRANCH_GM_STEP, MARKETING_STEP]


def _values(doc) -> dict:
    lines = list(doc.lines.all())
    return {"total_quantity": sum(line.quantity for line in lines), "line_count": len(lines)}


def _notes(doc) -> list[str]:
    notes = []
    for line in doc.lines.select_related("material"):
        m = line.material
        text = str(_("%(name)s：申请 %(q)s %(unit)s，总部库存 %(stock)s")) % {
            "name": m.name, "q": line.quantity, "unit": m.unit, "stock": m.on_hand}
        if line.quantity > m.on_hand:
            text += str(_("（库存不足，可部分发货）"))
        notes.append(text)
    return notes


def register_request_type() -> None:
    from . import services

    register(
        DocumentType(
            key=KEY,
            label=_("物料请购"),
            model="materials.MaterialRequest",
            get_applicant=lambda doc: doc.applicant,
            get_title=lambda doc: f"{doc.number} {doc.branch.name}",
            get_url=lambda doc: reverse("materials:request_detail", kwargs={"pk": doc.pk}),
            get_branch=lambda doc: doc.branch,
            condition_fields={
                "total_quantity": ConditionField(_("申请总数量"), "number"),
                "line_count": ConditionField(_("物料种类数"), "number"),
            },
            condition_values=_values,
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
            on_withdrawn=services.on_withdrawn,
            reviewer_notes=_notes,
            default_chain=DEFAULT_CHAIN,
        )
    )
