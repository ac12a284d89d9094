"""Customer-archive fixtures, built through the services."""

from __future__ import annotations

import pytest

from customers import services
from customers.models import Stage


def make_customer(org, owner_key="sales", branch="A1", name="上海永达大众汽车销售服务有限公司", **extra):
    data = {
        "name": name, "industry": "dealer_4s", "stage": Stage.TARGET, "branch": org.branches[branch],
        "owner": org.users[owner_key], "phone": "021-64001234", "address": "上海市闵行区七莘路 100 号",
        "shareholders": [{"name": "张三", "stake": "60.00"}], "characteristics": "年销量 3000 台",
        "business_situation": "经营稳定",
    }
    data.update(extra)
    if data["stage"] == Stage.LOST:
        data.setdefault("lost_reason", "合作终止（测试数据）")  # required for a lost customer (S002-10)
    with org.scope():
        return services.customer_create(tenant=org.tenant, actor=org.users[owner_key], data=data)


def make_contact(org, customer, actor_key="sales", **extra):
    data = {
        "name": "李经理", "purchase_role": "decision_maker", "gender": "m", "birth_year": 1978,
        "education": "bachelor", "phone": "13812345678", "address": "上海市徐汇区天钥桥路 8 弄 3 号 1201 室",
        "personality": "喜欢钓鱼", "family": "已婚，一子读高三", "notes": "",
    }
    data.update(extra)
    with org.scope():
        return services.contact_create(customer=customer, actor=org.users[actor_key], data=data)


@pytest.fixture
def cust_a(org_a):
    customer = make_customer(org_a)
    make_contact(org_a, customer)
    return customer


@pytest.fixture
def cust_b(org_b):
    return make_customer(org_b, name="沈阳华通物流运输有限公司", branch="B1")


def set_reach_policy(org, policy: str) -> None:
    """Tenant.customer_reach_policy: "seed" (default, S003-16) or "own" (salespeople: own customers)."""
    from marketing import services as platform

    with org.scope():
        platform.tenant_settings_update(tenant=org.tenant, actor=None, data={"customer_reach_policy": policy})
        org.tenant.refresh_from_db()


@pytest.fixture
def own_policy(org_a):
    """The narrower option: a salesperson reads only the customers they own (plus shares/grants)."""
    set_reach_policy(org_a, "own")
