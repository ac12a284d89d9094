"""The approval forms every tenant starts with (seed 004 §三, SC-001…SC-008 without SC-004,
which is the monthly sales plan of ``reports.submissions``). Built through the same services
as the browser builder: template + fields, the engine's chain for ``form:<pk>``, published.

Who signs follows seed 004 with positions (岗位) the tenant can re-staff; a position nobody
holds yet falls back to the role named with it, so a new tenant's forms work on day one.
Rule ids in comments are those of /work/shared/seed-rules.md."""

from __future__ import annotations

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import StepSpec
from marketing.roles import Role

# (name, description, fallback role) -- created when missing; holders are the tenant's to set.
POSITIONS = [
    ("产品市场部经理", "审核调研、推广与培训，批准常规市场活动（SC-001/002/003/007/008）", Role.MARKETING_DIRECTOR),
    ("技术总监", "产品与技术方案把关（SC-001/003）", Role.PRODUCT_DESIGN),
    ("大客户部经理", "按地区负责大客户（各地区分别任职）", Role.REGIONAL_MANAGER),
    ("市场经理", "编制调研、推广、活动与培训方案，设计宣传物料", Role.MARKETING_SPECIALIST),
    ("事业部经理", "审批调研预算（SC-001）", Role.MARKETING_DIRECTOR),
    ("行政助理", "印刷品入库（SC-006）", Role.GM_ASSISTANT),
    ("采购专员", "印刷采购、联系印刷厂（SC-006）", Role.OPERATIONS),
    # Seed 001 (营销中心岗位职责): the sales department's manager and the production centre.
    ("市场部经理", "销售部日常管理，合同、订单管理（YX-003）", Role.MARKETING_DIRECTOR),
    ("生产中心", "接收工程计划单、生产计划单（YX-002）", Role.OPERATIONS),
]
FALLBACK = {name: role for name, _d, role in POSITIONS}


def _pos(name, step, **kw) -> StepSpec:
    return StepSpec(name=step, position=name, role=FALLBACK[name], **kw)


GM = Role.GENERAL_MANAGER


def F(key, label, kind, required=False, help="", **extra) -> dict:  # noqa: N802 (a table of specs)
    return {"key": key, "label": label, "type": kind, "required": required, "help": help, **extra}


BUDGET_TABLE = F("budget_lines", "预算明细", "table", columns=[
    {"key": "item", "label": "项目", "type": "text"}, {"key": "amount", "label": "金额", "type": "money"}])

SHIPPED = [
    {
        "code": "SC-001", "name": "市场调研计划", "category": "市场部",
        "description": "市场经理编制调研策划书（计划、内容、方案、预算）；年度、月度、重大专项调研须呈报总经理，常规调研跳过。",
        "fields": [
            F("plan", "调研计划", "textarea", True), F("content", "调研内容", "textarea", True),
            F("scheme", "调研方案", "textarea"), F("kind", "调研类型", "choice", True,
                                               options=["常规", "年度", "月度", "重大专项"]),
            F("budget", "调研预算", "money", True), BUDGET_TABLE,
            F("period", "调研时间", "daterange"), F("attachments", "调研策划书", "attachment"),
        ],
        "steps": [
            _pos("产品市场部经理", "产品市场部经理审核"),  # S004-05
            _pos("事业部经理", "事业部经理审批预算"),  # S004-06
            StepSpec(name="总经理审核签署", role=GM, condition="kind != 常规"),  # S004-06: routine skips
            # S004-07 共同签准: the tech director, the GM and the key-account manager of the region sign.
            _pos("技术总监", "技术总监签准"),
            StepSpec(name="总经理签准", role=GM),
            _pos("大客户部经理", "大客户部经理签准", scope=StepScope.REGION),
        ],
    },
    {
        "code": "SC-002", "name": "市场调研", "category": "市场部",
        "description": "大客户部经理布置调研任务，市场经理汇总分析并编写调研报告，产品市场部经理审核后进入推广计划（SC-003）。",
        "fields": [
            F("topic", "调研主题", "text", True), F("competitors", "竞争对手信息", "textarea"),
            F("needs", "客户需求信息", "textarea"), F("special", "专项要求", "textarea"),
            F("findings", "调研结论", "textarea", True), F("report", "市场调研报告", "attachment"),
        ],
        "steps": [
            _pos("大客户部经理", "大客户部经理确认调研结果", kind=StepKind.RECORD, scope=StepScope.REGION),  # S004-08
            _pos("产品市场部经理", "产品市场部经理审核调研报告"),  # S004-09
        ],
    },
    {
        "code": "SC-003", "name": "促销方案", "category": "市场部",
        "description": "市场推广计划指导书：目标、策略、行动、进度，分别提交部门经理、技术总监和总经理审批，通过后大客户部经理执行。",
        "fields": [
            F("goal", "推广目标", "textarea", True), F("strategy", "推广策略", "textarea", True),
            F("actions", "行动计划", "textarea", True), F("schedule", "进度", "daterange", True),
            F("budget", "推广预算", "money"), F("guide", "推广计划指导书", "attachment"),
        ],
        "steps": [
            _pos("产品市场部经理", "部门经理审批"),  # S004-12
            _pos("技术总监", "技术总监审批"),
            StepSpec(name="总经理审批", role=GM),
            _pos("大客户部经理", "大客户部经理接收执行", kind=StepKind.RECORD, scope=StepScope.REGION),  # S004-13
        ],
    },
    {
        "code": "SC-005", "name": "定价", "category": "市场部",
        "description": "产品定价流程（种子未列步骤：产品市场部经理审核，总经理审批）。",
        "fields": [
            F("product", "产品", "text", True), F("price", "建议价格", "money", True),
            F("basis", "定价依据", "textarea", True),
            F("lines", "价格明细", "table", columns=[{"key": "item", "label": "规格", "type": "text"},
                                                 {"key": "price", "label": "价格", "type": "money"}]),
            F("effective", "生效日期", "date"),
        ],
        "steps": [_pos("产品市场部经理", "产品市场部经理审核"), StepSpec(name="总经理审批", role=GM)],  # S004-18
    },
    {
        "code": "SC-006", "name": "宣传物料设计", "category": "市场部",
        "description": "设计需求 → 市场经理设计 → 部门经理审阅 → 定稿存档；需要印刷时：采购申请 → 印刷厂 → 行政助理入库。",
        "fields": [
            F("material", "物料类型", "choice", True, options=["海报", "折页", "展架", "宣传册", "视频", "其他"]),
            F("format", "格式", "text", True), F("content", "内容要求", "textarea", True),
            F("due", "时间要求", "date", True),
            F("printing", "是否印刷", "choice", True, options=["需要印刷", "无需印刷"]),
            F("quantity", "印刷数量", "number"), F("print_budget", "印刷预算", "money"),
            F("draft", "设计稿", "attachment"),
        ],
        "steps": [
            _pos("市场经理", "市场经理设计"),  # S004-20
            _pos("产品市场部经理", "部门经理审阅设计稿"),  # S004-21
            _pos("市场经理", "定稿存档", kind=StepKind.RECORD),  # S004-21
            _pos("市场经理", "填写印刷采购申请", kind=StepKind.RECORD, condition="printing == 需要印刷"),  # S004-22
            _pos("采购专员", "采购部交印刷厂", condition="printing == 需要印刷"),  # S004-22
            _pos("行政助理", "印刷完成入库", kind=StepKind.RECORD, condition="printing == 需要印刷"),  # S004-23
        ],
    },
    {
        "code": "SC-007", "name": "市场活动", "category": "市场部",
        "description": "广告宣传、公共活动、产品展销、技术交流会；特殊活动由总经理批准，常规活动由产品市场部经理批准。",
        "fields": [
            F("activity", "活动类型", "choice", True, options=["广告宣传", "公共活动", "产品展销", "技术交流会"]),
            F("nature", "活动性质", "choice", True, options=["常规", "特殊"],
              help="特殊的市场活动须由总经理批准；常规的由产品市场部经理批准。"),
            F("period", "活动时间", "daterange", True), F("place", "地点", "text"),
            # S004-25 / S001-21: every activity's cost is budgeted and approved with it (a positive amount).
            F("budget", "活动预算", "money", True, help="活动的费用预算（元），随申请一起审批。"),
            F("plan", "市场活动策划书", "attachment"),
            F("customers", "邀请客户", "customer"), F("staff", "参加人员", "people"),
        ],
        "steps": [
            StepSpec(name="总经理批准", role=GM, condition="nature == 特殊"),  # S004-25
            _pos("产品市场部经理", "产品市场部经理批准", condition="nature == 常规"),  # S004-25
            # S004-27 / S001-22: once approved the activity is carried out; the market manager records
            # it and evaluates its effect (the step's comment and attachments) before the request closes.
            _pos("市场经理", "活动记录与效果评估", kind=StepKind.RECORD),
        ],
    },
    {
        "code": "SC-008", "name": "培训", "category": "市场部",
        "description": "技术服务申请单（服务类型：培训）：产品市场部经理审核并安排，市场经理制定培训计划，产品市场部经理审批。",
        "fields": [
            F("service", "服务类型", "choice", True, options=["培训"]),
            F("audience", "培训对象", "text", True), F("needs", "需求说明", "textarea", True),
            F("period", "期望时间", "daterange"), F("headcount", "人数", "number"),
            F("branch_at", "培训分公司", "branch"), F("plan", "培训计划", "attachment"),
        ],
        "steps": [
            _pos("产品市场部经理", "产品市场部经理审核并安排"),  # S004-30
            _pos("市场经理", "市场经理制定培训计划", kind=StepKind.RECORD),  # S004-31
            _pos("产品市场部经理", "产品市场部经理审批培训计划"),  # S004-31
            # S004-32: after the training the trainees' 培训调查表 are collected and summarised (analysis,
            # improvements) by the market manager, and the summary goes to the product-marketing manager.
            _pos("市场经理", "收集培训调查表并总结", kind=StepKind.RECORD),
            _pos("产品市场部经理", "产品市场部经理审阅培训总结"),
        ],
    },
    # Seed 001 (营销中心岗位职责): forms the department's duties name, codes YX-…
    {
        "code": "YX-001", "name": "外发文件审核", "category": "营销部",
        "description": "营销部对外发出的文件，发出前由营销总监审核（营销总监岗位职责 9）。",
        "fields": [
            F("doc_title", "文件名称", "text", True), F("recipient", "发送对象", "text", True),
            F("document", "外发文件", "attachment", True), F("purpose", "发送目的", "textarea", True),
        ],
        "steps": [StepSpec(name="营销总监审核", role=Role.MARKETING_DIRECTOR)],  # S001-06
    },
    {
        "code": "YX-002", "name": "工程计划单/生产计划单", "category": "营销部",
        "description": "销售助理制作，销售人员签字、财务人员签字后递交生产中心（销售助理岗位职责 4）。",
        "fields": [
            F("plan_kind", "单据类型", "choice", True, options=["工程计划单", "生产计划单"]),
            F("customer", "客户", "customer"), F("contract_no", "合同编号", "text"),
            F("items", "计划明细", "table", True, columns=[
                {"key": "product", "label": "产品/规格", "type": "text"},
                {"key": "quantity", "label": "数量", "type": "number"},
                {"key": "due", "label": "交货日期", "type": "date"}]),
            F("due", "要求完成日期", "date", True), F("notes", "备注", "textarea"),
            F("sheet", "计划单", "attachment"),
        ],
        "steps": [  # S001-26
            StepSpec(name="销售人员签字", role=Role.SALESPERSON, scope=StepScope.BRANCH),
            StepSpec(name="财务人员签字", role=Role.FINANCE),
            _pos("生产中心", "递交生产中心", kind=StepKind.RECORD),
        ],
    },
    {
        "code": "YX-003", "name": "订单", "category": "营销部",
        "description": "客户或合作伙伴的订单，由市场部经理审核（市场部经理岗位职责 8：合同、订单管理）。",
        "fields": [
            F("customer", "客户", "customer"), F("partner", "合作伙伴", "partner"),
            F("product", "产品", "text", True), F("quantity", "数量", "number", True),
            F("amount", "金额", "money", True), F("delivery", "交货日期", "date", True),
            F("contract_no", "合同编号", "text"), F("notes", "备注", "textarea"),
        ],
        "steps": [_pos("市场部经理", "市场部经理审核")],  # S001-10
    },
]


