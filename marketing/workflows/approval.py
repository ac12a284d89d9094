"""Every approval form (审批表单) on the shared engine: one document type per template, keys
``form:<template pk>``, resolved at run time through the registry's family hook
(``marketing.approvals.registry.register_family``). Return, transfer, withdraw, delegate,
comments, inbox, e-mails, digest and audit are the engine's own; the chain is edited in the
engine's chain editor (``approvals:chain_edit`` with the key), versioned there, and may need
joint sign-off (``ApprovalChain.signoff_users``).

Condition fields are the form's number, money, choice and branch fields of its published
and draft versions (so the editor accepts conditions for a draft about to be published)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PREFIX = "form"


def key_for(doc) -> str:
    return f"{PREFIX}:{doc.template_id}"


def _fields_of(versions) -> list[dict]:
    """Published fields, then the draft's (a draft field of the same key wins: it is newer)."""
    merged: dict[str, dict] = {}
    for v in sorted(versions, key=lambda v: v.status != "published"):
        for f in v.fields:
            merged[f["key"]] = f
    return list(merged.values())


def condition_fields_for(template, fields) -> dict:
    from marketing.approvals.registry import ConditionField
    from marketing.models import Branch

    from .validators import CONDITION_TYPES

    out = {}
    branches = None
    for f in fields:
        kind = CONDITION_TYPES.get(f["type"])
        if kind is None:
            continue
        choices = ()
        if f["type"] == "choice":
            choices = tuple((o, o) for o in f.get("options", []))
        elif f["type"] == "branch":
            if branches is None:
                branches = tuple((b.code, b.name) for b in Branch.objects.filter(tenant_id=template.tenant_id))
            choices = branches
        out[f["key"]] = ConditionField(f["label"], kind, choices)
    return out


def _values(doc) -> dict:
    from marketing.models import Branch

    from .validators import condition_values

    fields = doc.version.fields
    codes = {}
    if any(f["type"] == "branch" for f in fields):
        codes = dict(Branch.objects.filter(tenant_id=doc.tenant_id).values_list("pk", "code"))
    return condition_values(fields, doc.values, branch_codes=codes)


def _hook(name):
    def call(doc, actor, *args):
        from . import services

        getattr(services, name)(document=doc, actor=actor)
    return call


def resolve(key: str):
    from marketing.approvals.registry import DocumentType

    from .models import FormTemplate, FormVersion, VersionStatus

    _prefix, _sep, raw = key.partition(":")
    if not raw.isdigit() or len(raw) > 18:
        raise LookupError(f"unknown approval document type {key!r}")
    versions = list(FormVersion.objects.filter(
        template_id=int(raw), status__in=[VersionStatus.DRAFT, VersionStatus.PUBLISHED]).select_related("template"))
    template = versions[0].template if versions else FormTemplate.objects.filter(pk=int(raw)).first()
    if template is None:
        raise LookupError(f"unknown approval document type {key!r}")
    return DocumentType(
        key=key,
        label=f"{template.code} {template.name}",
        model="workflows.FormRequest",
        get_applicant=lambda doc: doc.applicant,
        get_title=lambda doc: f"{template.name} {doc.number} {doc.title}",
        get_url=lambda doc: reverse("workflows:request", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.branch,
        condition_fields=condition_fields_for(template, _fields_of(versions)),
        condition_values=_values,
        on_approved=_hook("request_approved"),
        on_rejected=_hook("request_rejected"),
        on_withdrawn=_hook("request_withdrawn"),
    )


def register_document_family() -> None:
    from marketing.approvals.registry import DocumentFamily, register_family

    register_family(DocumentFamily(prefix=PREFIX, model="workflows.FormRequest", resolve=resolve, key_for=key_for,
                                   label=_("审批表单")))
