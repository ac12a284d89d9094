"""Demo and test organisations, built through the services (never ad-hoc saves).

``build_tenant(spec)`` is idempotent: run it twice and nothing changes. ``seed_demo`` uses
the two specs below; the test fixtures use small ones. Each app may add demo content in
``<app>/demo.py`` with ``seed(*, tenant, personas, rich: bool)``; ``rich`` is False for
the small second tenant and in tests."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from django.db import transaction
from django_scopes import scopes_disabled

from . import services
from .models import Branch, Membership, Region, Tenant, User
from .navigation import APPS_WITH_NAV
from .roles import Role
from .tenancy import tenant_scope

DEMO_PASSWORD = "Demo!2026"


@dataclass
class PersonaSpec:
    key: str  # handle used in tests and docs, also the username suffix
    full_name: str
    roles: list[str]
    branches: list[str] = field(default_factory=list)  # branch codes
    title: str = ""


@dataclass
class TenantSpec:
    slug: str
    name: str
    mailbox: str
    regions: list[tuple[str, str, list[tuple[str, str, str]]]]  # (code, name, [(code, name, city)])
    personas: list[PersonaSpec]
    hq_code: str = ""


DEMO_MAIN = TenantSpec(
    slug="huan",
    name="沪安汽车延保服务有限公司",
    mailbox="marketing@huan-demo.cn",
    hq_code="SH",
    regions=[
        ("EAST", "华东大区", [("SH", "上海总部", "上海"), ("HZ", "杭州分公司", "杭州"), ("NJ", "南京分公司", "南京"), ("SZ", "苏州分公司", "苏州")]),
        ("SOUTH", "华南大区", [("GZ", "广州分公司", "广州"), ("SZN", "深圳分公司", "深圳"), ("XM", "厦门分公司", "厦门")]),
        ("NORTH", "华北大区", [("BJ", "北京分公司", "北京"), ("TJ", "天津分公司", "天津"), ("JN", "济南分公司", "济南")]),
        ("WEST", "西南大区", [("CD", "成都分公司", "成都"), ("CQ", "重庆分公司", "重庆")]),
    ],
    personas=[
        PersonaSpec("admin", "王建国", [Role.TENANT_ADMIN], title="系统管理员"),
        PersonaSpec("gm", "陈志远", [Role.GENERAL_MANAGER], title="总经理"),
        PersonaSpec("exec", "刘海峰", [Role.EXECUTIVE_DIRECTOR], title="执行董事"),
        PersonaSpec("gmassist", "赵敏", [Role.GM_ASSISTANT], title="总经理助理"),
        PersonaSpec("mdirector", "孙丽华", [Role.MARKETING_DIRECTOR], title="市场营销总监"),
        PersonaSpec("mspec", "周晓彤", [Role.MARKETING_SPECIALIST], title="市场专员"),
        PersonaSpec("finance", "吴静", [Role.FINANCE], title="财务主管"),
        PersonaSpec("ops", "郑凯", [Role.OPERATIONS], title="营运部经理"),
        PersonaSpec("design", "冯雪", [Role.PRODUCT_DESIGN], title="产品设计"),
        PersonaSpec("hr", "何芳", [Role.HR], title="人事专员"),
        PersonaSpec("bgm_hz", "李强", [Role.BRANCH_GM], ["HZ"], title="杭州分公司总经理"),
        PersonaSpec("bgm_nj", "张伟", [Role.BRANCH_GM], ["NJ"], title="南京分公司总经理"),
        PersonaSpec("bgm_gz", "黄振华", [Role.BRANCH_GM], ["GZ"], title="广州分公司总经理"),
        PersonaSpec("bgm_bj", "马骏", [Role.BRANCH_GM], ["BJ"], title="北京分公司总经理"),
        PersonaSpec("cashier_hz", "林小燕", [Role.BRANCH_CASHIER], ["HZ"], title="杭州分公司出纳"),
        PersonaSpec("rm_east", "高远", [Role.REGIONAL_MANAGER], ["HZ", "NJ", "SZ"], title="华东大区经理"),
        PersonaSpec("sales_hz", "徐磊", [Role.SALESPERSON], ["HZ"], title="销售"),
        PersonaSpec("sales_nj", "朱婷", [Role.SALESPERSON], ["NJ"], title="销售"),
    ],
)

DEMO_SECOND = TenantSpec(
    slug="beichen",
    name="北辰汽车服务有限公司",
    mailbox="market@beichen-demo.cn",
    regions=[("NE", "东北地区", [("SY", "沈阳分公司", "沈阳"), ("DL", "大连分公司", "大连")])],
    personas=[
        PersonaSpec("admin", "钱程", [Role.TENANT_ADMIN]),
        PersonaSpec("gm", "韩冰", [Role.GENERAL_MANAGER]),
        PersonaSpec("mspec", "秦月", [Role.MARKETING_SPECIALIST]),
        PersonaSpec("bgm_sy", "邓超", [Role.BRANCH_GM], ["SY"]),
        PersonaSpec("sales_sy", "曹阳", [Role.SALESPERSON], ["SY"]),
    ],
)


def username_for(spec: TenantSpec, persona: PersonaSpec) -> str:
    return f"{spec.slug}_{persona.key}"


@transaction.atomic
def build_tenant(spec: TenantSpec, password: str = DEMO_PASSWORD) -> tuple[Tenant, dict[str, User]]:
    """Create (or find) the tenant, its organisation and one user per persona."""
    tenant = Tenant.objects.filter(slug=spec.slug).first()
    if tenant is None:
        first = spec.personas[0]
        tenant, _admin = services.tenant_create(
            name=spec.name,
            slug=spec.slug,
            marketing_mailbox=spec.mailbox,
            admin_username=username_for(spec, first),
            admin_password=password,
            admin_email=f"{first.key}@{spec.mailbox.split('@')[1]}",
            admin_full_name=first.full_name,
        )
    personas: dict[str, User] = {}
    with tenant_scope(tenant):
        branches: dict[str, Branch] = {}
        for r_index, (r_code, r_name, branch_rows) in enumerate(spec.regions):
            region = Region.objects.filter(tenant=tenant, code=r_code).first() or services.region_create(
                tenant=tenant, actor=None, code=r_code, name=r_name, sort_order=r_index
            )
            for b_index, (b_code, b_name, city) in enumerate(branch_rows):
                branches[b_code] = Branch.objects.filter(tenant=tenant, code=b_code).first() or services.branch_create(
                    tenant=tenant,
                    actor=None,
                    region=region,
                    code=b_code,
                    name=b_name,
                    city=city,
                    is_headquarters=(b_code == spec.hq_code),
                    sort_order=b_index,
                )
        domain = spec.mailbox.split("@")[1]
        for persona in spec.personas:
            username = username_for(spec, persona)
            with scopes_disabled():
                user = User.objects.filter(username=username).first()
            if user is None:
                user = services.user_create(
                    tenant=tenant,
                    actor=None,
                    username=username,
                    password=password,
                    full_name=persona.full_name,
                    email=f"{persona.key}@{domain}",
                    title=persona.title,
                    roles=persona.roles,
                    branches=[branches[c] for c in persona.branches],
                )
            personas[persona.key] = user
    return tenant, personas


def seed_apps(*, tenant: Tenant, personas: dict[str, User], rich: bool) -> list[str]:
    """Let each app add its demo content. Returns the apps that did."""
    done = []
    # The approval engine (marketing.approvals) seeds first: other apps' chains may name its positions.
    # The monthly meeting (reports.meetings) seeds last: its pack is compiled from every other
    # app's demo data (receivables included), so a pack compiled earlier would show them empty.
    order = [a for a in APPS_WITH_NAV if a != "reports.meetings"] + ["reports.meetings"]
    for app in ["marketing.approvals", *order]:
        if app == "marketing":
            continue
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        with tenant_scope(tenant):
            module.seed(tenant=tenant, personas=personas, rich=rich)
        done.append(app)
    return done


def membership_of(user: User) -> Membership:
    with scopes_disabled():
        return Membership.objects.select_related("tenant").get(user=user)
