"""Demo content of the engine: the positions (岗位) of seed 004 with people in them. Idempotent;
run by ``marketing.demo.seed_apps`` inside the tenant scope."""

from __future__ import annotations

from marketing.models import Region
from marketing.roles import Role
from marketing.selectors import users_with_roles

from . import services
from .models import Position, PositionHolder

# (position, description, the role whose first holder gets it tenant-wide)
POSITIONS = [
    ("产品市场部经理", "审批常规市场活动、宣传物料（SC-006/SC-007）", Role.MARKETING_DIRECTOR),
    ("技术总监", "产品与技术方案把关", Role.PRODUCT_DESIGN),
    ("市场主管", "市场调研与推广方案的初审", Role.MARKETING_SPECIALIST),
    ("行政助理", "印刷采购与物料收发", Role.GM_ASSISTANT),
    ("大客户部经理", "按地区负责大客户（各地区分别任职）", Role.REGIONAL_MANAGER),
]


def seed(*, tenant, personas, rich: bool) -> None:
    admin = next(iter(users_with_roles(tenant=tenant, roles=[Role.TENANT_ADMIN])), None)
    fallback = next(iter(personas.values()))
    for name, description, role in POSITIONS:
        position = Position.objects.filter(tenant=tenant, name=name).first()
        if position is None:
            position = services.position_create(tenant=tenant, actor=admin, name=name, description=description)
        holders = list(users_with_roles(tenant=tenant, roles=[role])) or [fallback]
        if role == Role.REGIONAL_MANAGER:
            # One holder per region: that region's regional manager, else the first one found.
            for region in Region.objects.filter(tenant=tenant):
                in_region = [u for u in holders if _acts_in(u, region)] or holders[:1]
                _assign(position, admin, in_region[0], region=region)
        else:
            _assign(position, admin, holders[0])


def _acts_in(user, region) -> bool:
    from marketing.models import BranchUserObjectPermission

    return BranchUserObjectPermission.objects.filter(
        user=user, content_object__region=region, permission__codename="act_for_branch"
    ).exists()


def _assign(position, admin, user, region=None) -> None:
    if not PositionHolder.objects.filter(position=position, user=user, region=region, branch=None).exists():
        services.position_assign(position=position, actor=admin, user=user, region=region)
