"""Every write of the platform: tenants, organisation, users, roles, branch grants.
Each function is one state change, keyword-only, atomic and audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from .audit import audit_record, changed_fields, model_snapshot
from .models import Branch, BranchUserObjectPermission, Membership, Region, RoleAssignment, Tenant, User
from .roles import BRANCH_ROLES, Role
from .tenancy import tenant_scope

TENANT_SETTINGS_FIELDS = [
    "name",
    "time_zone",
    "marketing_mailbox",
    "report_deadline_time",
    "reminder_time",
    "summary_send_time",
    "approval_digest_time",
    "sales_positions",
    "report_filing_roles",
    "summary_all_branches_to_branch_gm",
    "expense_ratio_limit",
    "expense_director_approval",
    "expense_special_gm_approval",
    "expense_ratio_gm_approval",
    "customer_reach_policy",
    "customer_grant_days",
    "customer_read_alert_per_hour",
]
REGION_FIELDS = ["name", "code", "sort_order"]
BRANCH_FIELDS = ["region", "name", "code", "city", "is_headquarters", "is_active", "sort_order"]


def _act_for_branch_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="marketing", codename="act_for_branch")


# --- tenants ------------------------------------------------------------------------


@transaction.atomic
def tenant_create(
    *,
    name: str,
    slug: str,
    marketing_mailbox: str,
    admin_username: str,
    admin_password: str,
    admin_email: str = "",
    admin_full_name: str = "",
    actor=None,
) -> tuple[Tenant, User]:
    """Platform-level: a new tenant with its first tenant admin."""
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError(_("标识 %(slug)s 已被使用。"), params={"slug": slug}, code="slug_taken")
    tenant = Tenant(name=name, slug=slug, marketing_mailbox=marketing_mailbox)
    tenant.full_clean()
    tenant.save()
    with tenant_scope(tenant):
        admin = user_create(
            tenant=tenant,
            actor=actor,
            username=admin_username,
            password=admin_password,
            email=admin_email,
            full_name=admin_full_name or admin_username,
            roles=[Role.TENANT_ADMIN],
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            verb="tenant.create",
            obj=tenant,
            after=model_snapshot(tenant, ["name", "slug", "marketing_mailbox"]),
        )
        tenant_starter_content(tenant=tenant, actor=actor)
    return tenant, admin


def tenant_starter_content(*, tenant: Tenant, actor=None) -> None:
    """What every new tenant starts with (shipped rules, templates...): each app may offer
    ``<app>/setup.py`` with ``tenant_created(*, tenant, actor)``, idempotent, run in scope."""
    import importlib

    from .navigation import APPS_WITH_NAV

    for app in APPS_WITH_NAV:
        try:
            module = importlib.import_module(f"{app}.setup")
        except ModuleNotFoundError:
            continue
        module.tenant_created(tenant=tenant, actor=actor)


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, actor, data: dict, request=None) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = model_snapshot(tenant, TENANT_SETTINGS_FIELDS)
    for field, value in data.items():
        if field not in TENANT_SETTINGS_FIELDS:
            raise ValidationError(f"not a tenant setting: {field}", code="bad_field")
        setattr(tenant, field, value)
    tenant.full_clean()
    after = model_snapshot(tenant, TENANT_SETTINGS_FIELDS)
    old, new = changed_fields(before, after)
    if new:
        tenant.save(update_fields=list(new))
        audit_record(tenant=tenant, actor=actor, verb="tenant.settings", obj=tenant, before=old, after=new, request=request)
    return tenant


# --- regions and branches -------------------------------------------------------------


def _save_org_object(*, obj, fields, verb, actor, request, before=None):
    obj.full_clean()
    obj.save()
    after = model_snapshot(obj, fields)
    if before is not None:
        before, after = changed_fields(before, after)
        if not after:
            return obj
    audit_record(tenant=obj.tenant, actor=actor, verb=verb, obj=obj, before=before, after=after, request=request)
    return obj


@transaction.atomic
def region_create(*, tenant: Tenant, actor, request=None, **data) -> Region:
    return _save_org_object(
        obj=Region(tenant=tenant, **data), fields=REGION_FIELDS, verb="region.create", actor=actor, request=request
    )


@transaction.atomic
def region_update(*, region: Region, actor, request=None, **data) -> Region:
    region = Region.objects.select_for_update().get(pk=region.pk)
    before = model_snapshot(region, REGION_FIELDS)
    for key, value in data.items():
        setattr(region, key, value)
    return _save_org_object(
        obj=region, fields=REGION_FIELDS, verb="region.update", actor=actor, request=request, before=before
    )


@transaction.atomic
def branch_create(*, tenant: Tenant, actor, request=None, **data) -> Branch:
    if data.get("region") is not None and data["region"].tenant_id != tenant.pk:
        raise ValidationError(_("地区不属于本租户。"), code="cross_tenant")
    return _save_org_object(
        obj=Branch(tenant=tenant, **data), fields=BRANCH_FIELDS, verb="branch.create", actor=actor, request=request
    )


@transaction.atomic
def branch_update(*, branch: Branch, actor, request=None, **data) -> Branch:
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    if data.get("region") is not None and data["region"].tenant_id != branch.tenant_id:
        raise ValidationError(_("地区不属于本租户。"), code="cross_tenant")
    before = model_snapshot(branch, BRANCH_FIELDS)
    for key, value in data.items():
        setattr(branch, key, value)
    return _save_org_object(
        obj=branch, fields=BRANCH_FIELDS, verb="branch.update", actor=actor, request=request, before=before
    )


# --- users, roles, branch assignments -------------------------------------------------


def _set_roles(membership: Membership, roles: Iterable[str]) -> None:
    wanted = {Role(r).value for r in roles}
    current = set(membership.role_assignments.values_list("role", flat=True))
    membership.role_assignments.filter(role__in=current - wanted).delete()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(tenant_id=membership.tenant_id, membership=membership, role=r) for r in sorted(wanted - current)]
    )


def _set_branches(membership: Membership, branches: Iterable[Branch]) -> None:
    branches = list(branches)
    if any(b.tenant_id != membership.tenant_id for b in branches):
        raise ValidationError(_("分公司不属于本租户。"), code="cross_tenant")
    perm = _act_for_branch_permission()
    wanted = {b.pk for b in branches}
    grants = BranchUserObjectPermission.objects.filter(user_id=membership.user_id, permission=perm)
    current = set(grants.values_list("content_object_id", flat=True))
    grants.filter(content_object_id__in=current - wanted).delete()
    BranchUserObjectPermission.objects.bulk_create(
        [
            BranchUserObjectPermission(
                tenant_id=membership.tenant_id, user_id=membership.user_id, permission=perm, content_object_id=pk
            )
            for pk in sorted(wanted - current)
        ]
    )


def membership_state(membership: Membership) -> dict:
    perm = _act_for_branch_permission()
    return {
        "roles": sorted(membership.role_assignments.values_list("role", flat=True)),
        "branches": sorted(
            BranchUserObjectPermission.objects.filter(user_id=membership.user_id, permission=perm).values_list(
                "content_object__code", flat=True
            )
        ),
        "title": membership.title,
        "is_active": membership.is_active,
    }


def _check_roles_and_branches(roles, branches) -> None:
    roles = {Role(r) for r in roles}
    if not roles:
        raise ValidationError(_("至少选择一个角色。"), code="no_role")
    if roles & BRANCH_ROLES and not list(branches):
        raise ValidationError(_("分公司角色必须指定至少一个分公司。"), code="branch_required")


@transaction.atomic
def user_create(
    *,
    tenant: Tenant,
    actor,
    username: str,
    password: str | None,
    full_name: str,
    email: str = "",
    phone: str = "",
    title: str = "",
    roles: Iterable[str] = (),
    branches: Iterable[Branch] = (),
    request=None,
) -> User:
    roles, branches = list(roles), list(branches)
    _check_roles_and_branches(roles, branches)
    with scopes_disabled():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("用户名 %(u)s 已存在。"), params={"u": username}, code="username_taken")
    user = User(username=username, full_name=full_name, email=email, phone=phone)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(tenant=tenant, user=user, title=title)
    _set_roles(membership, roles)
    _set_branches(membership, branches)
    audit_record(
        tenant=tenant, actor=actor, verb="user.create", obj=user, after=membership_state(membership), request=request
    )
    return user


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    actor,
    roles: Iterable[str],
    branches: Iterable[Branch],
    title: str | None = None,
    full_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    request=None,
) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    roles, branches = list(roles), list(branches)
    _check_roles_and_branches(roles, branches)
    if membership.user_id == getattr(actor, "pk", None) and Role.TENANT_ADMIN not in roles:
        raise ValidationError(_("不能取消自己的系统管理员角色。"), code="self_demote")
    before = membership_state(membership)
    before_user = model_snapshot(membership.user, ["full_name", "email", "phone"])
    _set_roles(membership, roles)
    _set_branches(membership, branches)
    if title is not None and title != membership.title:
        membership.title = title
        membership.save(update_fields=["title"])
    user = membership.user
    for field, value in (("full_name", full_name), ("email", email), ("phone", phone)):
        if value is not None:
            setattr(user, field, value)
    user.save(update_fields=["full_name", "email", "phone"])
    old, new = changed_fields(
        {**before, **before_user}, {**membership_state(membership), **model_snapshot(user, ["full_name", "email", "phone"])}
    )
    if new:
        audit_record(
            tenant=membership.tenant, actor=actor, verb="user.update", obj=user, before=old, after=new, request=request
        )
    return membership


@transaction.atomic
def user_set_active(*, membership: Membership, actor, active: bool, request=None) -> Membership:
    """Deactivate (or reactivate) a user. Nothing is deleted: their reports, approvals and
    audit events keep pointing at them; they simply cannot log in."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.user_id == getattr(actor, "pk", None) and not active:
        raise ValidationError(_("不能停用自己的账号。"), code="self_deactivate")
    if membership.is_active == active:
        return membership
    membership.is_active = active
    membership.deactivated_at = None if active else timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    membership.user.is_active = active
    membership.user.save(update_fields=["is_active"])
    audit_record(
        tenant=membership.tenant,
        actor=actor,
        verb="user.reactivate" if active else "user.deactivate",
        obj=membership.user,
        before={"is_active": not active},
        after={"is_active": active},
        request=request,
    )
    return membership


@transaction.atomic
def user_set_password(*, user: User, actor, password: str, tenant: Tenant | None, request=None) -> User:
    user.set_password(password)
    user.save(update_fields=["password"])
    verb = "user.password_change" if actor == user else "user.password_reset"
    audit_record(tenant=tenant, actor=actor, verb=verb, obj=user, request=request)
    return user
