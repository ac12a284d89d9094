"""Every state change of the people app: one function each, atomic, audited (docs/people.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.models import Branch, Membership, User
from marketing.notifications.services import notify
from marketing.roles import BRANCH_ROLES, Cap, Role
from marketing.selectors import assigned_branch_ids, users_with_roles, visible_branches
from marketing.services import membership_update, user_create, user_set_active

from . import handover
from .models import (
    ACTIVE_JOB_STATUSES,
    OPEN_DEPARTURE_STATUSES,
    Departure,
    DepartureStatus,
    HandoverJob,
    HandoverRecord,
    HandoverWaiver,
    Invitation,
    PeoplePolicy,
    PositionRoleMap,
    Transfer,
    TransferStatus,
)


def _refuse(message, code, **params):
    raise ValidationError(message, code=code, params=params or None)


def policy_for(tenant) -> PeoplePolicy:
    return PeoplePolicy.objects.filter(tenant=tenant).first() or PeoplePolicy(tenant=tenant)


@transaction.atomic
def policy_save(*, tenant, actor, notice_days: int, invitation_hours: int, request=None) -> PeoplePolicy:
    policy = PeoplePolicy.objects.select_for_update().filter(tenant=tenant).first() or PeoplePolicy(tenant=tenant)
    before = {"notice_days": policy.notice_days, "invitation_hours": policy.invitation_hours}
    policy.notice_days, policy.invitation_hours = notice_days, invitation_hours
    policy.full_clean(exclude=["tenant"])
    policy.save()
    audit_record(tenant=tenant, actor=actor, verb="people.policy_update", obj=policy, before=before,
                 after={"notice_days": notice_days, "invitation_hours": invitation_hours}, request=request)
    return policy


def _member(tenant, user) -> Membership | None:
    return Membership.objects.filter(tenant=tenant, user=user).select_related("user").first()


def in_reach(*, membership: Membership, user) -> bool:
    """May ``membership`` handle ``user``'s transfer/departure? People managers: anyone in the
    tenant; PEOPLE_HANDOVER: people assigned to one of their visible branches (a GM: their own
    branch only); nobody else."""
    if membership.can(Cap.PEOPLE_MANAGE):
        return True
    if not membership.can(Cap.PEOPLE_HANDOVER):
        return False
    if membership.can(Cap.BRANCHES_ALL):
        return True
    target = _member(membership.tenant, user)
    if target is None:
        return False
    mine = set(visible_branches(membership=membership).values_list("pk", flat=True))
    return bool(assigned_branch_ids(membership=target) & mine)


# --- role mapping ---------------------------------------------------------------------------


@transaction.atomic
def mapping_save(*, tenant, actor, position: str, role: str, request=None) -> PositionRoleMap:
    position = (position or "").strip()
    if not position:
        _refuse(_("请填写岗位名称。"), "position_required")
    role = Role(role).value
    row = PositionRoleMap.objects.select_for_update().filter(tenant=tenant, position=position).first()
    before = {"role": row.role} if row else None
    if row is None:
        row = PositionRoleMap(tenant=tenant, position=position)
    row.role = role
    row.save()
    audit_record(tenant=tenant, actor=actor, verb="people.mapping_save", obj=row, before=before,
                 after={"position": position, "role": role}, request=request)
    return row


@transaction.atomic
def mapping_delete(*, row: PositionRoleMap, actor, request=None) -> None:
    row = PositionRoleMap.objects.select_for_update().get(pk=row.pk)
    audit_record(tenant=row.tenant, actor=actor, verb="people.mapping_delete", obj=row,
                 before={"position": row.position, "role": row.role}, request=request)
    row.delete()


# --- invitations ---------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, tenant, actor, user, request=None) -> tuple[Invitation, str]:
    """A fresh one-time link (older unused links of the user stop working). Returns the row and
    the path with the raw token: shown once to the admin and sent to the person via notify()."""
    now = timezone.now()
    Invitation.objects.filter(tenant=tenant, user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now)
    token = secrets.token_urlsafe(32)
    hours = policy_for(tenant).invitation_hours
    inv = Invitation.objects.create(tenant=tenant, user=user, token_hash=_hash(token),
                                    expires_at=now + dt.timedelta(hours=hours), created_by=actor)
    path = reverse("people:invite", kwargs={"token": token})
    audit_record(tenant=tenant, actor=actor, verb="people.invitation_create", obj=user,
                 after={"expires_at": inv.expires_at}, request=request)
    notify(tenant=tenant, kind="people.invitation", users=[user], subject=_("请设置您的登录密码"),
           lines=[_("已为您开通账号，登录名：%(u)s。") % {"u": user.username},
                  _("请在 %(h)d 小时内打开链接设置密码；链接只能使用一次。") % {"h": hours}],
           link=path, link_label=_("设置密码"))
    return inv, path


def invitation_for_token(token: str) -> Invitation | None:
    from django_scopes import scopes_disabled

    with scopes_disabled():
        inv = Invitation.objects.select_related("user", "tenant").filter(token_hash=_hash(token or "")).first()
    if inv is None or inv.used_at or inv.revoked_at or inv.expires_at <= timezone.now() or not inv.user.is_active:
        return None
    return inv


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, request=None) -> User:
    inv = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if inv.used_at or inv.revoked_at or inv.expires_at <= timezone.now():
        _refuse(_("邀请链接已失效，请联系管理员重新发送。"), "invitation_expired")
    validate_password(password, user=inv.user)
    inv.user.set_password(password)
    inv.user.save(update_fields=["password"])
    inv.used_at = timezone.now()
    inv.save(update_fields=["used_at"])
    audit_record(tenant=inv.tenant, actor=inv.user, verb="people.invitation_accept", obj=inv.user, request=request)
    return inv.user


# --- reconciliation confirmations ----------------------------------------------------------


@transaction.atomic
def reconcile_create_account(*, tenant, actor, proposal, username: str = "", email: str = "",
                             request=None) -> tuple[User, str]:
    """Confirm a "new person" proposal: the account is created without a password and an
    invitation link is issued."""
    if not proposal.roles:
        _refuse(_("岗位“%(p)s”尚未对应系统角色，请先配置岗位角色对照。"), "unmapped_position", p=proposal.position)
    branch = Branch.objects.get(tenant=tenant, pk=proposal.branch_id)
    user = user_create(tenant=tenant, actor=actor, username=(username or proposal.username).strip(), password=None,
                       full_name=proposal.name, email=email.strip(), phone=proposal.phone, title=proposal.position,
                       roles=proposal.roles, branches=[branch] if set(proposal.roles) & BRANCH_ROLES else [],
                       request=request)
    audit_record(tenant=tenant, actor=actor, verb="people.reconcile_create", obj=user,
                 after={"roster": proposal.key, "branch": branch.code, "roles": proposal.roles}, request=request)
    _inv, path = invitation_create(tenant=tenant, actor=actor, user=user, request=request)
    return user, path


# --- transfers -----------------------------------------------------------------------------


def _user_roles(membership) -> list[str]:
    return sorted(membership.role_assignments.values_list("role", flat=True))


def transfer_preview(*, tenant, user, to_branch, to_roles, customers_follow: bool) -> dict:
    """What moves with the person and what stays."""
    from customers.models import Customer
    from marketing.approvals.models import ApprovalTask, TaskStatus

    membership = _member(tenant, user)
    old_branches = assigned_branch_ids(membership=membership)
    customers = Customer.objects.filter(tenant=tenant, owner=user).count()
    tasks = list(ApprovalTask.objects.filter(tenant=tenant, assignee=user, status=TaskStatus.PENDING)
                 .select_related("step", "flow"))
    moving = [t for t in tasks if _task_leaves(t, to_branch=to_branch, to_roles=to_roles)]
    return {
        "old_branches": sorted(Branch.objects.filter(pk__in=old_branches).values_list("name", flat=True)),
        "old_roles": _user_roles(membership),
        "customers": customers,
        "customers_follow": customers_follow,
        "tasks_moving": len(moving),
        "tasks_staying": len(tasks) - len(moving),
    }


def _task_leaves(task, *, to_branch, to_roles) -> bool:
    """A pending task belongs to the old position when its step's role is one the person no
    longer has, or it is a branch step of a branch they leave."""
    step = task.step
    if step.approver_users:
        return False  # named personally: stays with them
    if step.role and step.role not in to_roles:
        return True
    return step.scope == "branch" and task.flow.branch_id not in (None, to_branch.pk)


@transaction.atomic
def transfer_create(*, tenant, actor, user, to_branch, to_roles, effective_on, customers_follow=False,
                    successor=None, note="", request=None) -> Transfer:
    membership = _member(tenant, user)
    if membership is None or not membership.is_active:
        _refuse(_("该人员不在职。"), "not_active")
    to_roles = sorted({Role(r).value for r in to_roles})
    if not to_roles:
        _refuse(_("至少选择一个角色。"), "no_role")
    if to_branch.tenant_id != tenant.pk:
        _refuse(_("分公司不属于本租户。"), "cross_tenant")
    if successor is not None and (successor.pk == user.pk or _member(tenant, successor) is None):
        _refuse(_("接替人须为本公司的其他在职人员。"), "bad_successor")
    if Transfer.objects.filter(tenant=tenant, user=user, status=TransferStatus.SCHEDULED).exists():
        _refuse(_("该人员已有待生效的调岗。"), "transfer_pending")
    transfer = Transfer.objects.create(
        tenant=tenant, user=user, from_branches=sorted(assigned_branch_ids(membership=membership)),
        from_roles=_user_roles(membership), to_branch=to_branch, to_roles=to_roles, effective_on=effective_on,
        customers_follow=customers_follow, successor=successor, note=note, created_by=actor,
    )
    audit_record(tenant=tenant, actor=actor, verb="people.transfer_create", obj=transfer,
                 after={"to_branch": to_branch.code, "to_roles": to_roles, "effective_on": effective_on,
                        "customers_follow": customers_follow}, request=request)
    if effective_on <= timezone.localdate():
        transfer_apply(transfer=transfer, actor=actor, request=request)
        transfer.refresh_from_db()
    return transfer


@transaction.atomic
def transfer_apply(*, transfer: Transfer, actor=None, request=None) -> Transfer:
    """Apply on the effective date, in one transaction: roles and branch, the customers if they
    follow, and the approvals waiting on the person in the old position (to the successor
    when they may take them, else to the step's other candidates)."""
    from customers.models import Customer
    from marketing.approvals.models import ApprovalTask, TaskStatus
    from marketing.approvals.selectors import transfer_candidates
    from marketing.approvals.services import approval_transfer

    transfer = Transfer.objects.select_for_update(of=("self",)).select_related("to_branch", "user").get(pk=transfer.pk)
    if transfer.status != TransferStatus.SCHEDULED:
        return transfer
    tenant, user = transfer.tenant, transfer.user
    membership = _member(tenant, user)
    moved_tasks, kept_tasks = [], []
    for task in (ApprovalTask.objects.select_related("step", "flow")
                 .filter(tenant=tenant, assignee=user, status=TaskStatus.PENDING)):
        if not _task_leaves(task, to_branch=transfer.to_branch, to_roles=transfer.to_roles):
            continue
        candidates = transfer_candidates(task=task)
        target = next((c for c in candidates if transfer.successor_id and c.pk == transfer.successor_id),
                      candidates[0] if candidates else None)
        if target is None:
            kept_tasks.append(task.pk)
            continue
        approval_transfer(task=task, actor=user, to_user=target, comment=_("调岗交接"), request=request)
        moved_tasks.append({"task": task.pk, "to": target.pk})
    customers = 0
    if transfer.customers_follow:
        customers = Customer.objects.filter(tenant=tenant, owner=user).exclude(branch=transfer.to_branch).update(
            branch=transfer.to_branch, updated_at=timezone.now())
    roles = transfer.to_roles
    membership_update(membership=membership, actor=actor or transfer.created_by, roles=roles,
                      branches=[transfer.to_branch] if set(roles) & BRANCH_ROLES else [], request=request)
    transfer.status, transfer.applied_at = TransferStatus.APPLIED, timezone.now()
    transfer.result = {"tasks_moved": moved_tasks, "tasks_kept": kept_tasks, "customers_moved": customers}
    transfer.save(update_fields=["status", "applied_at", "result"])
    audit_record(tenant=tenant, actor=actor, verb="people.transfer_apply", obj=transfer, after=transfer.result,
                 request=request)
    if kept_tasks:
        _tell_admins(tenant, subject=_("调岗后有审批无人可接"), lines=[
            _("%(name)s 调岗后，%(n)d 项审批找不到接替人，仍在其名下。") % {"name": user.display_name, "n": len(kept_tasks)}],
            link=reverse("people:transfers"))
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor, request=None) -> Transfer:
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != TransferStatus.SCHEDULED:
        _refuse(_("只能取消待生效的调岗。"), "not_scheduled")
    transfer.status = TransferStatus.CANCELLED
    transfer.save(update_fields=["status"])
    audit_record(tenant=transfer.tenant, actor=actor, verb="people.transfer_cancel", obj=transfer, request=request)
    return transfer


def _tell_admins(tenant, *, subject, lines, link):
    admins = list(users_with_roles(tenant=tenant, roles=[Role.TENANT_ADMIN]))
    notify(tenant=tenant, kind="people.stranded", users=admins, subject=subject, lines=lines, link=link)


# --- departures ----------------------------------------------------------------------------


def _primary_branch(membership) -> Branch | None:
    ids = sorted(assigned_branch_ids(membership=membership))
    return Branch.objects.filter(pk=ids[0]).first() if ids else None


def _lock(departure) -> Departure:
    return Departure.objects.select_for_update(of=("self",)).select_related("user", "branch", "tenant").get(pk=departure.pk)


@transaction.atomic
def departure_file(*, tenant, actor, user, last_day: dt.date, reason: str = "", successor=None,
                   request=None) -> Departure:
    """File a departure: by the person, a GM for someone in their branch, or a people manager."""
    actor_m = _member(tenant, actor)
    if actor.pk != user.pk and (actor_m is None or not in_reach(membership=actor_m, user=user)):
        _refuse(_("您不能为该人员办理离职。"), "not_in_reach")
    membership = Membership.objects.select_for_update().filter(tenant=tenant, user=user).first()
    if membership is None or not membership.is_active:
        _refuse(_("该人员不在职。"), "not_active")
    today = timezone.localdate()
    if last_day < today and not (actor_m and actor_m.can(Cap.PEOPLE_MANAGE)):
        _refuse(_("最后工作日不能早于今天。"), "past_last_day")
    if _has_open_departure(tenant, user):
        _refuse(_("该人员已有进行中的离职交接。"), "already_filed")
    if successor is not None and (successor.pk == user.pk or _member(tenant, successor) is None):
        _refuse(_("接手人须为本公司的其他在职人员。"), "bad_successor")
    policy = policy_for(tenant)
    short = (last_day - today).days < policy.notice_days
    try:
        with transaction.atomic():  # a simultaneous filing loses on the partial unique constraint
            departure = Departure.objects.create(
                tenant=tenant, user=user, branch=_primary_branch(membership), filed_by=actor, filed_on=today,
                last_day=last_day, reason=reason.strip(), notice_days=policy.notice_days, short_notice=short,
                successor=successor,
            )
    except IntegrityError:
        _refuse(_("该人员已有进行中的离职交接。"), "already_filed")
    audit_record(tenant=tenant, actor=actor, verb="people.departure_file", obj=departure,
                 after={"user": user.pk, "last_day": last_day, "short_notice": short}, request=request)
    gms = list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM], branch=departure.branch)) if departure.branch else []
    link = reverse("people:departure", kwargs={"pk": departure.pk})
    lines = [_("%(name)s 的离职申请已提交，最后工作日 %(day)s。") % {"name": user.display_name, "day": last_day}]
    if short:
        lines.append(_("提前期不足 %(n)d 天，须分公司总经理同意。") % {"n": policy.notice_days})
    notify(tenant=tenant, kind="people.departure", users=[u for u in gms if u.pk != user.pk] + [user],
           subject=_("离职交接：%(name)s") % {"name": user.display_name}, lines=lines, link=link)
    return departure


def _has_open_departure(tenant, user) -> bool:
    return Departure.objects.filter(tenant=tenant, user=user, status__in=OPEN_DEPARTURE_STATUSES).exists()


def may_approve_short_notice(*, departure, user) -> bool:
    if user.pk == departure.user_id:
        return False
    if departure.branch_id:
        return users_with_roles(tenant=departure.tenant, roles=[Role.BRANCH_GM], branch=departure.branch).filter(
            pk=user.pk).exists()
    return users_with_roles(tenant=departure.tenant, roles=[Role.GENERAL_MANAGER]).filter(pk=user.pk).exists()


@transaction.atomic
def departure_approve_short_notice(*, departure, actor, request=None) -> Departure:
    departure = _lock(departure)
    if not departure.short_notice or departure.short_notice_approved_at:
        _refuse(_("无需再次同意。"), "not_needed")
    if not may_approve_short_notice(departure=departure, user=actor):
        _refuse(_("提前期不足须由其分公司总经理同意。"), "not_gm")
    departure.short_notice_approved_by, departure.short_notice_approved_at = actor, timezone.now()
    departure.save(update_fields=["short_notice_approved_by", "short_notice_approved_at"])
    audit_record(tenant=departure.tenant, actor=actor, verb="people.short_notice_approve", obj=departure,
                 request=request)
    return departure


def may_waive(*, membership, departure, line_key) -> bool:
    if membership.user_id == departure.user_id:
        return False
    provider = handover.get(line_key)
    if not any(membership.can(c) for c in provider.waive_caps):
        return False
    if membership.can(Cap.BRANCHES_ALL) or departure.branch_id is None:
        return True
    return visible_branches(membership=membership).filter(pk=departure.branch_id).exists()


@transaction.atomic
def line_waive(*, departure, actor, line: str, reason: str, request=None) -> HandoverWaiver:
    departure = _lock(departure)
    if departure.status not in (DepartureStatus.OPEN,):
        _refuse(_("交接已进入签字或已结束，不能再豁免。"), "not_open")
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("豁免须填写原因。"), "reason_required")
    if line not in {p.key for p in handover.providers()}:
        _refuse(_("没有这一交接项。"), "bad_line")
    membership = _member(departure.tenant, actor)
    if membership is None or not may_waive(membership=membership, departure=departure, line_key=line):
        _refuse(_("您无权豁免这一交接项。"), "not_entitled")
    if HandoverWaiver.objects.filter(departure=departure, line=line).exists():
        _refuse(_("这一交接项已豁免。"), "already_waived")
    waiver = HandoverWaiver.objects.create(tenant=departure.tenant, departure=departure, line=line, reason=reason,
                                           waived_by=actor)
    audit_record(tenant=departure.tenant, actor=actor, verb="people.line_waive", obj=departure,
                 after={"line": line, "reason": reason}, request=request)
    return waiver


def _check_colleague(departure, to_user):
    if to_user is None or to_user.pk == departure.user_id:
        _refuse(_("请选择接手的同事。"), "colleague_required")
    m = _member(departure.tenant, to_user)
    if m is None or not m.is_active or not to_user.is_active:
        _refuse(_("接手人须为本公司的在职人员。"), "bad_colleague")


def _record(departure, line, count, to_user, detail, actor):
    HandoverRecord.objects.create(tenant=departure.tenant, departure=departure, line=line, count=count,
                                  to_user=to_user, detail=detail[:300], actor=actor)


@transaction.atomic
def line_resolve(*, departure, actor, line: str, to_user=None, reason: str = "", request=None) -> int:
    """Do a line's work: hand over to a colleague, void, revoke or end. Returns how many items."""
    departure = _lock(departure)
    if departure.status != DepartureStatus.OPEN:
        _refuse(_("交接已进入签字或已结束。"), "not_open")
    membership = _member(departure.tenant, actor)
    if membership is None or actor.pk == departure.user_id or not in_reach(membership=membership, user=departure.user):
        _refuse(_("您无权办理这一交接项。"), "not_entitled")
    d, n = departure, 0
    if line == "customers":
        _check_colleague(d, to_user)
        if HandoverJob.objects.filter(departure=d, status__in=ACTIVE_JOB_STATUSES).exists():
            _refuse(_("客户交接正在后台进行，请等待完成。"), "job_running")
        n = _hand_over_customers(d, actor=actor, to_user=to_user, request=request)
        _record(d, line, n, to_user, _("客户 %(n)d 家") % {"n": n}, actor)
    elif line == "approvals":
        n = _hand_over_tasks(d, actor=actor, to_user=to_user, request=request)
    elif line == "delegations":
        from marketing.approvals.services import delegation_revoke

        for delegation in handover._delegations(d).select_related("delegator"):
            delegation_revoke(delegation=delegation, actor=delegation.delegator, request=request)
            n += 1
        _record(d, line, n, None, _("结束委托 %(n)d 项") % {"n": n}, actor)
    elif line == "contracts":
        n = _hand_over_contracts(d, actor=actor, to_user=to_user, reason=reason, request=request)
    elif line == "submissions":
        _check_colleague(d, to_user)
        n, kept = submissions_hand_over(d, to_user=to_user, actor=actor, request=request)
        if kept and not n:
            _refuse(_("%(n)d 份报表不能转交：接手人不是该报表的填报角色、不在该分公司，或已有同期报表。"
                      "请由本人提交，或由上级豁免。"), "not_submitter", n=kept)
    elif line == "grants":
        from customers.services import grant_revoke

        for grant in handover._grants(d):
            grant_revoke(grant=grant, actor=actor, request=request)
            n += 1
        _record(d, line, n, None, _("收回档案授权 %(n)d 项") % {"n": n}, actor)
    elif line == "recipients":
        from reports.models import RecipientOverride

        _check_colleague(d, to_user)
        n = handover._recipients(d).count()
        if n:
            RecipientOverride.objects.update_or_create(tenant=d.tenant, user=to_user, defaults={"include": True})
            handover._recipients(d).delete()
        _record(d, line, n, to_user, _("每日汇总改由其接收"), actor)
    elif line == "bindings":
        n = handover._bindings(d).delete()[0]
        _record(d, line, n, None, _("解除登录绑定 %(n)d 项") % {"n": n}, actor)
    else:
        _refuse(_("这一交接项须在其所属功能中完成，或由有权人员豁免。"), "not_resolvable")
    audit_record(tenant=d.tenant, actor=actor, verb="people.line_resolve", obj=d,
                 after={"line": line, "count": n, "to": getattr(to_user, "pk", None)}, request=request)
    return n


# Up to this many customers the customers app's own service moves them (history row and audit
# event per customer). Above it, a bulk path: the same history row per customer (simple_history,
# in batches) and one audit event for the handover, so a 20,000-customer leaver costs a few
# dozen queries instead of 80,000 (bench/bench_handover.py).
BULK_CUSTOMERS = 500
CUSTOMER_BATCH = 2000


def _hand_over_customers(d, *, actor, to_user, request) -> int:
    from customers.models import Customer
    from customers.services import customers_reassign_all

    qs = Customer.objects.filter(tenant=d.tenant, owner=d.user)
    total = qs.count()
    if total <= BULK_CUSTOMERS:
        return customers_reassign_all(tenant=d.tenant, actor=actor, from_user=d.user, to_user=to_user,
                                      request=request)
    moved, now = 0, timezone.now()
    while n := move_customer_batch(d, actor=actor, to_user=to_user, now=now, size=CUSTOMER_BATCH):
        moved += n
    audit_record(tenant=d.tenant, actor=actor, verb="customers.customer_reassign_bulk", obj=d,
                 before={"owner": d.user_id}, after={"owner": to_user.pk, "count": moved}, request=request)
    return moved


def move_customer_batch(d, *, actor, to_user, now, size) -> int:
    """Move up to ``size`` of the leaver's customers (locked) to ``to_user``; returns how many.
    Every row gets the same owner and time: one plain UPDATE, then the history rows (what
    simple_history would write on save) in one bulk insert. Shared by the synchronous bulk
    path and the background job (jobs.py)."""
    from customers.models import Customer

    batch = list(Customer.objects.select_for_update(of=("self",)).filter(tenant=d.tenant, owner=d.user)
                 .order_by("pk")[:size])
    if not batch:
        return 0
    Customer.objects.filter(pk__in=[c.pk for c in batch]).update(owner=to_user, updated_at=now)
    for customer in batch:
        customer.owner, customer.updated_at = to_user, now
    Customer.history.bulk_history_create(batch, default_user=actor, default_change_reason=_("离职交接"),
                                         default_date=now, update=True)
    return len(batch)


def submissions_hand_over(d, *, to_user, actor, request=None) -> tuple[int, int]:
    """The leaver's open submissions (草稿 / 退回重写) go to ``to_user`` where the rules let them
    file it: they hold one of the rule's submitter roles, for a branch rule they act for that
    branch, for a person rule they have no submission of that rule and period yet. The rest
    stays (the checklist line explains it). Reminders follow by themselves: they are computed at
    send time from the submitters by role, and a disabled person is never one. Returns
    (moved, kept)."""
    from reports.submissions.models import Submission, SubmitterScope
    from reports.submissions.selectors import is_submitter

    open_subs = list(handover._submissions(d).select_related("rule").select_for_update(of=("self",)).order_by("pk"))
    m = _member(d.tenant, to_user) if to_user is not None else None
    if not open_subs or m is None or not m.is_active or not to_user.is_active:
        return 0, len(open_subs)
    branches = set(assigned_branch_ids(membership=m))
    taken = set(Submission.objects.filter(tenant=d.tenant, submitter=to_user, branch__isnull=True,
                                          rule__in={s.rule_id for s in open_subs}).values_list("rule_id", "period"))
    moved, kept = [], []
    for sub in open_subs:
        rule = sub.rule
        ok = is_submitter(m, rule) and (
            sub.branch_id in branches if rule.scope == SubmitterScope.BRANCH else (rule.pk, sub.period) not in taken)
        if not ok:
            kept.append(sub.pk)
            continue
        sub.submitter, sub.version = to_user, sub.version + 1
        sub.save(update_fields=["submitter", "version", "updated_at"])
        moved.append(sub.pk)
    if moved:
        audit_record(tenant=d.tenant, actor=actor, verb="people.submissions_handover", obj=d,
                     after={"moved": moved, "kept": kept, "to": to_user.pk}, request=request)
        detail = _("计划与报表 %(n)d 份") % {"n": len(moved)}
        if kept:
            detail += _("；%(k)d 份未能转交（接手人不是填报人或已有同期报表）") % {"k": len(kept)}
        _record(d, "submissions", len(moved), to_user, detail, actor)
    return len(moved), len(kept)


def _hand_over_tasks(d, *, actor, to_user, request) -> int:
    from marketing.approvals.selectors import transfer_candidates
    from marketing.approvals.services import approval_transfer

    moved = stuck = 0
    for task in handover._tasks(d).select_related("step", "flow"):
        candidates = transfer_candidates(task=task)
        target = next((c for c in candidates if to_user and c.pk == to_user.pk), candidates[0] if candidates else None)
        if target is None:
            stuck += 1
            continue
        # The engine lets only the assignee transfer; the handover acts in their name and the
        # people audit event names who really did it.
        approval_transfer(task=task, actor=d.user, to_user=target, comment=_("离职交接，由 %(a)s 办理") % {
            "a": actor.display_name}, request=request)
        _record(d, "approvals", 1, target, task.flow.title, actor)
        moved += 1
    if stuck and not moved:
        _refuse(_("%(n)d 项审批没有可接手的同事（同一角色、同一分公司），请由系统管理员调整流程或豁免。"),
                "no_candidate", n=stuck)
    return moved


def _hand_over_contracts(d, *, actor, to_user, reason, request) -> int:
    contracts = list(handover._contracts(d).select_for_update())
    if to_user is not None:
        _check_colleague(d, to_user)
        target_branches = assigned_branch_ids(membership=_member(d.tenant, to_user))
        if any(c.branch_id not in target_branches for c in contracts):
            _refuse(_("接手人须属于合同所在的分公司，台账按分公司平衡。"), "wrong_branch")
        numbers = [c.number for c in contracts]
        handover._contracts(d).update(holder=to_user, holder_name=to_user.display_name)
        audit_record(tenant=d.tenant, actor=actor, verb="people.contracts_handover", obj=d,
                     after={"numbers": numbers, "to": to_user.pk}, request=request)
        _record(d, "contracts", len(numbers), to_user, _("空白合同 %(n)d 份") % {"n": len(numbers)}, actor)
        return len(numbers)
    if not (reason or "").strip():
        _refuse(_("请选择接手的同事，或填写回收作废的原因。"), "colleague_or_reason")
    from contracts.services.ledger import contract_void

    for c in contracts:
        contract_void(contract=c, actor=actor, on=timezone.localdate(), reason=reason, request=request)
    _record(d, "contracts", len(contracts), None, _("回收作废 %(n)d 份：%(r)s") % {"n": len(contracts), "r": reason},
            actor)
    return len(contracts)


@transaction.atomic
def departure_sign_start(*, departure, actor, request=None):
    """Send the handover for signature (交接签字). Refused while a line is open or a short
    notice lacks the GM's consent."""
    from marketing.approvals.services import approval_start

    departure = _lock(departure)
    if departure.status != DepartureStatus.OPEN:
        _refuse(_("该离职交接不在交接中。"), "not_open")
    if departure.short_notice and not departure.short_notice_approved_at:
        _refuse(_("提前期不足，须先经分公司总经理同意。"), "short_notice_unapproved")
    still = handover.open_lines(departure)
    if still:
        _refuse(_("还有 %(n)d 项交接未完成或未豁免：%(lines)s"), "open_lines", n=len(still),
                lines="、".join(str(line.provider.label) for line in still))
    departure.status = DepartureStatus.SIGNING
    departure.save(update_fields=["status"])
    audit_record(tenant=departure.tenant, actor=actor, verb="people.sign_start", obj=departure, request=request)
    return approval_start(document=departure, actor=actor, request=request)


def on_signoff_approved(doc, actor):
    if handover.open_lines(doc):
        _refuse(_("交接清单又出现了未完成的项，请退回补办。"), "open_lines")
    doc.status, doc.signed_at = DepartureStatus.SIGNED, timezone.now()
    doc.save(update_fields=["status", "signed_at"])
    audit_record(tenant=doc.tenant, actor=actor, verb="people.signed", obj=doc)


def on_signoff_rejected(doc, actor, reason):
    doc.status = DepartureStatus.OPEN
    doc.save(update_fields=["status"])
    audit_record(tenant=doc.tenant, actor=actor, verb="people.sign_rejected", obj=doc, after={"reason": reason})


def on_signoff_withdrawn(doc, actor):
    doc.status = DepartureStatus.OPEN
    doc.save(update_fields=["status"])
    audit_record(tenant=doc.tenant, actor=actor, verb="people.sign_withdrawn", obj=doc)


@transaction.atomic
def departure_cancel(*, departure, actor, request=None) -> Departure:
    departure = _lock(departure)
    if departure.status not in (DepartureStatus.OPEN,):
        _refuse(_("只能撤销交接中的离职（签字中请先撤回）。"), "not_open")
    m = _member(departure.tenant, actor)
    if actor.pk != departure.user_id and not (m and in_reach(membership=m, user=departure.user)):
        _refuse(_("您无权撤销。"), "not_in_reach")
    departure.status = DepartureStatus.CANCELLED
    departure.save(update_fields=["status"])
    audit_record(tenant=departure.tenant, actor=actor, verb="people.departure_cancel", obj=departure, request=request)
    return departure


def end_sessions(user_id: int) -> int:
    """Delete every stored session of the user (database sessions: decoded one by one; only
    unexpired rows are read)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def departure_complete(*, departure, now=None) -> Departure:
    """At the tenant's midnight after the last day: account disabled, sessions ended, grants and
    bindings revoked, delegations and positions ended, stranded chains flagged. Nothing is
    deleted from history."""
    from customers.models import CustomerUserObjectPermission
    from marketing.approvals.models import ApprovalDelegation, PositionHolder

    departure = _lock(departure)
    if departure.status not in OPEN_DEPARTURE_STATUSES:
        return departure
    tenant, user, now = departure.tenant, departure.user, now or timezone.now()
    stranded = handover.stranded_steps(tenant=tenant, user=user)
    unsigned = departure.status != DepartureStatus.SIGNED
    membership = Membership.objects.get(tenant=tenant, user=user)
    user_set_active(membership=membership, actor=None, active=False)
    rerouted, pending = _reroute_pending_tasks(departure)
    moved_subs, kept_subs = submissions_hand_over(departure, to_user=departure.successor, actor=None) \
        if departure.successor_id else (0, handover._submissions(departure).count())
    sessions = end_sessions(user.pk)
    grants = CustomerUserObjectPermission.all_grants.filter(tenant=tenant, user=user).delete()[0]
    from allauth.socialaccount.models import SocialAccount

    bindings = SocialAccount.objects.filter(user=user).delete()[0]
    delegations = ApprovalDelegation.objects.filter(
        tenant=tenant, revoked_at__isnull=True).filter(delegator=user).update(revoked_at=now)
    delegations += ApprovalDelegation.objects.filter(tenant=tenant, revoked_at__isnull=True, delegate=user).update(
        revoked_at=now)
    positions = list(PositionHolder.objects.filter(tenant=tenant, user=user).values_list("position__name", flat=True))
    PositionHolder.objects.filter(tenant=tenant, user=user).delete()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Invitation.objects.filter(tenant=tenant, user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now)
    departure.status, departure.departed_at = DepartureStatus.DEPARTED, now
    departure.result = {"sessions": sessions, "grants": grants, "bindings": bindings, "delegations": delegations,
                        "positions": positions, "stranded": stranded, "pending_tasks": pending,
                        "rerouted_tasks": rerouted, "submissions_moved": moved_subs, "submissions_kept": kept_subs,
                        "unsigned": unsigned}
    departure.save(update_fields=["status", "departed_at", "result"])
    audit_record(tenant=tenant, actor=None, verb="people.departed", obj=departure, after=departure.result)
    if stranded or pending or rerouted or unsigned or kept_subs:
        lines = [_("%(name)s 已于最后工作日结束时停用。") % {"name": user.display_name}]
        if unsigned:
            lines.append(_("交接尚未完成签字。"))
        if rerouted:
            lines.append(_("%(n)d 项在其名下的审批已改派给该步骤的其他处理人（步骤角色或分公司总经理），请核对。") % {
                "n": rerouted})
        if pending:
            lines.append(_("仍有 %(n)d 项审批在其名下且无人可接，请更换流程处理人。") % {"n": pending})
        if kept_subs:
            lines.append(_("%(n)d 份未交的计划与报表仍在其名下（无接替人，或接替人不是该报表的填报人）。") % {"n": kept_subs})
        for s in stranded:
            lines.append(_("审批步骤只由其处理，请更换处理人：%(s)s") % {"s": s})
        _tell_admins(tenant, subject=_("离职人员仍有未交接事项：%(name)s") % {"name": user.display_name}, lines=lines,
                     link=reverse("people:departure", kwargs={"pk": departure.pk}))
    return departure


def _reroute_pending_tasks(departure) -> tuple[int, int]:
    """At the cut-off (the person already disabled): each task still waiting on them goes to the
    successor when the engine accepts them, else to the step's first other candidate -- for a
    step that named only them, the engine now falls back to the step's role or the branch GM.
    Returns (moved, still pending)."""
    from marketing.approvals.selectors import transfer_candidates
    from marketing.approvals.services import approval_transfer

    moved = stuck = 0
    for task in handover._tasks(departure).select_related("step", "flow"):
        candidates = transfer_candidates(task=task)
        target = next((c for c in candidates if c.pk == departure.successor_id), candidates[0] if candidates else None)
        if target is None:
            stuck += 1
            continue
        approval_transfer(task=task, actor=departure.user, to_user=target, comment=_("离职自动改派"))
        _record(departure, "approvals", 1, target, task.flow.title, None)
        moved += 1
    return moved, stuck


def people_midnight(*, tenant, now=None) -> dict:
    """Run from the beat every 15 minutes: whatever is due by the tenant's local date. Call
    inside ``tenant_scope(tenant)`` (it activates the tenant's zone)."""
    now = now or timezone.now()
    today = timezone.localtime(now, tenant.zone).date()
    done = {"departed": 0, "transfers": 0}
    for d in Departure.objects.filter(tenant=tenant, status__in=OPEN_DEPARTURE_STATUSES, last_day__lt=today):
        departure_complete(departure=d, now=now)
        done["departed"] += 1
    for t in Transfer.objects.filter(tenant=tenant, status=TransferStatus.SCHEDULED, effective_on__lte=today):
        transfer_apply(transfer=t)
        done["transfers"] += 1
    return done


@transaction.atomic
def person_rehire(*, departure, actor, request=None) -> tuple[Membership, str]:
    """Re-enable a departed person's account. Nothing comes back by itself: customers, grants,
    positions, delegations and bindings stay where the handover put them; the old password is
    gone, so a new invitation is issued."""
    departure = _lock(departure)
    if departure.status != DepartureStatus.DEPARTED or departure.rehired_at:
        _refuse(_("只有已离职的人员可以重新入职。"), "not_departed")
    membership = Membership.objects.get(tenant=departure.tenant, user=departure.user)
    user_set_active(membership=membership, actor=actor, active=True, request=request)
    departure.rehired_at = timezone.now()
    departure.save(update_fields=["rehired_at"])
    audit_record(tenant=departure.tenant, actor=actor, verb="people.rehire", obj=departure.user,
                 after={"departure": departure.pk, "restored": []}, request=request)
    _inv, path = invitation_create(tenant=departure.tenant, actor=actor, user=departure.user, request=request)
    return membership, path
