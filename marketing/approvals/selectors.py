"""Reads of the approval machinery: inbox, my submissions, a flow's history and what the
current user may do on it. Everything takes the tenant; counts never depend on rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import User
from marketing.selectors import users_with_roles

from .models import (
    ApprovalChain,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalFlow,
    ApprovalStep,
    ApprovalTask,
    FlowStatus,
    StepKind,
    StepScope,
    StepStatus,
    TaskStatus,
)
from .registry import StepSpec, get_type, type_for_document


def local_today(tenant) -> date:
    return timezone.localtime(timezone.now(), tenant.zone).date()


def chain_for(*, tenant, key: str) -> list[StepSpec]:
    """The tenant's chain for a document type, or the type's default chain."""
    chain = ApprovalChain.objects.filter(tenant=tenant, document_type=key).prefetch_related("steps").first()
    if chain is None:
        return list(get_type(key).default_chain)
    return [
        StepSpec(name=s.name, role=s.role, kind=s.kind, scope=s.scope, mode=s.mode, condition=s.condition,
                 checklist=tuple(s.checklist or ()))
        for s in chain.steps.all()
    ]


def active_delegations(*, tenant, day: date) -> QuerySet[ApprovalDelegation]:
    return ApprovalDelegation.objects.filter(
        tenant=tenant, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
    )


def delegators_of(*, tenant, user, day: date) -> set[int]:
    """Ids of the people ``user`` stands in for today."""
    return set(active_delegations(tenant=tenant, day=day).filter(delegate=user).values_list("delegator_id", flat=True))


def _inbox_q(*, tenant, user) -> Q:
    """Mine, plus (today) the tasks of whoever I stand in for -- except documents I applied for.
    The stand-in ids are read first (one small query) so the main query stays a plain index
    range on (assignee, status, created_at) in the common no-delegation case."""
    standing_in_for = list(
        active_delegations(tenant=tenant, day=local_today(tenant)).filter(delegate=user)
        .values_list("delegator_id", flat=True)
    )
    mine = Q(assignee=user)
    if not standing_in_for:
        return mine
    return mine | (Q(assignee_id__in=standing_in_for) & ~Q(flow__applicant=user))


def inbox(*, tenant, user) -> QuerySet[ApprovalTask]:
    """待我审批: pending tasks of mine and of whoever I stand in for today. Two queries."""
    return (
        ApprovalTask.objects.filter(tenant=tenant, status=TaskStatus.PENDING)
        .filter(_inbox_q(tenant=tenant, user=user))
        .select_related("flow", "flow__applicant", "flow__branch", "step", "assignee")
        .order_by("created_at", "id")
    )


def inbox_count(*, tenant, user) -> int:
    return (
        ApprovalTask.objects.filter(tenant=tenant, status=TaskStatus.PENDING)
        .filter(_inbox_q(tenant=tenant, user=user))
        .count()
    )


def started_by(*, tenant, user) -> QuerySet[ApprovalFlow]:
    """我发起的."""
    return ApprovalFlow.objects.filter(tenant=tenant, applicant=user).select_related("branch").order_by(
        "-started_at", "-id"
    )


def visible_flows(*, tenant, user) -> QuerySet[ApprovalFlow]:
    """Flows the user takes part in: applicant, or holder (or stand-in) of any task."""
    task_flows = ApprovalTask.objects.filter(tenant=tenant).filter(
        Q(assignee=user) | Q(acted_by=user) | Q(_inbox_q(tenant=tenant, user=user))
    ).values("flow_id")
    return ApprovalFlow.objects.filter(tenant=tenant).filter(Q(applicant=user) | Q(pk__in=task_flows))


def flow_for(*, tenant, document) -> ApprovalFlow | None:
    key = type_for_document(document).key
    return ApprovalFlow.objects.filter(tenant=tenant, document_type=key, object_id=document.pk).first()


def flows_for(*, tenant, key: str, object_ids) -> dict[int, ApprovalFlow]:
    return {f.object_id: f for f in ApprovalFlow.objects.filter(tenant=tenant, document_type=key,
                                                                  object_id__in=list(object_ids))}


# --- who acts ------------------------------------------------------------------------------


def resolve_people(*, step: ApprovalStep | StepSpec, flow: ApprovalFlow) -> list[User]:
    """Who holds the step's role: tenant-wide, or among the document branch's people."""
    branch = None
    if step.scope == StepScope.BRANCH:
        if flow.branch_id is None:
            raise ValidationError(_("步骤“%(s)s”需要单据所属分公司，但单据没有分公司。"), code="no_branch",
                                  params={"s": step.name})
        branch = flow.branch
    return list(users_with_roles(tenant=flow.tenant, roles=[step.role], branch=branch))


def transfer_candidates(*, task: ApprovalTask) -> list[User]:
    busy = set(
        ApprovalTask.objects.filter(step=task.step, status=TaskStatus.PENDING).values_list("assignee_id", flat=True)
    )
    return [
        u for u in resolve_people(step=task.step, flow=task.flow)
        if u.pk != task.flow.applicant_id and u.pk not in busy and u.pk != task.assignee_id
    ]



@dataclass
class Panel:
    """Everything a document page needs to show the approval history and the actions open to
    the current user. Build with ``flow_panel``; render with ``approvals/_panel.html``."""

    flow: ApprovalFlow | None
    rounds: list = field(default_factory=list)  # [(round, [step with .task_list])], newest first
    comments: list = field(default_factory=list)
    my_task: ApprovalTask | None = None
    return_targets: list = field(default_factory=list)
    transfer_candidates: list = field(default_factory=list)
    can_withdraw: bool = False
    can_comment: bool = False
    notes: list = field(default_factory=list)
    is_applicant: bool = False


def flow_history(flow: ApprovalFlow) -> list[tuple[int, list[ApprovalStep]]]:
    steps = (
        ApprovalStep.objects.filter(flow=flow)
        .prefetch_related(
            Prefetch("tasks", queryset=ApprovalTask.objects.select_related("assignee", "acted_by", "transferred_to"))
        )
        .order_by("-round", "position")
    )
    rounds: dict[int, list] = {}
    for step in steps:
        rounds.setdefault(step.round, []).append(step)
    return list(rounds.items())


def flow_panel(*, flow: ApprovalFlow | None, user: User, document=None) -> Panel:
    if flow is None:
        return Panel(flow=None)
    panel = Panel(flow=flow, rounds=flow_history(flow), is_applicant=flow.applicant_id == user.pk)
    panel.comments = list(ApprovalComment.objects.filter(flow=flow).select_related("author"))
    stand_in = delegators_of(tenant=flow.tenant, user=user, day=local_today(flow.tenant))
    # Commenting is for the people in the flow (the same rule as the flow page and its actions).
    panel.can_comment = panel.is_applicant or any(
        user.pk in (t.assignee_id, t.acted_by_id) or t.assignee_id in stand_in
        for _round, steps in panel.rounds for s in steps for t in s.tasks.all()
    )
    if flow.status == FlowStatus.IN_PROGRESS:
        panel.can_withdraw = panel.is_applicant
        if not panel.is_applicant:
            current = [s for s in (panel.rounds[0][1] if panel.rounds else []) if s.status == StepStatus.ACTIVE]
            for step in current:
                for task in step.tasks.all():
                    if task.status == TaskStatus.PENDING and (
                        task.assignee_id == user.pk or task.assignee_id in stand_in
                    ):
                        panel.my_task = task
                        break
            if panel.my_task is not None:
                panel.my_task.flow = flow
                panel.return_targets = [
                    s for s in panel.rounds[0][1]
                    if s.status == StepStatus.DONE and s.kind != StepKind.CC
                    and s.position < panel.my_task.step.position
                ]
                panel.transfer_candidates = transfer_candidates(task=panel.my_task)
                doc_type = get_type(flow.document_type)
                if doc_type.reviewer_notes and document is not None:
                    panel.notes = list(doc_type.reviewer_notes(document))
    return panel
