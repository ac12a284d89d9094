"""The access request (客户档案查阅申请) on the shared approval engine (docs/approvals.md).

Default chain: the general manager approves (domain §5). The tenant admin may edit the
chain in the engine's chain editor. The hooks run inside the engine's transaction with the
document locked; approval creates the temporary grant (``customers.services.grant_create``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

KEY = "customers.access_request"


def _approved(doc, actor):
    from .access import access_request_approve

    access_request_approve(doc=doc, actor=actor)


def _rejected(doc, actor, reason):
    from .access import access_request_reject

    access_request_reject(doc=doc, actor=actor, reason=reason)


def _withdrawn(doc, actor):
    from .access import access_request_withdraw

    access_request_withdraw(doc=doc, actor=actor)


def _notes(doc) -> list[str]:
    return [
        str(_("批准后申请人可在 %(days)s 天内查阅该客户档案，每次查阅都会记入访问日志。") % {"days": doc.days}),
    ]


def register_document_type() -> None:
    from marketing.approvals.registry import DocumentType, StepSpec, register
    from marketing.roles import Role

    register(DocumentType(
        key=KEY,
        label=_("客户档案查阅申请"),
        model="customers.CustomerAccessRequest",
        get_applicant=lambda doc: doc.applicant,
        # Not the customer's name: the applicant's own lists must not reveal whose phone
        # number it was before approval (deciders see the name on the request page).
        get_title=lambda doc: str(_("客户档案查阅申请 #%(pk)s") % {"pk": doc.pk}),
        get_url=lambda doc: reverse("customers:request_detail", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.customer.branch,
        condition_fields={"days": _("授权天数")},
        condition_values=lambda doc: {"days": doc.days},
        on_approved=_approved,
        on_rejected=_rejected,
        on_withdrawn=_withdrawn,
        reviewer_notes=_notes,
        default_chain=[StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER)],
    ))


def start_approval(*, document, actor, request=None):
    from marketing.approvals.services import approval_start

    return approval_start(document=document, actor=actor, request=request)


def panel_for(*, document, user):
    from marketing.approvals.selectors import flow_for, flow_panel

    return flow_panel(flow=flow_for(tenant=document.tenant, document=document), user=user, document=document)
