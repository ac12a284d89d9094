"""Demo archive: auto dealers, repair shops and fleets with contacts and visits, a few
shares and temporary grants. Built through the services; idempotent (does nothing when
the tenant already has customers)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from marketing.models import Branch
from marketing.roles import Role
from marketing.selectors import users_with_roles

from . import access, importer, services
from .models import Customer, Industry, PurchaseRole, Stage, VisitType

BRANDS = ["大众", "丰田", "本田", "别克", "奥迪", "宝马", "奔驰", "日产", "吉利", "比亚迪", "长安", "哈弗", "现代", "福特", "雪佛兰"]
AREA = {"上海": "021", "杭州": "0571", "南京": "025", "苏州": "0512", "广州": "020", "深圳": "0755", "厦门": "0592",
        "北京": "010", "天津": "022", "济南": "0531", "成都": "028", "重庆": "023", "沈阳": "024", "大连": "0411"}
PLACES = ["", "", "", "城东", "城西", "新区", "开发区", "高新", "港区", "南郊", "北郊"]
WORDS = ["恒信", "永达", "广汇", "庞大", "利星", "中升", "宝利", "远通", "华通", "申湘", "锦江", "东昌", "万众", "瑞通", "盛世", "安驰", "顺达", "鑫源", "通宝", "联众", "骏达", "宏图", "嘉禾", "金桥", "新纪元", "大昌", "明通", "华胜", "力天", "正通"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = ["伟", "芳", "军", "敏", "磊", "静", "强", "丽", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚", "建华", "志强", "海燕", "晓东", "文斌", "丽娟"]
TAGS = ["重点客户", "续保意向", "老客户转介绍", "价格敏感", "需高层拜访", "竞品合作中"]
NEEDS = ["希望延保产品覆盖发动机和变速箱", "关注理赔时效，要求 48 小时内响应", "想为二手车提供一年延保", "车队车辆多，需要批量价格", "客户关心返佣比例", "需要培训销售顾问讲解延保"]
PROPOSALS = ["推荐尊享版三年延保，按车价分档报价", "提供批量投保方案，满 50 台享折扣", "安排总部产品经理上门讲解", "提供合作协议样本与返佣测算"]
OUTCOMES = ["客户认可方案，待内部审批", "要求再降价 5%", "已签署合作意向书", "暂不考虑，三个月后回访", "同意先试点一个门店"]


def _industry_name(rng: random.Random, city: str, industry: str) -> str:
    word = rng.choice(PLACES) + rng.choice(WORDS)
    if industry == Industry.DEALER_4S:
        return f"{city}{word}{rng.choice(BRANDS)}汽车销售服务有限公司"
    if industry == Industry.REPAIR_SHOP:
        return f"{city}{word}汽车维修有限公司"
    if industry == Industry.FLEET:
        return f"{city}{word}物流运输有限公司"
    if industry == Industry.USED_CAR:
        return f"{city}{word}二手车交易市场"
    if industry == Industry.RENTAL:
        return f"{city}{word}汽车租赁有限公司"
    return f"{city}{word}保险代理有限公司"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "136", "158", "186", "137", "150"]) + f"{rng.randrange(10**8):08d}"


LOST_REASONS = ["价格高于竞品，客户选择了厂家延保", "决策人更换，新负责人暂不考虑", "理赔时效不满意，合作终止"]
COMPLAINTS = [("理赔审核时间过长，客户车辆等待配件两周", "claims"), ("业务员承诺的返点未按时兑现", "sales")]


def seed(*, tenant, personas, rich: bool) -> None:
    if Customer.objects.filter(tenant=tenant).exists():
        return
    rng = random.Random(f"customers-{tenant.slug}")
    sales = list(users_with_roles(tenant=tenant, roles=[Role.SALESPERSON]))
    if not sales:
        return
    branches = {b.pk: b for b in Branch.objects.filter(tenant=tenant)}
    actor = personas.get("mdirector") or personas.get("admin") or sales[0]
    tags = services.tags_get_or_create(tenant=tenant, names=TAGS)
    from marketing.selectors import assigned_branch_ids
    from marketing.tenancy import membership_for

    home = {}
    for user in sales:
        ids = sorted(assigned_branch_ids(membership=membership_for(user)))
        home[user.pk] = branches[ids[0]] if ids else next(iter(branches.values()))
    total = 300 if rich else 2
    weights = [Industry.DEALER_4S] * 5 + [Industry.REPAIR_SHOP] * 3 + [Industry.FLEET] * 2 + [
        Industry.USED_CAR, Industry.RENTAL, Industry.INSURANCE]
    stages = [Stage.TARGET] * 4 + [Stage.NEGOTIATING] * 3 + [Stage.SIGNED] * 2 + [Stage.LOST]
    customers = []
    used: set[str] = set()
    today = timezone.localdate()
    for i in range(total):
        owner = sales[i % len(sales)]
        branch = home[owner.pk]
        industry = rng.choice(weights)
        name = _industry_name(rng, branch.city or "", industry)
        for _attempt in range(30):
            if name not in used:
                break
            name = _industry_name(rng, branch.city or "", industry)
        else:
            name = name.replace("有限公司", f"第{i}分公司有限公司")
        used.add(name)
        a, b = _person(rng), _person(rng)
        stake = rng.choice([51, 60, 70, 80])
        stage = rng.choice(stages)
        customer = services.customer_create(
            tenant=tenant, actor=owner, tags=rng.sample(tags, k=rng.randrange(0, 3)),
            data={
                "name": name, "industry": industry, "stage": stage, "branch": branch, "owner": owner,
                "lost_reason": rng.choice(LOST_REASONS) if stage == Stage.LOST else "",
                "phone": f"{AREA.get(branch.city, '021')}-{rng.randrange(10**7, 10**8)}",
                "address": f"{branch.city}市{rng.choice(['高新区', '经济开发区', '城东新区', '城西区'])}{rng.choice(WORDS)}路{rng.randrange(1, 999)}号",
                "shareholders": [{"name": a, "stake": f"{stake}.00"}, {"name": b, "stake": f"{100 - stake}.00"}],
                "characteristics": rng.choice(["年销量约 3000 台，售后产值高", "本地连锁品牌，门店 5 家", "自有车辆 200 余台", "注重口碑，决策谨慎"]),
                "business_situation": rng.choice(["经营稳定，回款及时", "今年销量下滑约 10%", "正在扩张新店", "资金偏紧"]),
            },
        )
        customers.append(customer)
        for role in [PurchaseRole.DECISION_MAKER] + ([PurchaseRole.INFLUENCER] if rich and rng.random() < 0.7 else []):
            services.contact_create(customer=customer, actor=owner, data={
                "name": _person(rng), "purchase_role": role, "gender": rng.choice(["m", "f"]),
                "birth_year": rng.randrange(1965, 1992), "education": rng.choice(["college", "bachelor", "master"]),
                "phone": _phone(rng), "address": f"{branch.city}市某小区{rng.randrange(1, 30)}栋{rng.randrange(101, 2801)}室",
                "personality": rng.choice(["性格爽快，喜欢打高尔夫", "做事严谨，爱好钓鱼", "健谈，关注新能源车", "喜欢喝茶，周末陪孩子"]),
                "family": rng.choice(["已婚，一子在读高中", "已婚，两个孩子", "未婚", "已婚，配偶在银行工作"]),
                "notes": "",
            })
        for k in range(rng.randrange(1, 4) if rich else 1):
            visited = today - timedelta(days=rng.randrange(1, 120) + 30 * k)
            services.visit_create(customer=customer, actor=owner, data={
                "visited_on": visited, "visited_by": owner, "visit_type": rng.choice(list(VisitType.values)),
                "needs": rng.choice(NEEDS), "proposal": rng.choice(PROPOSALS), "outcome": rng.choice(OUTCOMES),
                "next_step": rng.choice(["二次回访", "邀约来公司面谈", "发送报价", "签订合作协议"]),
                "next_date": visited + timedelta(days=rng.randrange(3, 20)),
            })
    # Complaints (S001-27): one open, one handled.
    for n, (text, department) in enumerate(COMPLAINTS[: (2 if rich else 1)]):
        customer = customers[n]
        complaint = services.complaint_create(customer=customer, actor=customer.owner, data={
            "received_on": today - timedelta(days=10 - n * 5), "complainant": _person(rng), "content": text,
            "department": department, "handler": actor})
        if n == 1:
            services.complaint_close(complaint=complaint, actor=actor, outcome="已协调理赔部门加急处理并回访客户",
                                     closed_on=today - timedelta(days=1))
    # Shares between salespeople, temporary grants from approved requests.
    if len(sales) > 1:
        for customer in customers[: (12 if rich else 1)]:
            other = next(u for u in sales if u.pk != customer.owner_id)
            services.customer_share(customer=customer, actor=customer.owner, user=other)
    gm = personas.get("gm")
    applicants = [personas[k] for k in ("bgm", "bgm_hz", "bgm_sy", "finance", "mspec") if k in personas]
    for n, applicant in enumerate(applicants[: (3 if rich else 1)]):
        customer = customers[-1 - n]
        doc = access.access_request_submit(
            tenant=tenant, actor=applicant, customer=customer, reason="跟进该客户的合同申领与费用核对", days=tenant.customer_grant_days,
        )
        if gm is not None and n == 0:
            access.access_request_approve(doc=doc, actor=gm, note="同意，限本周内查阅")
    # An import waiting for confirmation (the template's sample row, with its errors shown).
    importer.import_preview(tenant=tenant, actor=actor, file_name="demo-import.xlsx", content=importer.template_xlsx())
