"""Demo content of the approval forms: the shipped forms (setup.py, idempotent) and, per
tenant, requests on them -- one SC-007 market activity with a file (so every page that names
an object has one in both tenants), and in the rich demo a special one waiting for the GM
and an SC-006 with printing. Run by ``marketing.demo.seed_apps`` inside the tenant scope."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from marketing.models import Membership
from marketing.roles import Role
from marketing.selectors import users_with_roles, visible_branches

from . import services
from .models import FormRequest, FormTemplate
from .setup import ensure_shipped

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _applicant(tenant):
    for role in (Role.SALESPERSON, Role.BRANCH_GM, Role.MARKETING_SPECIALIST):
        user = next(iter(users_with_roles(tenant=tenant, roles=[role])), None)
        if user is not None:
            return user, Membership.objects.get(tenant=tenant, user=user)
    return None, None


def _file(template, user, membership, title, values, files=None):
    if FormRequest.objects.filter(template=template, title=title).exists():
        return
    branches = list(visible_branches(membership=membership))
    services.request_create(template=template, actor=user, membership=membership, title=title,
                            branch=branches[0] if branches else None, raw=values, uploads=files or {})


def seed(*, tenant, personas, rich: bool) -> None:
    admin = next(iter(users_with_roles(tenant=tenant, roles=[Role.TENANT_ADMIN])), None)
    ensure_shipped(tenant=tenant, actor=admin)
    user, membership = _applicant(tenant)
    if user is None:
        return
    activity = FormTemplate.objects.get(tenant=tenant, code="SC-007")
    _file(activity, user, membership, "春季新品技术交流会", {
        "activity": "技术交流会", "nature": "常规", "period": ["2026-04-10", "2026-04-11"], "place": "本地会展中心",
        "budget": "18000"}, {"plan": [SimpleUploadedFile("策划书.pdf", PDF, content_type="application/pdf")]})
    _sample(activity, user)
    if not rich:
        return
    _signoff_list(tenant, admin)
    _file(activity, user, membership, "年度经销商大会", {
        "activity": "公共活动", "nature": "特殊", "period": ["2026-06-01", "2026-06-02"], "budget": "260000"})
    material = FormTemplate.objects.get(tenant=tenant, code="SC-006")
    _file(material, user, membership, "新品折页", {
        "material": "折页", "format": "A4 三折", "content": "新品卖点与价格", "due": "2026-03-20",
        "printing": "需要印刷", "quantity": "5000", "print_budget": "6500"})


def _sample(template, user) -> None:
    """A 活动样板 (S004-28) in every demo tenant, so its pages have an object in both. Written
    directly: the demo request is still in approval, and ``sample_save`` (rightly) takes only
    approved requests."""
    from .models import FormSample

    source = FormRequest.objects.filter(template=template, title="春季新品技术交流会").first()
    if source is None or FormSample.objects.filter(template=template).exists():
        return
    files = {f["key"] for f in source.version.fields if f["type"] == "attachment"}
    FormSample.objects.create(tenant=template.tenant, template=template, name="技术交流会样板", version=source.version,
                              values={k: v for k, v in source.values.items() if k not in files}, source=source,
                              created_by=user)


def _signoff_list(tenant, admin) -> None:
    """Seed 004 说明 2 (S004-01): changes of SC-001's chain need the joint sign-off of the GM
    and the holders of 技术总监 / 大客户部经理 / 产品市场部经理 (set once; applies at once)."""
    from marketing.approvals import services as approvals
    from marketing.approvals.models import ApprovalChain, PositionHolder
    from marketing.approvals.selectors import chain_for

    sc1 = FormTemplate.objects.get(tenant=tenant, code="SC-001")
    chain = ApprovalChain.objects.filter(tenant=tenant, document_type=sc1.approval_key).first()
    if chain is None or chain.signoff_users:
        return
    people = [u.pk for u in users_with_roles(tenant=tenant, roles=[Role.GENERAL_MANAGER])][:1]
    people += list(PositionHolder.objects.filter(
        tenant=tenant, position__name__in=["技术总监", "大客户部经理", "产品市场部经理"]).values_list("user_id", flat=True))
    people = [u for u in dict.fromkeys(people) if admin is None or u != admin.pk]
    if people:
        approvals.chain_save(tenant=tenant, actor=admin, key=sc1.approval_key,
                             steps=chain_for(tenant=tenant, key=sc1.approval_key), signoff_users=people,
                             note="流程变更需联合审核（种子 004 说明 2）")
