"""Reads of the approval machinery: inbox, my submissions, a flow's history and what the
current user may do on it. Everything takes the tenant; counts never depend on rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import Branch, BranchUserObjectPermission, Region, User
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .models import (
    ApprovalChain,
    ApprovalChainStep,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalFlow,
    ApprovalStep,
    ApprovalTask,
    FlowStatus,
    Position,
    PositionHolder,
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
    chain = (
        ApprovalChain.objects.filter(tenant=tenant, document_type=key)
        .prefetch_related(Prefetch("steps", queryset=ApprovalChainStep.objects.select_related("approver_position")))
        .first()
    )
    if chain is None:
        doc_type = get_type(key)
        return list(doc_type.default_chain_for(tenant) if doc_type.default_chain_for else doc_type.default_chain)
    return [
        StepSpec(name=s.name, role=s.role, kind=s.kind, scope=s.scope, mode=s.mode, condition=s.condition,
                 checklist=tuple(s.checklist or ()), position=s.approver_position.name if s.approver_position else "",
                 user_ids=tuple(s.approver_users or ()))
        for s in chain.steps.all()
    ]


def positions(*, tenant, active: bool | None = True) -> QuerySet[Position]:
    qs = Position.objects.filter(tenant=tenant)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("sort_order", "name")


def positions_by_name(*, tenant, names) -> dict[str, Position]:
    names = {n for n in names if n}
    if not names:
        return {}
    return {p.name: p for p in Position.objects.filter(tenant=tenant, name__in=names)}


def holders_of(*, position) -> QuerySet[PositionHolder]:
    return PositionHolder.objects.filter(tenant_id=position.tenant_id, position=position).select_related(
        "user", "region", "branch"
    ).order_by("branch__code", "region__code", "user__full_name", "id")


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


def _active_users(tenant, user_ids) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=user_ids, is_active=True, membership__tenant=tenant, membership__is_active=True
    ).order_by("full_name", "username")


def region_of(*, flow) -> Region | None:
    """The document's region: its branch's, else the applicant's when all their branches lie
    in one region (an HQ document filed by a branch person), else None."""
    if flow.branch_id is not None:
        return flow.branch.region
    granted = BranchUserObjectPermission.objects.filter(
        user_id=flow.applicant_id, permission__codename="act_for_branch"
    ).values("content_object_id")
    regions = set(Branch.objects.filter(tenant=flow.tenant, pk__in=granted).values_list("region_id", flat=True))
    return Region.objects.filter(tenant=flow.tenant, pk=regions.pop()).first() if len(regions) == 1 else None


def position_holders(*, tenant, position, scope: str, branch=None, region=None, exclude_id=None) -> list[User]:
    """Active holders of ``position`` for the scope, most specific first: for a branch step
    the branch's holders, else its region's, else the tenant-wide ones; for a region step the
    region's, else the tenant-wide ones; for a tenant step the tenant-wide ones. A tier held
    only by ``exclude_id`` (the applicant) escalates to the next one; if every tier is held
    only by them, they are returned (the caller decides: skip or refuse)."""
    if position is None or not position.is_active:
        return []
    base = PositionHolder.objects.filter(tenant=tenant, position=position)
    tenant_wide = Q(region__isnull=True, branch__isnull=True)
    if scope == StepScope.BRANCH and branch is not None:
        tiers = [Q(branch=branch), Q(region_id=branch.region_id), tenant_wide]
    elif scope == StepScope.REGION and region is not None:
        tiers = [Q(region=region), tenant_wide]
    else:
        tiers = [tenant_wide]
    only_excluded: list[User] = []
    for tier in tiers:
        people = list(_active_users(tenant, base.filter(tier).values("user_id")))
        if any(u.pk != exclude_id for u in people):
            return people
        only_excluded = only_excluded or people
    return only_excluded


def role_holders(*, tenant, role: str, scope: str, branch=None, region=None) -> list[User]:
    if not role:
        return []
    if scope == StepScope.REGION:
        granted = BranchUserObjectPermission.objects.filter(
            content_object__region=region, permission__codename="act_for_branch"
        ).values("user_id")
        return list(users_with_roles(tenant=tenant, roles=[role]).filter(pk__in=granted))
    return list(users_with_roles(tenant=tenant, roles=[role], branch=branch if scope == StepScope.BRANCH else None))


def people_for(*, tenant, scope: str, role: str = "", position=None, user_ids=(), branch=None, region=None,
               applicant_id=None, step_name: str = "") -> list[User]:
    """Who signs a step (see ``StepSpec``): the named person, else the position's holders,
    else the role's holders, within the scope (the document's branch or region)."""
    if scope == StepScope.BRANCH and branch is None:
        raise ValidationError(_("步骤“%(s)s”需要单据所属分公司，但单据没有分公司。"), code="no_branch",
                              params={"s": step_name})
    if scope == StepScope.REGION and region is None:
        raise ValidationError(_("步骤“%(s)s”需要单据所属地区，但单据没有分公司，申请人也不属于唯一的地区。"),
                              code="no_region", params={"s": step_name})
    if user_ids:
        named = list(_active_users(tenant, list(user_ids)))
        if named:
            return named
        # issue 19: every named person is disabled (e.g. has left): fall back to the step's
        # position / role, else the document's branch GM; nobody found stays empty (refused as before)
        if role or position:
            return people_for(tenant=tenant, scope=scope, role=role, position=position, branch=branch, region=region,
                              applicant_id=applicant_id, step_name=step_name)
        return list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM], branch=branch)) if branch else []
    people = position_holders(tenant=tenant, position=position, scope=scope, branch=branch, region=region,
                              exclude_id=applicant_id)
    if people and any(u.pk != applicant_id for u in people):
        return people
    return role_holders(tenant=tenant, role=role, scope=scope, branch=branch, region=region) or people


def resolve_people(*, step: ApprovalStep, flow: ApprovalFlow) -> list[User]:
    """Who may act on a running step, resolved when it opens (not at submission)."""
    branch = flow.branch if flow.branch_id else None
    region = region_of(flow=flow) if step.scope == StepScope.REGION else None
    return people_for(
        tenant=flow.tenant, scope=step.scope, role=step.role, position=step.approver_position,
        user_ids=step.approver_users, branch=branch, region=region, applicant_id=flow.applicant_id,
        step_name=step.name,
    )


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


# --- route preview -----------------------------------------------------------------------------


@dataclass
class RouteStep:
    spec: StepSpec
    applies: bool
    people: list = field(default_factory=list)
    note: str = ""


def route_preview(*, tenant, specs: list[StepSpec], values: dict, branch=None, applicant=None) -> list[RouteStep]:
    """What a request with ``values`` (filed by ``applicant`` for ``branch``) would go through:
    for each step, whether its condition holds and who would be asked -- resolved now, the
    same way a running step is when it opens. Nothing is written."""
    from .registry import condition_holds

    values = dict(values)
    values.setdefault("branch", branch.code if branch is not None else None)
    values.setdefault("region", branch.region.code if branch is not None else None)
    named = positions_by_name(tenant=tenant, names=[s.position for s in specs])
    region = branch.region if branch is not None else None
    applicant_id = getattr(applicant, "pk", None)
    if region is None and applicant is not None:
        granted = BranchUserObjectPermission.objects.filter(
            user_id=applicant_id, permission__codename="act_for_branch"
        ).values("content_object_id")
        regions = set(Branch.objects.filter(tenant=tenant, pk__in=granted).values_list("region_id", flat=True))
        region = Region.objects.filter(tenant=tenant, pk=regions.pop()).first() if len(regions) == 1 else None
    route = []
    for spec in specs:
        if not condition_holds(spec.condition, values):
            route.append(RouteStep(spec=spec, applies=False, note=_("条件不满足，跳过")))
            continue
        try:
            people = people_for(tenant=tenant, scope=spec.scope, role=spec.role, position=named.get(spec.position),
                                user_ids=spec.user_ids, branch=branch, region=region, applicant_id=applicant_id,
                                step_name=spec.name)
        except ValidationError as exc:
            route.append(RouteStep(spec=spec, applies=True, note=" ".join(exc.messages)))
            continue
        others = [u for u in people if u.pk != applicant_id]
        note = ""
        if not others:
            if people and spec.scope != StepScope.TENANT and spec.kind != StepKind.CC:
                note = _("申请人本人即该角色，自动跳过")
            else:
                note = _("找不到处理人，提交时会被拒绝")
        elif spec.mode == "all" and spec.kind != StepKind.CC:
            note = _("会签：以上每个人都要签")
        route.append(RouteStep(spec=spec, applies=True, people=others, note=note))
    return route
