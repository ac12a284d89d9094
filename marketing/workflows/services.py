"""Every write of the approval forms: one function per state change, keyword-only, atomic,
rows locked where state moves, refusals as ``ValidationError`` with a code, audited.

The approval itself is the engine's (``marketing.approvals.services``); the hooks below run
inside its transaction with the request locked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.approvals.models import ApprovalChain
from marketing.approvals.registry import condition_rows, parse_condition
from marketing.approvals.selectors import chain_for
from marketing.approvals.services import approval_start
from marketing.audit import audit_record
from marketing.files import save_on_commit
from marketing.models import Tenant, User

from .models import (
    FieldType,
    FormAttachment,
    FormRequest,
    FormSample,
    FormTemplate,
    FormVersion,
    RequestStatus,
    VersionStatus,
)
from .validators import CONDITION_TYPES, clean_values, validate_schema


def _refuse(message, code, **params):
    raise ValidationError(message, code=code, params=params or None)


def _lock_template(template) -> FormTemplate:
    return FormTemplate.objects.select_for_update().get(pk=template.pk)


def _clean_meta(name, code, description, category):
    name, code = (name or "").strip(), (code or "").strip().upper()
    if not name:
        _refuse(_("请填写表单名称。"), "name_required")
    if not code or len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
        _refuse(_("流程代号只能包含字母、数字、“-”或“_”（最多 20 位）。"), "bad_code")
    return name[:60], code, (description or "").strip()[:300], (category or "").strip()[:30]


# --- templates and versions ------------------------------------------------------------------


@transaction.atomic
def template_create(*, tenant: Tenant, actor: User, name: str, code: str, description: str = "",
                    category: str = "", fields: list[dict] | None = None, request=None) -> FormTemplate:
    """A new form with its first draft (``fields``, or one 事由 text field to start from)."""
    name, code, description, category = _clean_meta(name, code, description, category)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # serialise codes per tenant
    if FormTemplate.objects.filter(tenant=tenant, code=code).exists():
        _refuse(_("流程代号“%(c)s”已被使用。"), "duplicate_code", c=code)
    fields = validate_schema(fields or [{"key": "reason", "label": "事由", "type": FieldType.TEXTAREA,
                                         "required": True}])
    template = FormTemplate.objects.create(tenant=tenant, name=name, code=code, description=description,
                                           category=category)
    FormVersion.objects.create(tenant=tenant, template=template, number=1, fields=fields, created_by=actor)
    audit_record(tenant=tenant, actor=actor, verb="workflows.template_create", obj=template, request=request,
                 after={"name": name, "code": code, "fields": fields})
    return template


@transaction.atomic
def template_update(*, template: FormTemplate, actor: User, name: str, description: str = "", category: str = "",
                    is_active: bool = True, viewers=(), request=None) -> FormTemplate:
    template = _lock_template(template)
    name, _code, description, category = _clean_meta(name, template.code, description, category)
    viewer_ids = list(dict.fromkeys(int(v) for v in viewers))
    members = set(User.objects.filter(pk__in=viewer_ids, membership__tenant_id=template.tenant_id,
                                      membership__is_active=True).values_list("pk", flat=True))
    if set(viewer_ids) - members:
        _refuse(_("可查看人员必须是本公司在职成员。"), "bad_viewer")
    before = {"name": template.name, "description": template.description, "category": template.category,
              "is_active": template.is_active, "viewers": template.viewers}
    template.name, template.description, template.category = name, description, category
    template.is_active, template.viewers = bool(is_active), viewer_ids
    template.save(update_fields=["name", "description", "category", "is_active", "viewers"])
    audit_record(tenant=template.tenant, actor=actor, verb="workflows.template_update", obj=template, before=before,
                 after={"name": name, "description": description, "category": category,
                        "is_active": template.is_active, "viewers": viewer_ids}, request=request)
    return template


def fields_stamp(template) -> str:
    """A digest of the fields the builder was opened on (the draft's, else the published
    version's): posted back, so a save over someone else's newer save is refused."""
    import hashlib
    import json

    version = (FormVersion.objects.filter(template=template, status=VersionStatus.DRAFT).first()
               or FormVersion.objects.filter(template=template, status=VersionStatus.PUBLISHED).first())
    raw = json.dumps([version.number, version.status, version.fields] if version else None, sort_keys=True,
                     ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


@transaction.atomic
def draft_save(*, template: FormTemplate, actor: User, fields: list[dict], stamp: str | None = None,
               request=None) -> FormVersion:
    """Save the builder's fields as the template's draft (created when there is none).
    ``stamp``: ``fields_stamp`` as the builder was rendered; a different one now = someone
    saved or published meanwhile (``code="stale"``)."""
    template = _lock_template(template)
    if stamp is not None and stamp != fields_stamp(template):
        _refuse(_("其他人刚刚修改了这个表单的字段，请刷新页面后再修改。"), "stale")
    fields = validate_schema(fields)
    draft = FormVersion.objects.filter(template=template, status=VersionStatus.DRAFT).first()
    before = draft.fields if draft else None
    if draft is None:
        last = FormVersion.objects.filter(template=template).aggregate(n=Max("number"))["n"] or 0
        draft = FormVersion.objects.create(tenant_id=template.tenant_id, template=template, number=last + 1,
                                           fields=fields, created_by=actor)
    else:
        draft.fields = fields
        draft.save(update_fields=["fields"])
    audit_record(tenant=template.tenant, actor=actor, verb="workflows.draft_save", obj=template, before=before,
                 after={"version": draft.number, "fields": fields}, request=request)
    return draft


def structured_chain(steps) -> list[dict]:
    """The chain's steps with each condition as structured rows (``{"match", "rows": [{field,
    op, value}]}``), the form the builder shows and the version keeps as its record."""
    from marketing.approvals.services import _spec_dict

    out = []
    for spec in steps:
        d = _spec_dict(spec)
        d["name"] = str(d["name"])
        shown = condition_rows(spec.condition)
        if shown is None:
            d["when"] = {"match": "mixed", "rows": [[list(map(_plain, c)) for c in g]
                                                    for g in parse_condition(spec.condition)]}
        else:
            match, rows = shown
            d["when"] = {"match": match, "rows": [{"field": f, "op": op, "value": _plain(v)} for f, op, v in rows]}
        out.append(d)
    return out


def _plain(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return list(value)
    return value


@transaction.atomic
def version_publish(*, template: FormTemplate, actor: User, request=None) -> FormVersion:
    """The draft becomes the version new requests use; the previous one is retired. Requests
    already filed keep their version. Refused when there is no chain, or when the chain in
    force tests a field the new version no longer has (the step would silently never apply)."""
    template = _lock_template(template)
    draft = FormVersion.objects.select_for_update().filter(template=template, status=VersionStatus.DRAFT).first()
    if draft is None:
        _refuse(_("没有待发布的草稿。"), "no_draft")
    fields = validate_schema(draft.fields)
    tenant = Tenant.objects.get(pk=template.tenant_id)
    chain = ApprovalChain.objects.filter(tenant=tenant, document_type=template.approval_key).first()
    steps = chain_for(tenant=tenant, key=template.approval_key)
    if chain is None or not steps:
        _refuse(_("请先为该表单设置审批流程，再发布。"), "no_chain")
    testable = {f["key"] for f in fields if f["type"] in CONDITION_TYPES} | {"branch", "region"}
    for spec in steps:
        for group in parse_condition(spec.condition):
            for name, _op, _value in group:
                if name not in testable:
                    _refuse(_("审批步骤“%(s)s”的条件使用了字段“%(f)s”，新版本中没有该字段；请先修改流程。"),
                            "chain_field_missing", s=spec.name, f=name)
    FormVersion.objects.filter(template=template, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED)
    draft.status, draft.published_at = VersionStatus.PUBLISHED, timezone.now()
    draft.fields, draft.chain_version, draft.chain = fields, chain.version, structured_chain(steps)
    draft.save(update_fields=["status", "published_at", "fields", "chain_version", "chain"])
    audit_record(tenant=tenant, actor=actor, verb="workflows.version_publish", obj=template, request=request,
                 after={"version": draft.number, "chain_version": chain.version})
    return draft


def published_version(template) -> FormVersion | None:
    return FormVersion.objects.filter(template=template, status=VersionStatus.PUBLISHED).first()


# --- requests ------------------------------------------------------------------------------


def _store_files(req: FormRequest, version: FormVersion, uploads: dict, actor) -> dict:
    """Store the uploads of attachment fields; ``{key: [{"id", "name"}]}``."""
    from marketing.approvals.uploads import validate_attachment

    stored = {}
    for field in version.fields:
        if field["type"] != FieldType.ATTACHMENT:
            continue
        items = []
        for upload in uploads.get(field["key"], []):
            validate_attachment(upload)
            row = FormAttachment(tenant_id=req.tenant_id, request=req, field_key=field["key"],
                                 name=upload.name[:200], uploaded_by=actor)
            save_on_commit(row.file, upload.name, upload)
            row.save()
            items.append({"id": row.pk, "name": row.name})
        if items:
            stored[field["key"]] = items
    return stored


def _check_values(version, raw, uploads, tenant, membership):
    raw = dict(raw)
    for field in version.fields:  # uploads count for "required"; stored after the checks pass
        if field["type"] == FieldType.ATTACHMENT and uploads.get(field["key"]):
            raw[field["key"]] = [{"id": 0, "name": u.name} for u in uploads[field["key"]]]
    values, errors = clean_values(version.fields, raw, tenant=tenant, membership=membership)
    if errors:
        raise ValidationError(errors, code="invalid_values")
    return values


@transaction.atomic
def request_create(*, template: FormTemplate, actor: User, membership, title: str, branch, raw: dict,
                   uploads: dict | None = None, sample: FormSample | None = None, request=None) -> FormRequest:
    """File and submit a request on the template's published version. ``raw``: the
    applicant's input per field key (see ``validators.clean_values``); ``uploads``: files per
    attachment field; ``sample``: the 样板 it was started from (recorded). Field errors:
    ``ValidationError`` whose ``message_dict`` is keyed by field."""
    uploads = uploads or {}
    if sample is not None and (sample.template_id != template.pk or sample.tenant_id != template.tenant_id):
        _refuse(_("样板不属于该表单。"), "bad_sample")
    template, tenant, version, title = _open_filing(template, title)
    if branch is not None:
        from marketing.selectors import visible_branches

        if not visible_branches(membership=membership).filter(pk=branch.pk).exists():
            raise ValidationError({"branch": [_("请选择您所属的分公司。")]}, code="invalid_values")
    values = _check_values(version, raw, uploads, tenant, membership)
    template.request_seq += 1
    template.save(update_fields=["request_seq"])
    return _file_request(
        tenant=tenant, template=template, version=version, actor=actor, uploads=uploads, request=request,
        verb="workflows.request_submit", before=None,
        audit={"sample": {"id": sample.pk, "name": sample.name}} if sample is not None else {},
        number=f"{template.code}-{template.request_seq:04d}", title=title[:120], branch=branch, values=values,
        sample=sample,
    )


def _open_filing(template: FormTemplate, title: str):
    """The checks every new filing on ``template`` passes (the template locked): active,
    published, titled. Returns (template, tenant, published version, stripped title)."""
    template = _lock_template(template)
    tenant = Tenant.objects.get(pk=template.tenant_id)
    if not template.is_active:
        _refuse(_("该表单已停用。"), "inactive")
    version = published_version(template)
    if version is None:
        _refuse(_("该表单尚未发布。"), "not_published")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("请填写标题。")]}, code="invalid_values")
    return template, tenant, version, title


def _file_request(*, tenant, template, version, actor, uploads, request, verb, before, audit, **fields):
    """Create the request, store its files, audit ``verb`` and start its approval."""
    req = FormRequest.objects.create(tenant=tenant, template=template, version=version, applicant=actor,
                                     submitted_at=timezone.now(), **fields)
    stored = _store_files(req, version, uploads, actor)
    if stored:
        req.values = {**req.values, **stored}
        req.save(update_fields=["values"])
    audit_record(tenant=tenant, actor=actor, verb=verb, obj=req, request=request, before=before,
                 after={"number": req.number, "version": version.number, "values": req.values, **audit})
    approval_start(document=req, actor=actor, request=request)
    return req


def revisions_of(req: FormRequest) -> list[FormRequest]:
    """Every revision of the plan ``req`` belongs to, the first (revision 1) first."""
    root_id = req.revision_of_id or req.pk
    return list(FormRequest.objects.filter(tenant_id=req.tenant_id).filter(
        models.Q(pk=root_id) | models.Q(revision_of_id=root_id)).order_by("revision"))


@transaction.atomic
def request_revise(*, document: FormRequest, actor: User, membership, title: str, raw: dict,
                   uploads: dict | None = None, request=None) -> FormRequest:
    """A revised plan (修订方案; seed 004 SC-007 4, S004-28): problems found while an approved
    plan runs lead its applicant to file revision n+1 -- a new request of the same form on the
    version published now, numbered ``<first number>-v<n+1>``, approved on its own chain run;
    the earlier revisions stay as they were (approved, with their approval trail). Only the
    latest revision, once approved, can be revised. Attachments are uploaded anew."""
    doc = FormRequest.objects.select_for_update().select_related("template").get(pk=document.pk)
    root = FormRequest.objects.select_for_update().get(pk=doc.revision_of_id or doc.pk)
    if doc.applicant_id != actor.pk:
        _refuse(_("只有申请人可以修订方案。"), "not_applicant")
    latest = revisions_of(root)[-1]
    if latest.pk != doc.pk:
        _refuse(_("该方案已有更新的修订版本（%(n)s），请在最新版本上修订。"), "not_latest", n=latest.number)
    if doc.status != RequestStatus.APPROVED:
        _refuse(_("只有已通过的方案可以修订；审批中的请撤回后修改。"), "not_approved")
    template, tenant, version, title = _open_filing(doc.template, title)
    uploads = uploads or {}
    values = _check_values(version, raw, uploads, tenant, membership)
    number = latest.revision + 1
    return _file_request(
        tenant=tenant, template=template, version=version, actor=actor, uploads=uploads, request=request,
        verb="workflows.request_revise", before={"number": doc.number, "revision": doc.revision, "values": doc.values},
        audit={"revision": number}, number=f"{root.number}-v{number}"[:40], title=title[:120], branch=doc.branch,
        values=values, revision_of=root, revision=number, sample=doc.sample,
    )


# --- reusable models (样板) ---------------------------------------------------------------------


@transaction.atomic
def sample_save(*, document: FormRequest, actor: User, name: str, request=None) -> FormSample:
    """Save an approved request's values as a reusable model (活动样板, S004-28) of its form.
    Attachment values are left out (the files stay with their request). The applicant or a
    form administrator may do it; names are unique per form."""
    from marketing.models import Membership
    from marketing.roles import Cap

    doc = FormRequest.objects.select_for_update().select_related("version").get(pk=document.pk)
    member = Membership.objects.filter(tenant_id=doc.tenant_id, user=actor, is_active=True).first()
    if doc.applicant_id != actor.pk and not (member and member.can(Cap.WORKFLOWS_CONFIGURE)):
        _refuse(_("只有申请人或表单管理员可以存为样板。"), "not_allowed")
    if doc.status != RequestStatus.APPROVED:
        _refuse(_("只有已通过的申请可以存为样板。"), "not_approved")
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError({"name": [_("请填写样板名称。")]}, code="invalid_values")
    _lock_template(doc.template)
    if FormSample.objects.filter(template_id=doc.template_id, name=name).exists():
        _refuse(_("样板“%(n)s”已存在。"), "duplicate_sample", n=name)
    files = {f["key"] for f in doc.version.fields if f["type"] == FieldType.ATTACHMENT}
    values = {k: v for k, v in doc.values.items() if k not in files}
    sample = FormSample.objects.create(tenant_id=doc.tenant_id, template_id=doc.template_id, name=name,
                                       values=values, version=doc.version, source=doc, created_by=actor)
    audit_record(tenant=doc.tenant, actor=actor, verb="workflows.sample_save", obj=sample, request=request,
                 after={"name": name, "source": doc.number, "values": values})
    return sample


def may_manage_sample(sample: FormSample, actor: User) -> bool:
    """Who renames or deletes a model: whoever saved it, or a form administrator."""
    from marketing.models import Membership
    from marketing.roles import Cap

    if sample.created_by_id == actor.pk:
        return True
    member = Membership.objects.filter(tenant_id=sample.tenant_id, user=actor, is_active=True).first()
    return bool(member and member.can(Cap.WORKFLOWS_CONFIGURE))


@transaction.atomic
def sample_rename(*, sample: FormSample, actor: User, name: str, request=None) -> FormSample:
    """Rename a model (活动样板, S004-28); names stay unique per form."""
    sample = FormSample.objects.select_for_update().get(pk=sample.pk, tenant_id=sample.tenant_id)
    if not may_manage_sample(sample, actor):
        _refuse(_("只有样板的创建人或表单管理员可以修改样板。"), "not_allowed")
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError({"name": [_("请填写样板名称。")]}, code="invalid_values")
    if name == sample.name:
        return sample
    _lock_template(sample.template)
    if FormSample.objects.filter(template_id=sample.template_id, name=name).exclude(pk=sample.pk).exists():
        _refuse(_("样板“%(n)s”已存在。"), "duplicate_sample", n=name)
    before = sample.name
    sample.name = name
    sample.save(update_fields=["name"])
    audit_record(tenant=sample.tenant, actor=actor, verb="workflows.sample_rename", obj=sample, request=request,
                 before={"name": before}, after={"name": name})
    return sample


@transaction.atomic
def sample_delete(*, sample: FormSample, actor: User, request=None) -> None:
    """Delete a model. Requests started from it keep their values (their link is cleared)."""
    sample = FormSample.objects.select_for_update().get(pk=sample.pk, tenant_id=sample.tenant_id)
    if not may_manage_sample(sample, actor):
        _refuse(_("只有样板的创建人或表单管理员可以删除样板。"), "not_allowed")
    audit_record(tenant=sample.tenant, actor=actor, verb="workflows.sample_delete", obj=sample, request=request,
                 before={"name": sample.name, "values": sample.values})
    sample.delete()


def carry_values(values: dict, from_fields: list[dict], version: FormVersion) -> dict:
    """Values filed on ``from_fields`` that a new request on ``version`` starts from: the
    fields that still exist with the same type (the form may have changed since), files not."""
    types = {f["key"]: f["type"] for f in from_fields}
    return {f["key"]: values[f["key"]] for f in version.fields
            if f["key"] in values and types.get(f["key"]) == f["type"] and f["type"] != FieldType.ATTACHMENT}


def sample_initial(sample: FormSample, version: FormVersion) -> dict:
    return carry_values(sample.values, sample.version.fields, version)


@transaction.atomic
def request_resubmit(*, document: FormRequest, actor: User, membership, title: str, raw: dict,
                     uploads: dict | None = None, request=None) -> FormRequest:
    """After a rejection or a withdrawal the applicant corrects and submits again: same
    number, same form version (a filed request never changes version), the engine's next round
    on the chain in force now. Attachments already stored stay unless new files are sent."""
    req = FormRequest.objects.select_for_update().select_related("version").get(pk=document.pk)
    if req.applicant_id != actor.pk:
        _refuse(_("只有申请人可以重新提交。"), "not_applicant")
    if req.status not in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        _refuse(_("只有已驳回或已撤回的申请可以重新提交。"), "not_resubmittable")
    uploads = uploads or {}
    raw = dict(raw)
    for field in req.version.fields:
        if field["type"] == FieldType.ATTACHMENT and not uploads.get(field["key"]):
            raw[field["key"]] = req.values.get(field["key"], [])
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("请填写标题。")]}, code="invalid_values")
    tenant = Tenant.objects.get(pk=req.tenant_id)
    values = _check_values(req.version, raw, uploads, tenant, membership)
    before = {"values": req.values, "status": req.status}
    stored = _store_files(req, req.version, uploads, actor)
    req.values, req.title = {**values, **stored}, title[:120]
    req.status, req.submitted_at, req.finished_at = RequestStatus.SUBMITTED, timezone.now(), None
    req.save(update_fields=["values", "title", "status", "submitted_at", "finished_at"])
    audit_record(tenant=tenant, actor=actor, verb="workflows.request_resubmit", obj=req, before=before,
                 after={"values": req.values}, request=request)
    approval_start(document=req, actor=actor, request=request)
    return req


def _close(document, actor, status, verb):
    before = document.status
    document.status, document.finished_at = status, timezone.now()
    document.save(update_fields=["status", "finished_at"])
    audit_record(tenant=document.tenant, actor=actor, verb=f"workflows.{verb}", obj=document,
                 before={"status": before}, after={"status": status})


# Engine hooks: inside the engine's transaction, the request locked (select_for_update).
def request_approved(*, document, actor) -> None:
    _close(document, actor, RequestStatus.APPROVED, "request_approved")


def request_rejected(*, document, actor) -> None:
    _close(document, actor, RequestStatus.REJECTED, "request_rejected")


def request_withdrawn(*, document, actor) -> None:
    _close(document, actor, RequestStatus.WITHDRAWN, "request_withdrawn")
