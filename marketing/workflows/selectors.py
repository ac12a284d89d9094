"""Reads shared by the pages and exports of the approval forms."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marketing.approvals.selectors import visible_flows
from marketing.models import Membership
from marketing.roles import Cap, Role

from .models import FormRequest, FormTemplate, FormVersion, VersionStatus


def templates(*, tenant) -> QuerySet[FormTemplate]:
    return FormTemplate.objects.filter(tenant=tenant)


def fileable_templates(*, tenant) -> list[tuple[FormTemplate, FormVersion]]:
    """Active templates with a published version, each with that version (one query)."""
    versions = FormVersion.objects.filter(tenant=tenant, status=VersionStatus.PUBLISHED,
                                          template__is_active=True).select_related("template")
    return sorted(((v.template, v) for v in versions), key=lambda tv: (tv[0].code, tv[0].name))


def request_list(*, membership: Membership, template: FormTemplate | None = None) -> QuerySet[FormRequest]:
    """The requests ``membership`` may read (the reach rule, docs/approvals.md §7): with
    ``WORKFLOWS_VIEW_ALL`` every one; otherwise their own, those of the branches they are GM
    of, those whose approval they take part in (approver, stand-in, cc), and those of forms
    that name them as a viewer."""
    tenant = membership.tenant
    qs = FormRequest.objects.filter(tenant=tenant)
    if template is not None:
        qs = qs.filter(template=template)
    qs = qs.select_related("template", "applicant", "branch", "version")
    if membership.can(Cap.WORKFLOWS_VIEW_ALL):
        return qs
    user = membership.user
    reach = Q(applicant=user)
    if Role.BRANCH_GM in membership.roles:
        from marketing.selectors import assigned_branch_ids

        reach |= Q(branch_id__in=assigned_branch_ids(membership=membership))
    flows = visible_flows(tenant=tenant, user=user).filter(document_type__startswith="form:").values("object_id")
    reach |= Q(pk__in=flows)
    viewer_of = [pk for pk, viewers in FormTemplate.objects.filter(tenant=tenant).values_list("pk", "viewers")
                 if user.pk in (viewers or [])]
    if viewer_of:
        reach |= Q(template_id__in=viewer_of)
    return qs.filter(reach)
