"""Every write of the approval machinery. One function per state change: keyword-only,
atomic, the flow row locked first (``select_for_update``), illegal moves refused with a
``ValidationError`` carrying a code, audited, e-mails announced through ``events`` (which hands them to ``notify``;
this module never imports ``notify``, ``digest`` or the views).

Two people pressing "approve" on the same step at once: both wait on the flow lock; the
second one then finds its task no longer pending (或签) or the version moved, and gets
``code="stale"`` -- exactly one transition happens."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.files import save_on_commit
from marketing.models import Tenant, User

from . import events
from .models import (
    ApprovalChain,
    ApprovalChainStep,
    ApprovalChainVersion,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalFlow,
    ApprovalStep,
    ApprovalTask,
    ChainVersionStatus,
    FlowStatus,
    Position,
    PositionHolder,
    StepKind,
    StepMode,
    StepScope,
    StepStatus,
    TaskStatus,
)
from .registry import DocumentType, StepSpec, condition_holds, get_type, type_for_document, validate_condition
from .selectors import (  # noqa: F401  (resolve_people / transfer_candidates kept importable from here)
    chain_for,
    delegators_of,
    local_today,
    positions_by_name,
    resolve_people,
    transfer_candidates,
)
from .uploads import validate_attachment

# --- helpers -------------------------------------------------------------------------------


def _now():
    return timezone.now()


def _refuse(message: str, code: str, **params):
    raise ValidationError(message, code=code, params=params or None)


def _lock_flow(flow_id: int) -> ApprovalFlow:
    return ApprovalFlow.objects.select_for_update().get(pk=flow_id)


def _document(flow: ApprovalFlow, *, lock: bool = False):
    model = get_type(flow.document_type).model_class
    qs = model.objects.filter(tenant_id=flow.tenant_id)
    if lock:
        qs = qs.select_for_update()
    return qs.get(pk=flow.object_id)


def _bump(flow: ApprovalFlow, **changes) -> None:
    for name, value in changes.items():
        setattr(flow, name, value)
    flow.version += 1
    flow.save(update_fields=[*changes, "version"])


def _check_actor(task: ApprovalTask, actor: User, flow: ApprovalFlow) -> None:
    if actor.pk == flow.applicant_id:
        _refuse(_("不能审批自己提交的单据。"), "self_approval")
    if task.status != TaskStatus.PENDING or task.step.status != StepStatus.ACTIVE:
        _refuse(_("这一步已经有人处理过了，请刷新页面查看最新状态。"), "stale")
    if flow.status != FlowStatus.IN_PROGRESS or task.step.round != flow.round:
        _refuse(_("该单据已不在审批中，请刷新页面查看最新状态。"), "stale")
    if task.assignee_id == actor.pk:
        return
    if task.assignee_id in delegators_of(tenant=flow.tenant, user=actor, day=local_today(flow.tenant)):
        return
    _refuse(_("您不是这一步的处理人。"), "not_assignee")


def _lock_task(task_or_id, *, actor: User, version: int | None) -> tuple[ApprovalFlow, ApprovalTask]:
    task_id = getattr(task_or_id, "pk", task_or_id)
    head = ApprovalTask.objects.filter(pk=task_id).values_list("flow_id", flat=True).first()
    if head is None:
        _refuse(_("审批任务不存在。"), "not_found")
    flow = _lock_flow(head)
    task = ApprovalTask.objects.select_for_update().select_related("step").get(pk=task_id)
    if version is not None and int(version) != flow.version:
        _refuse(_("这一步已经有人处理过了，请刷新页面查看最新状态。"), "stale")
    _check_actor(task, actor, flow)
    return flow, task


def _record(flow, actor, verb, *, before=None, after=None, request=None):
    audit_record(
        tenant=flow.tenant, actor=actor, verb=f"approvals.{verb}", obj=flow, before=before, after=after,
        request=request, object_label=flow.title,
    )


def _cancel_open(flow: ApprovalFlow, *, step_status: str = StepStatus.CANCELLED) -> None:
    now = _now()
    ApprovalTask.objects.filter(flow=flow, status=TaskStatus.PENDING).update(
        status=TaskStatus.CANCELLED, decided_at=now
    )
    ApprovalStep.objects.filter(
        flow=flow, round=flow.round, status__in=[StepStatus.ACTIVE, StepStatus.WAITING]
    ).update(status=step_status)


def _activate(flow: ApprovalFlow, step: ApprovalStep) -> list[ApprovalTask] | None:
    """Open ``step``: create its tasks. Returns None when the step had to be skipped."""
    people = resolve_people(step=step, flow=flow)
    others = [u for u in people if u.pk != flow.applicant_id]
    if not others:
        if people and step.scope in (StepScope.BRANCH, StepScope.REGION) and step.kind != StepKind.CC:
            # The applicant is their branch's only holder of the role (a branch GM filing for
            # their own branch): the submission is that signature. Tenant-wide steps are never
            # skipped this way, and a flow cannot end without someone else's approval.
            step.status, step.note = StepStatus.SKIPPED, _("申请人本人即该角色，自动跳过")
            step.save(update_fields=["status", "note"])
            return None
        _refuse(_("步骤“%(s)s”找不到处理人（%(r)s），请联系系统管理员。"), "no_assignee",
                s=step.name, r=step.approver_label)
    if step.kind == StepKind.CC:
        now = _now()
        tasks = ApprovalTask.objects.bulk_create(
            [ApprovalTask(tenant_id=flow.tenant_id, flow=flow, step=step, assignee=u, status=TaskStatus.CC,
                          decided_at=now) for u in others]
        )
        step.status, step.completed_at = StepStatus.DONE, now
        step.save(update_fields=["status", "completed_at"])
        events.cc_sent(flow=flow, step=step, users=others)
        return None
    tasks = ApprovalTask.objects.bulk_create(
        [ApprovalTask(tenant_id=flow.tenant_id, flow=flow, step=step, assignee=u) for u in others]
    )
    step.status = StepStatus.ACTIVE
    step.save(update_fields=["status"])
    events.step_opened(flow=flow, step=step, users=others)
    return tasks


def _advance(flow: ApprovalFlow, *, after_position: int, actor, doc_type: DocumentType) -> None:
    """Open the next applicable step after ``after_position``; finish the flow when none is left."""
    steps = ApprovalStep.objects.filter(
        flow=flow, round=flow.round, position__gt=after_position, status=StepStatus.WAITING
    ).order_by("position")
    for step in steps:
        if _activate(flow, step) is not None:
            _bump(flow, current_position=step.position)
            return
    signed = ApprovalTask.objects.filter(flow=flow, step__round=flow.round, status=TaskStatus.APPROVED).exists()
    if not signed:
        _refuse(_("该流程没有申请人以外的审批人，不能自动通过，请联系系统管理员调整流程。"), "no_approver")
    _bump(flow, status=FlowStatus.APPROVED, current_position=None, finished_at=_now())
    if doc_type.on_approved:
        doc_type.on_approved(_document(flow, lock=True), actor)
    events.flow_approved(flow=flow)


# --- start -----------------------------------------------------------------------------


@transaction.atomic
def approval_start(*, document, actor: User, request=None, reopen_approved: bool = False) -> ApprovalFlow:
    """Submit ``document`` for approval (first time, or again after a rejection/withdrawal:
    the next round). Conditions are evaluated now, against the document as submitted.
    ``reopen_approved``: a document type whose approved documents may be changed and reviewed
    again (a plan changed after acceptance) starts a new round on an approved flow."""
    doc_type = type_for_document(document)
    tenant = Tenant.objects.get(pk=document.tenant_id)
    applicant = doc_type.get_applicant(document)
    branch = doc_type.branch_of(document)
    snapshot = {
        "title": str(doc_type.get_title(document))[:200],
        "url": doc_type.get_url(document),
        "branch": branch,
        "applicant": applicant,
    }
    flow = (
        ApprovalFlow.objects.select_for_update()
        .filter(tenant=tenant, document_type=doc_type.key, object_id=document.pk)
        .first()
    )
    if flow is None:
        flow = ApprovalFlow.objects.create(
            tenant=tenant, document_type=doc_type.key, object_id=document.pk, started_at=_now(), **snapshot
        )
    elif flow.status == FlowStatus.IN_PROGRESS or (flow.status == FlowStatus.APPROVED and not reopen_approved):
        _refuse(_("该单据已在审批中或已通过，不能重复提交。"), "already_started")
    else:
        _bump(flow, round=flow.round + 1, status=FlowStatus.IN_PROGRESS, started_at=_now(),
              finished_at=None, current_position=None, **snapshot)
    values = doc_type.values_of(document)
    values.setdefault("branch", branch.code if branch is not None else None)
    values.setdefault("region", branch.region.code if branch is not None else None)
    if doc_type.steps_for is not None:
        specs, chain_version = list(doc_type.steps_for(document)), None
    else:
        specs = chain_for(tenant=tenant, key=doc_type.key)
        chain_version = ApprovalChain.objects.filter(tenant=tenant, document_type=doc_type.key).values_list(
            "version", flat=True).first()
    if flow.chain_version != chain_version:
        flow.chain_version = chain_version
        flow.save(update_fields=["chain_version"])
    if not specs:
        _refuse(_("该单据类型没有配置审批流程。"), "no_chain")
    named = positions_by_name(tenant=tenant, names=[spec.position for spec in specs])
    steps = []
    for position, spec in enumerate(specs, start=1):
        applies = condition_holds(spec.condition, values)
        steps.append(
            ApprovalStep(
                tenant=tenant, flow=flow, round=flow.round, position=position, name=spec.name, kind=spec.kind,
                role=spec.role, scope=spec.scope, mode=spec.mode, condition=spec.condition,
                checklist=list(spec.checklist), approver_position=named.get(spec.position),
                approver_users=list(spec.user_ids),
                status=StepStatus.WAITING if applies else StepStatus.SKIPPED,
                note="" if applies else _("条件不满足，跳过"),
            )
        )
    ApprovalStep.objects.bulk_create(steps)
    _record(flow, actor, "start", after={"round": flow.round, "document": doc_type.key, "id": document.pk},
            request=request)
    _advance(flow, after_position=0, actor=actor, doc_type=doc_type)
    return flow


# --- decisions -----------------------------------------------------------------------------


@transaction.atomic
def approval_approve(
    *, task, actor: User, comment: str = "", checklist: Iterable[str] = (), version: int | None = None,
    request=None,
) -> ApprovalFlow:
    """Sign / verify / record (备案) the actor's task. A verify step needs every checklist item
    ticked. 或签: the first signature completes the step; 会签: the last one does."""
    flow, task = _lock_task(task, actor=actor, version=version)
    step = task.step
    ticked = set(checklist)
    if step.kind == StepKind.VERIFY:
        missing = [item for item in step.checklist if item not in ticked]
        if missing:
            _refuse(_("请逐项核对后再通过：%(items)s"), "checklist_incomplete", items="、".join(missing))
    now = _now()
    task.status, task.acted_by, task.decided_at, task.comment = TaskStatus.APPROVED, actor, now, comment.strip()
    task.checklist_values = {item: item in ticked for item in step.checklist}
    task.save(update_fields=["status", "acted_by", "decided_at", "comment", "checklist_values"])
    open_tasks = ApprovalTask.objects.filter(step=step, status=TaskStatus.PENDING)
    if step.mode == StepMode.ANY:
        open_tasks.update(status=TaskStatus.CANCELLED, decided_at=now)
        step_done = True
    else:
        step_done = not open_tasks.exists()
    _record(flow, actor, "approve", after={"step": step.name, "on_behalf_of": task.assignee_id,
                                           "comment": task.comment}, request=request)
    if not step_done:
        _bump(flow)
        return flow
    step.status, step.completed_at = StepStatus.DONE, now
    step.save(update_fields=["status", "completed_at"])
    _advance(flow, after_position=step.position, actor=actor, doc_type=get_type(flow.document_type))
    return flow


@transaction.atomic
def approval_reject(*, task, actor: User, reason: str, version: int | None = None, request=None) -> ApprovalFlow:
    """Refuse: the document goes back to its applicant, who may edit it and resubmit."""
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("驳回必须填写理由。"), "reason_required")
    flow, task = _lock_task(task, actor=actor, version=version)
    now = _now()
    task.status, task.acted_by, task.decided_at, task.comment = TaskStatus.REJECTED, actor, now, reason
    task.save(update_fields=["status", "acted_by", "decided_at", "comment"])
    task.step.status, task.step.completed_at = StepStatus.DONE, now
    task.step.save(update_fields=["status", "completed_at"])
    _cancel_open(flow)
    _bump(flow, status=FlowStatus.REJECTED, current_position=None, finished_at=now)
    _record(flow, actor, "reject", after={"step": task.step.name, "reason": reason}, request=request)
    doc_type = get_type(flow.document_type)
    if doc_type.on_rejected:
        doc_type.on_rejected(_document(flow, lock=True), actor, reason)
    events.flow_rejected(flow=flow, actor=actor, comment=reason)
    return flow


@transaction.atomic
def approval_return(
    *, task, actor: User, to_position: int, reason: str, version: int | None = None, request=None
) -> ApprovalFlow:
    """Send the document back to an earlier, already completed step of this round."""
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("退回必须填写理由。"), "reason_required")
    flow, task = _lock_task(task, actor=actor, version=version)
    target = (
        ApprovalStep.objects.filter(flow=flow, round=flow.round, position=to_position, status=StepStatus.DONE)
        .exclude(kind=StepKind.CC)
        .first()
    )
    if target is None or to_position >= task.step.position:
        _refuse(_("只能退回到本轮已完成的前序步骤。"), "bad_return_target")
    now = _now()
    task.status, task.acted_by, task.decided_at, task.comment = TaskStatus.RETURNED, actor, now, reason
    task.save(update_fields=["status", "acted_by", "decided_at", "comment"])
    ApprovalTask.objects.filter(step=task.step, status=TaskStatus.PENDING).update(
        status=TaskStatus.CANCELLED, decided_at=now
    )
    # The target and everything after it (up to the current step) run again.
    ApprovalStep.objects.filter(
        flow=flow, round=flow.round, position__gte=to_position, position__lte=task.step.position,
        status__in=[StepStatus.DONE, StepStatus.ACTIVE],
    ).exclude(kind=StepKind.CC).update(status=StepStatus.WAITING, completed_at=None)
    target.refresh_from_db()
    _record(flow, actor, "return", after={"from": task.step.name, "to": target.name, "reason": reason},
            request=request)
    if _activate(flow, target) is None:
        _advance(flow, after_position=target.position, actor=actor, doc_type=get_type(flow.document_type))
    else:
        _bump(flow, current_position=target.position)
    return flow


@transaction.atomic
def approval_transfer(
    *, task, actor: User, to_user: User, comment: str = "", version: int | None = None, request=None
) -> ApprovalFlow:
    """Hand the actor's task to a colleague who holds the step's role (same branch for branch
    steps). The colleague gets a new task; the old one records the transfer."""
    flow, task = _lock_task(task, actor=actor, version=version)
    candidates = {u.pk for u in transfer_candidates(task=task)}
    if to_user is None or to_user.pk not in candidates:
        _refuse(_("只能转交给同一角色的其他同事。"), "bad_transfer_target")
    now = _now()
    task.status, task.acted_by, task.decided_at = TaskStatus.TRANSFERRED, actor, now
    task.comment, task.transferred_to = comment.strip(), to_user
    task.save(update_fields=["status", "acted_by", "decided_at", "comment", "transferred_to"])
    ApprovalTask.objects.create(tenant_id=flow.tenant_id, flow=flow, step=task.step, assignee=to_user)
    _bump(flow)
    _record(flow, actor, "transfer", after={"step": task.step.name, "to": to_user.pk, "comment": task.comment},
            request=request)
    events.step_opened(flow=flow, step=task.step, users=[to_user])
    return flow


@transaction.atomic
def approval_withdraw(*, flow, actor: User, version: int | None = None, request=None) -> ApprovalFlow:
    """The applicant takes the document back before the chain ends."""
    flow = _lock_flow(flow.pk)
    if actor.pk != flow.applicant_id:
        _refuse(_("只有申请人可以撤回。"), "not_applicant")
    if flow.status != FlowStatus.IN_PROGRESS or (version is not None and int(version) != flow.version):
        _refuse(_("该单据已不在审批中，不能撤回，请刷新页面。"), "stale")
    _cancel_open(flow)
    _bump(flow, status=FlowStatus.WITHDRAWN, current_position=None, finished_at=_now())
    _record(flow, actor, "withdraw", request=request)
    doc_type = get_type(flow.document_type)
    if doc_type.on_withdrawn:
        doc_type.on_withdrawn(_document(flow, lock=True), actor)
    return flow


@transaction.atomic
def approval_comment(
    *, flow, actor: User, body: str = "", attachment=None, request=None
) -> ApprovalComment:
    """A remark and/or a file on the flow. Who may comment is the view's reach check."""
    body = (body or "").strip()
    if not body and attachment is None:
        _refuse(_("请填写意见或选择附件。"), "empty_comment")
    if attachment is not None:
        validate_attachment(attachment)
    flow = _lock_flow(flow.pk)
    note = ApprovalComment(tenant_id=flow.tenant_id, flow=flow, author=actor, body=body)
    if attachment is not None:
        note.attachment_name = attachment.name[:200]
        save_on_commit(note.attachment, attachment.name, attachment)  # written at commit
    note.save()
    _record(flow, actor, "comment", after={"body": body[:200], "file": note.attachment_name}, request=request)
    return note


# --- delegation ----------------------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *, tenant: Tenant, actor: User, delegate: User, starts_on, ends_on, reason: str = "", request=None
) -> ApprovalDelegation:
    if delegate is None or delegate.pk == actor.pk:
        _refuse(_("不能委托给自己。"), "self_delegation")
    if ends_on < starts_on:
        _refuse(_("结束日期不能早于开始日期。"), "bad_dates")
    if ends_on < local_today(tenant):
        _refuse(_("结束日期已经过去。"), "bad_dates")
    if (ends_on - starts_on).days > 366:
        _refuse(_("委托期限不能超过一年。"), "bad_dates")
    delegation = ApprovalDelegation.objects.create(
        tenant=tenant, delegator=actor, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason
    )
    audit_record(tenant=tenant, actor=actor, verb="approvals.delegation_create", obj=delegation,
                 after={"delegate": delegate.pk, "starts_on": starts_on, "ends_on": ends_on}, request=request)
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: ApprovalDelegation, actor: User, request=None) -> ApprovalDelegation:
    delegation = ApprovalDelegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.delegator_id != actor.pk:
        _refuse(_("只能撤销自己的委托。"), "not_delegator")
    if delegation.revoked_at is not None:
        _refuse(_("该委托已撤销。"), "already_revoked")
    delegation.revoked_at = _now()
    delegation.save(update_fields=["revoked_at"])
    audit_record(tenant=delegation.tenant, actor=actor, verb="approvals.delegation_revoke", obj=delegation,
                 request=request)
    return delegation


# --- chain configuration -------------------------------------------------------------------


def _validate_steps(*, tenant: Tenant, doc_type: DocumentType, steps: list[StepSpec]) -> dict:
    if not steps:
        _refuse(_("流程至少需要一个步骤。"), "empty_chain")
    if all(s.kind == StepKind.CC for s in steps):
        _refuse(_("流程至少需要一个审批步骤（不能只有抄送）。"), "cc_only")
    named = positions_by_name(tenant=tenant, names=[s.position for s in steps])
    members = _members(tenant, [u for s in steps for u in s.user_ids])
    for spec in steps:
        validate_condition(spec.condition, doc_type)
        if spec.kind == StepKind.VERIFY and not spec.checklist:
            _refuse(_("核对步骤“%(s)s”至少需要一个核对项。"), "empty_checklist", s=spec.name)
        if not (spec.role or spec.position or spec.user_ids):
            _refuse(_("步骤“%(s)s”没有指定处理人（角色、岗位或人员）。"), "no_approver_set", s=spec.name)
        if spec.position and (spec.position not in named or not named[spec.position].is_active):
            _refuse(_("步骤“%(s)s”的岗位“%(p)s”不存在或已停用。"), "bad_position", s=spec.name, p=spec.position)
        if any(u not in members for u in spec.user_ids):
            _refuse(_("步骤“%(s)s”指定的人员不是本公司在职成员。"), "bad_user", s=spec.name)
    return named


def _members(tenant, user_ids) -> set[int]:
    return set(
        User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True,
                            pk__in=list(user_ids)).values_list("pk", flat=True)
    )


@transaction.atomic
def chain_save(
    *, tenant: Tenant, actor: User, key: str, steps: list[StepSpec], signoff_users=None, note: str = "",
    request=None,
) -> ApprovalChain:
    """Save a new version of the tenant's chain for ``key`` (and, optionally, who must co-sign
    later changes: ``signoff_users``; None keeps the list as it is). With nobody to co-sign,
    the version takes effect at once. Otherwise it waits (``ChainVersionStatus.PENDING``) for
    every person of the *current* sign-off list, as a 会签 on the engine (document type
    ``approvals.chain_change``). Flows already running keep the steps they started with."""
    doc_type = get_type(key)
    if doc_type.steps_for is not None:
        _refuse(_("该单据类型的流程不能配置。"), "not_configurable")
    _validate_steps(tenant=tenant, doc_type=doc_type, steps=steps)
    chain, _created = ApprovalChain.objects.select_for_update().get_or_create(tenant=tenant, document_type=key)
    if signoff_users is None:
        signoff_users = list(chain.signoff_users)
    signoff_users = list(dict.fromkeys(int(u) for u in signoff_users))
    if set(signoff_users) - _members(tenant, signoff_users):
        _refuse(_("变更会签人必须是本公司在职成员。"), "bad_signoff_user")
    if ApprovalChainVersion.objects.filter(tenant=tenant, document_type=key, status=ChainVersionStatus.PENDING).exists():
        _refuse(_("该流程已有一项变更在会签中，请等会签结束（或撤回）后再修改。"), "change_pending")
    last = ApprovalChainVersion.objects.filter(tenant=tenant, document_type=key).order_by("-number").first()
    # The proposer's own signature is implied: the others named must sign.
    signers = [u for u in chain.signoff_users if u != actor.pk and u in _members(tenant, chain.signoff_users)]
    version = ApprovalChainVersion.objects.create(
        tenant=tenant, document_type=key, number=(last.number if last else 0) + 1,
        steps=[_spec_dict(s) for s in steps], signoff_users=signoff_users, signers=signers,
        note=(note or "").strip()[:200], created_by=actor,
    )
    if not signers:
        _publish(version, actor=actor, request=request)
        return chain
    audit_record(tenant=tenant, actor=actor, verb="approvals.chain_propose", obj=version, request=request,
                 after={"version": version.number, "steps": version.steps, "signers": signers},
                 object_label=f"{doc_type.label} v{version.number}")
    approval_start(document=version, actor=actor, request=request)
    return chain


def _spec_from_dict(d: dict) -> StepSpec:
    return StepSpec(name=d["name"], role=d.get("role", ""), kind=d.get("kind", StepKind.APPROVE),
                    scope=d.get("scope", StepScope.TENANT), mode=d.get("mode", StepMode.ANY),
                    condition=d.get("condition", ""), checklist=tuple(d.get("checklist") or ()),
                    position=d.get("position", ""), user_ids=tuple(d.get("users") or ()))


def _publish(version: ApprovalChainVersion, *, actor, request=None) -> None:
    """Make ``version`` the chain in force (inside the caller's transaction)."""
    tenant = Tenant.objects.get(pk=version.tenant_id)
    doc_type = get_type(version.document_type)
    chain, _created = ApprovalChain.objects.select_for_update().get_or_create(
        tenant=tenant, document_type=version.document_type
    )
    steps = [_spec_from_dict(d) for d in version.steps]
    named = positions_by_name(tenant=tenant, names=[s.position for s in steps])
    before = {"version": chain.version, "steps": [_spec_dict(s) for s in chain_for(tenant=tenant, key=chain.document_type)],
              "signoff_users": list(chain.signoff_users)}
    chain.steps.all().delete()
    ApprovalChainStep.objects.bulk_create(
        [
            ApprovalChainStep(tenant=tenant, chain=chain, position=i, name=s.name, kind=s.kind, role=s.role,
                              scope=s.scope, mode=s.mode, condition=s.condition, checklist=list(s.checklist),
                              approver_position=named.get(s.position), approver_users=list(s.user_ids))
            for i, s in enumerate(steps, start=1)
        ]
    )
    chain.version, chain.signoff_users, chain.updated_by = version.number, list(version.signoff_users), actor
    chain.save(update_fields=["version", "signoff_users", "updated_by", "updated_at"])
    version.status, version.published_at = ChainVersionStatus.PUBLISHED, _now()
    version.save(update_fields=["status", "published_at"])
    audit_record(tenant=tenant, actor=actor, verb="approvals.chain_save", obj=chain, before=before,
                 after={"version": version.number, "steps": version.steps, "signoff_users": version.signoff_users},
                 request=request, object_label=str(doc_type.label))


def _chain_change_approved(version, actor) -> None:
    _publish(version, actor=actor)


def _chain_change_closed(status):
    def hook(version, actor, *args) -> None:
        version.status = status
        version.save(update_fields=["status"])
    return hook


def register_chain_change_type() -> None:
    """A chain change waiting for joint sign-off is itself a document on the engine: inbox,
    e-mails, comments, return, withdraw and audit work for it as for any other."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from .registry import register

    register(DocumentType(
        key="approvals.chain_change",
        label=gettext_lazy("审批流程变更会签"),
        model="approvals.ApprovalChainVersion",
        get_applicant=lambda v: v.created_by,
        get_title=lambda v: f"{get_type(v.document_type).label} v{v.number} {v.note}".strip(),
        get_url=lambda v: reverse("approvals:chain_version", kwargs={"pk": v.pk}),
        on_approved=_chain_change_approved,
        on_rejected=_chain_change_closed(ChainVersionStatus.REJECTED),
        on_withdrawn=_chain_change_closed(ChainVersionStatus.WITHDRAWN),
        steps_for=lambda v: [StepSpec(name=gettext_lazy("流程变更会签"), user_ids=tuple(v.signers),
                                      mode=StepMode.ALL)],
    ))


@transaction.atomic
def chain_reset(*, tenant: Tenant, actor: User, key: str, request=None) -> None:
    """Back to the type's built-in chain. Refused while the chain requires sign-off of changes
    (propose the default steps in the editor instead); version history stays."""
    doc_type = get_type(key)
    chain = ApprovalChain.objects.select_for_update().filter(tenant=tenant, document_type=key).first()
    if chain is None:
        return
    if chain.signoff_users:
        _refuse(_("该流程的变更需要会签，不能直接恢复默认；请在编辑器中提交默认步骤。"), "signoff_required")
    audit_record(tenant=tenant, actor=actor, verb="approvals.chain_reset", obj=chain, request=request,
                 object_label=str(doc_type.label))
    chain.delete()


def _spec_dict(spec: StepSpec) -> dict:
    return {"name": spec.name, "kind": spec.kind, "role": spec.role, "scope": spec.scope, "mode": spec.mode,
            "condition": spec.condition, "checklist": list(spec.checklist), "position": spec.position,
            "users": list(spec.user_ids)}


# --- positions (岗位) --------------------------------------------------------------------------


def _clean_position_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        _refuse(_("请填写岗位名称。"), "name_required")
    if len(name) > 60:
        _refuse(_("岗位名称不能超过 60 个字。"), "name_too_long")
    return name


@transaction.atomic
def position_create(
    *, tenant: Tenant, actor: User, name: str, description: str = "", sort_order: int = 0, request=None
) -> Position:
    """A new position of the tenant. The name is unique per tenant (a double submit is refused)."""
    name = _clean_position_name(name)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # serialise creates per tenant
    if Position.objects.filter(tenant=tenant, name=name).exists():
        _refuse(_("岗位“%(n)s”已存在。"), "duplicate_position", n=name)
    position = Position.objects.create(tenant=tenant, name=name, description=(description or "").strip()[:200],
                                       sort_order=sort_order or 0)
    audit_record(tenant=tenant, actor=actor, verb="approvals.position_create", obj=position,
                 after={"name": name, "description": position.description}, request=request)
    return position


@transaction.atomic
def position_update(
    *, position: Position, actor: User, name: str, description: str = "", is_active: bool = True,
    sort_order: int = 0, request=None,
) -> Position:
    position = Position.objects.select_for_update(of=("self",)).get(pk=position.pk)
    name = _clean_position_name(name)
    if Position.objects.filter(tenant_id=position.tenant_id, name=name).exclude(pk=position.pk).exists():
        _refuse(_("岗位“%(n)s”已存在。"), "duplicate_position", n=name)
    before = {"name": position.name, "description": position.description, "is_active": position.is_active,
              "sort_order": position.sort_order}
    position.name, position.description = name, (description or "").strip()[:200]
    position.is_active, position.sort_order = bool(is_active), sort_order or 0
    position.save(update_fields=["name", "description", "is_active", "sort_order"])
    audit_record(tenant=position.tenant, actor=actor, verb="approvals.position_update", obj=position, before=before,
                 after={"name": name, "description": position.description, "is_active": position.is_active,
                        "sort_order": position.sort_order}, request=request)
    return position


@transaction.atomic
def position_assign(
    *, position: Position, actor: User, user: User, region=None, branch=None, request=None
) -> PositionHolder:
    """Put ``user`` in ``position``: tenant-wide (no region, no branch), for a region or for a
    branch. The same person twice in the same place is refused (``code="already_holder"``)."""
    position = Position.objects.select_for_update(of=("self",)).get(pk=position.pk)
    tenant_id = position.tenant_id
    if region is not None and branch is not None:
        _refuse(_("请选择地区或分公司之一，不能同时选择。"), "region_and_branch")
    if user is None or not User.objects.filter(pk=user.pk, membership__tenant_id=tenant_id,
                                               membership__is_active=True, is_active=True).exists():
        _refuse(_("请选择本公司在职的人员。"), "bad_user")
    for place in (region, branch):
        if place is not None and place.tenant_id != tenant_id:
            _refuse(_("地区或分公司不存在。"), "bad_place")
    if PositionHolder.objects.filter(position=position, user=user, region=region, branch=branch).exists():
        _refuse(_("%(u)s 已在该范围担任“%(p)s”。"), "already_holder", u=user.display_name, p=position.name)
    holder = PositionHolder.objects.create(tenant_id=tenant_id, position=position, user=user, region=region,
                                           branch=branch)
    audit_record(tenant=position.tenant, actor=actor, verb="approvals.position_assign", obj=position,
                 after={"user": user.pk, "region": getattr(region, "pk", None), "branch": getattr(branch, "pk", None)},
                 request=request, object_label=str(holder))
    return holder


@transaction.atomic
def position_unassign(*, holder: PositionHolder, actor: User, request=None) -> None:
    holder = PositionHolder.objects.select_for_update(of=("self",)).select_related("position", "user").filter(pk=holder.pk).first()
    if holder is None:
        _refuse(_("该任职记录已被移除。"), "stale")
    audit_record(tenant=holder.position.tenant, actor=actor, verb="approvals.position_unassign", obj=holder.position,
                 before={"user": holder.user_id, "region": holder.region_id, "branch": holder.branch_id},
                 request=request, object_label=str(holder))
    holder.delete()
