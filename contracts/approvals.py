"""Contracts documents on the approval engine: the product design request (产品设计审批表,
seed 000 产品申请流程, chain S000-36) and the contract request (产品合同申领表, S000-41).
Registered from ``ContractsConfig.ready()``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import DocumentType, StepSpec, register
from marketing.roles import Role

PRODUCT_DESIGN_KEY = "contracts.product_design"
CONTRACT_REQUEST_KEY = "contracts.request"

# S000-36: 分总签字确认 → 产品设计部签字 → 市场营销部审核签字 → 营运部确认签字 → 财务部明确签字 → 总经理核准签字
PRODUCT_DESIGN_CHAIN = [
    StepSpec(name="分公司总经理签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    StepSpec(name="产品设计部签字", role=Role.PRODUCT_DESIGN),
    StepSpec(name="市场营销部审核", role=Role.MARKETING_SPECIALIST, kind=StepKind.VERIFY,
             checklist=("产品要素", "合同条款", "产品体系完整准确")),
    StepSpec(name="营运部确认", role=Role.OPERATIONS),
    StepSpec(name="财务部签字", role=Role.FINANCE),
    StepSpec(name="总经理核准", role=Role.GENERAL_MANAGER),
]

# S000-41/42: 分总签字确认 → 市场核对动销率
CONTRACT_REQUEST_CHAIN = [
    StepSpec(name="分公司总经理签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    StepSpec(name="市场专员核对动销率", role=Role.MARKETING_SPECIALIST),
]


def _design_notes(version) -> list[str]:
    lines = [str(_("产品 %(code)s 第 %(n)s 版：%(term)s 个月，里程上限 %(km)s，建议售价 ¥%(price)s。")) % {
        "code": version.product.code, "n": version.number, "term": version.term_months,
        "km": version.mileage_display, "price": f"{version.price:,.2f}",
    }]
    if version.number > 1:
        lines.append(str(_("这是已批准产品的新版本：批准后替换现行版本，旧版本保留可查。")))
    return lines


def register_contract_types() -> None:
    from .services import products

    register(
        DocumentType(
            key=PRODUCT_DESIGN_KEY,
            label=_("产品设计审批"),
            model="contracts.ProductVersion",
            get_applicant=lambda doc: doc.applicant,
            get_title=lambda doc: f"{doc.product.code} v{doc.number} {doc.name}",
            get_url=lambda doc: reverse("contracts:version_detail", kwargs={"pk": doc.pk}),
            get_branch=lambda doc: doc.branch,
            condition_fields={"term_months": _("保障期限（月）"), "price": _("建议售价"), "is_new_version": _("新版本")},
            condition_values=lambda doc: {"term_months": doc.term_months, "price": doc.price,
                                          "is_new_version": doc.number > 1},
            on_approved=products.on_version_approved,
            on_rejected=products.on_version_rejected,
            on_withdrawn=products.on_version_withdrawn,
            reviewer_notes=_design_notes,
            default_chain=PRODUCT_DESIGN_CHAIN,
        )
    )
    from .services import requests as contract_requests

    contract_requests.register_type(CONTRACT_REQUEST_KEY, CONTRACT_REQUEST_CHAIN)
