"""The rules every tenant starts with, from the seeds (admins change them afterwards).

Seed-rule ids: S000-29 (行动计划表), S000-30 (案例分享), S000-31 / S001-11 (月度考核目标),
S003-23 / S003-24 (周工作计划表 Fri 12:00 → GM Mon 11:00), S004-14 (月度销售计划 by the 26th),
S001-16 (客户拜访/跟踪状况表 by 22:00), S002-03 / S002-05 (个人拜访方案), S002-18 (周工作方案表 =
周工作计划表), S002-19 (月工作方案表), S002-01 / S002-11 (the director's monthly plan and tasks for
every salesperson, compiled from their monthly plans), S002-14 (the weekly plans compiled); the long cadences and
the other plans of issue #22: S001-02 / S002-02 (年度销售、毛利、费用计划与年度工作计划),
S001-12 (季度、年度销售计划), S004-17 (年度、月份生产计划), S001-14 (大区目标与工作计划,
checked against its branches' targets), S002-04 (每日工作日志, prefilled from the day's visits),
S002-12 (承诺书, reviewed and sent back when it does not pass), S001-17 (销售计划日/周/月报 of the
regional manager, prefilled with the region's figures), S000-10 (定期外宣品设计稿资料收集, each
quarter, prefilled with the quarter's archived SC-006 design drafts)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from marketing.audit import audit_record
from marketing.roles import Role

from .models import Cadence, Feed, Prefill, SubmissionRule, SubmitterScope


def _t(*cols):
    return [{"key": k, "label": label, "type": kind} for k, label, kind in cols]


DEFAULT_RULES: list[dict] = [
    {
        "code": "action_plan", "name": "分公司行动计划表", "sort_order": 10,
        "description": "分公司总经理每周三、周日更新；下一期自动带入上一期内容，跟踪执行。",
        "scope": SubmitterScope.BRANCH, "submitter_roles": [Role.BRANCH_GM], "cadence": Cadence.WEEKLY,
        "weekdays": [2, 6], "deadline_time": dt.time(22, 0), "shift_to_working_day": False,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
        "prefill": Prefill.LAST_VERSION,
        "fields": [{"key": "actions", "label": "行动计划", "type": "table", "required": True, "help": "",
                    "columns": _t(("action", "行动事项", "text"), ("owner", "负责人", "person"),
                                  ("due", "完成日期", "date"), ("status", "执行情况", "text"))}],
    },
    {
        "code": "case_sharing", "name": "分公司案例分享及话术总结", "sort_order": 20,
        "description": "每周由分公司讨论后指定专人记录归档，进入案例库供各分公司分享。",
        "scope": SubmitterScope.BRANCH, "submitter_roles": [Role.BRANCH_GM], "cadence": Cadence.WEEKLY,
        "weekdays": [4], "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_SPECIALIST], "digest_roles": [Role.MARKETING_DIRECTOR],
        "shared_library": True,
        "fields": [
            {"key": "title", "label": "案例标题", "type": "text", "required": True, "help": ""},
            {"key": "customer", "label": "涉及客户", "type": "customer", "required": False,
             "help": "分公司以外的读者只看到遮蔽后的客户名称"},
            {"key": "story", "label": "案例经过", "type": "textarea", "required": True, "help": ""},
            {"key": "script", "label": "话术总结", "type": "textarea", "required": True, "help": ""},
            {"key": "recorder", "label": "记录人", "type": "person", "required": False, "help": ""},
            {"key": "files", "label": "附件", "type": "attachment", "required": False, "help": "现场照片、话术录音整理等"},
        ],
    },
    {
        "code": "sales_targets", "name": "销售月度考核目标", "sort_order": 30,
        "description": "分公司总经理每月 25 日前提交下月每位销售的目标，合计即分公司目标；市场部审阅通过后锁定，"
                       "并作为日报汇总的分公司月度目标。",
        "scope": SubmitterScope.BRANCH, "submitter_roles": [Role.BRANCH_GM], "cadence": Cadence.MONTHLY,
        "month_day": 25, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_DIRECTOR, Role.MARKETING_SPECIALIST],
        "digest_roles": [Role.MARKETING_DIRECTOR], "feed": Feed.MONTHLY_TARGETS,
        "fields": [{"key": "targets", "label": "销售目标", "type": "table", "required": True, "help": "",
                    "columns": _t(("salesperson", "销售", "person"), ("target", "目标金额", "money"))}],
    },
    {
        "code": "weekly_plan", "name": "周工作计划表", "sort_order": 40,
        "description": "销售人员每周五 12:00 前提交给营销总监。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.SALESPERSON], "cadence": Cadence.WEEKLY,
        "weekdays": [4], "deadline_time": dt.time(12, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
        "digest_delay_minutes": 30,
        "fields": [
            {"key": "key_work", "label": "下周重点工作", "type": "textarea", "required": True, "help": ""},
            {"key": "visits", "label": "意向客户拜访", "type": "table", "required": False, "help": "",
             "columns": _t(("customer", "客户", "text"), ("purpose", "目的", "text"), ("day", "计划日期", "date"))},
        ],
    },
    {
        "code": "weekly_plan_report", "name": "周工作计划汇总（报总经理）", "sort_order": 45,
        "description": "营销总监汇编上周五的周工作计划，周一 11:00 前报总经理。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.WEEKLY,
        "weekdays": [0], "deadline_time": dt.time(11, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.GENERAL_MANAGER],
        "digest_delay_minutes": 0, "prefill": Prefill.COMPILED, "source_code": "weekly_plan",
        "fields": [{"key": "summary", "label": "汇总与意见", "type": "textarea", "required": True, "help": ""}],
    },
    {
        "code": "monthly_work_plan", "name": "月工作方案表", "sort_order": 46,
        "description": "销售每月 25 日前按销售考核指标提交下月工作方案（重点工作、目标回款、意向客户拜访）；"
                       "营销总监和本分公司总经理检查，写得不适宜的退回重新书写。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.SALESPERSON], "cadence": Cadence.MONTHLY,
        "month_day": 25, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_DIRECTOR, Role.BRANCH_GM], "digest_roles": [Role.MARKETING_DIRECTOR],
        "fields": [
            {"key": "key_work", "label": "下月重点工作", "type": "textarea", "required": True, "help": ""},
            {"key": "target", "label": "下月目标回款（元）", "type": "money", "required": True, "help": ""},
            {"key": "visits", "label": "意向客户拜访", "type": "table", "required": False, "help": "",
             "columns": _t(("customer", "客户", "text"), ("purpose", "目的", "text"), ("day", "计划日期", "date"))},
        ],
    },
    {
        "code": "monthly_plan_report", "name": "月度销售方案及任务分配（报总经理）", "sort_order": 47,
        "description": "营销总监根据每位销售的月工作方案制定下月销售方案及任务，在战略经营会上分配到每个人，"
                       "每月 27 日前报总经理；由 25 日的月工作方案汇编预填，任务表每位销售一行。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.MONTHLY,
        "month_day": 27, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.GENERAL_MANAGER],
        "digest_delay_minutes": 0, "prefill": Prefill.COMPILED, "source_code": "monthly_work_plan",
        "submit_check": "every_person",
        "fields": [
            {"key": "summary", "label": "下月销售方案", "type": "textarea", "required": True, "help": ""},
            {"key": "tasks", "label": "任务分配", "type": "table", "required": True, "help": "每位销售一行",
             "columns": _t(("salesperson", "销售", "person"), ("key_work", "任务", "text"),
                           ("target", "目标回款", "money"))},
        ],
    },
    {
        "code": "monthly_sales_plan", "name": "月度销售计划（SC-004）", "sort_order": 50,
        "description": "每月 26 日汇总下月销售计划，经产品市场部审核（签否则退回重写）后报总经理。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.REGIONAL_MANAGER], "cadence": Cadence.MONTHLY,
        "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.GENERAL_MANAGER],
        "review_on_engine": True,  # S004-15/16: 产品市场部经理 签准 or 签否 → redraft; then to the GM
        "fields": [{"key": "plan", "label": "下月销售计划", "type": "table", "required": True, "help": "",
                    "columns": _t(("branch", "分公司", "text"), ("target", "计划回款", "money"),
                                  ("measures", "主要措施", "text"))}],
    },
    {
        "code": "visit_sheet", "name": "客户拜访/跟踪状况表", "sort_order": 60,
        "description": "大区经理每个工作日 22:00 前提交给主管领导；由当日客户拜访记录预填。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.REGIONAL_MANAGER], "cadence": Cadence.DAILY,
        "deadline_time": dt.time(22, 0), "shift_to_working_day": False,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
        "prefill": Prefill.VISITS, "remind_minutes_before": 60,
        "fields": [
            {"key": "visits", "label": "当日拜访", "type": "table", "required": False, "help": "",
             "columns": _t(("customer", "客户", "customer"), ("by", "拜访人", "text"), ("outcome", "情况", "text"),
                           ("next", "下一步", "text"))},
            {"key": "notes", "label": "补充说明", "type": "textarea", "required": False, "help": ""},
        ],
    },
    *[
        {
            "code": f"region_sales_{suffix}", "name": name, "sort_order": order,
            "description": description + "由所辖分公司的回款与目标预填（财务回款表、月度目标）。",
            "scope": SubmitterScope.PERSON, "submitter_roles": [Role.REGIONAL_MANAGER], "cadence": cad,
            "weekdays": [4], "month_day": 31, "deadline_time": dt.time(22, 0), "shift_to_working_day": True,
            "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
            "prefill": Prefill.REGION_FIGURES, "remind_minutes_before": 60,
            "fields": [
                {"key": "period_collections", "label": label, "type": "money", "required": True, "help": ""},
                {"key": "mtd_collections", "label": "本月累计回款（元）", "type": "money", "required": True, "help": ""},
                {"key": "month_target", "label": "本月目标（元）", "type": "money", "required": False, "help": ""},
                {"key": "rate", "label": "完成率", "type": "text", "required": False,
                 "help": "有目标分公司的本月累计回款 ÷ 其目标之和"},
                {"key": "progress", "label": "计划执行情况与问题", "type": "textarea", "required": True, "help": ""},
                {"key": "next", "label": "下一步安排（含应收账款催收）", "type": "textarea", "required": False, "help": ""},
            ],
        }
        for suffix, name, order, cad, label, description in (
            ("daily", "销售计划日报（大区）", 61, Cadence.DAILY, "当日回款（元）", "大区经理每个工作日 22:00 前报本区域销售计划执行情况；"),
            ("weekly", "销售计划周报（大区）", 62, Cadence.WEEKLY, "本周回款（元）", "大区经理每周五 22:00 前报本区域销售计划执行情况；"),
            ("monthly", "销售计划月报（大区）", 63, Cadence.MONTHLY, "本月回款（元）", "大区经理每月最后一天 22:00 前报本区域销售计划执行情况；"),
        )
    ],
    {
        "code": "annual_plan", "name": "年度销售计划、毛利计划和费用计划", "sort_order": 80,
        "description": "市场营销总监每年 12 月 26 日前拟订下一年度的销售、毛利和费用计划，报总经理审阅。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.YEARLY,
        "period_month": 12, "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "remind_minutes_before": 7 * 24 * 60,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.GENERAL_MANAGER, Role.FINANCE],
        "fields": [{"key": "plan", "label": "分公司年度计划", "type": "table", "required": True, "help": "金额单位：元",
                    "columns": _t(("branch", "分公司", "text"), ("sales", "销售计划", "money"),
                                  ("gross_profit", "毛利计划", "money"), ("expenses", "费用计划", "money"))},
                   {"key": "notes", "label": "编制说明", "type": "textarea", "required": False, "help": ""}],
    },
    {
        "code": "annual_work_plan", "name": "年度工作计划", "sort_order": 81,
        "description": "市场部年度工作方案：每年 12 月 26 日前拟订下一年度的工作计划。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.YEARLY,
        "period_month": 12, "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "remind_minutes_before": 7 * 24 * 60,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.GENERAL_MANAGER],
        "fields": [{"key": "goals", "label": "年度目标", "type": "textarea", "required": True, "help": ""},
                   {"key": "actions", "label": "重点工作", "type": "table", "required": True, "help": "",
                    "columns": _t(("action", "工作内容", "text"), ("owner", "负责人", "person"),
                                  ("due", "完成时间", "date"))}],
    },
    {
        "code": "quarterly_sales_plan", "name": "季度销售计划", "sort_order": 82,
        "description": "每季度最后一个月 26 日前拟订下一季度的销售计划。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.QUARTERLY,
        "period_month": 3, "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "remind_minutes_before": 3 * 24 * 60,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.GENERAL_MANAGER],
        "fields": [{"key": "plan", "label": "分公司季度计划", "type": "table", "required": True, "help": "金额单位：元",
                    "columns": _t(("branch", "分公司", "text"), ("target", "计划回款", "money"),
                                  ("measures", "主要措施", "text"))}],
    },
    {
        "code": "production_plan_month", "name": "月份生产计划", "sort_order": 83,
        "description": "产品市场部经理监管产销协调，每月 26 日前根据已批准的销售计划形成下月生产计划。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.MONTHLY,
        "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.PRODUCT_DESIGN, Role.OPERATIONS],
        "fields": [{"key": "items", "label": "生产计划", "type": "table", "required": True, "help": "",
                    "columns": _t(("product", "产品", "text"), ("quantity", "数量", "number"),
                                  ("due", "完成时间", "date"), ("notes", "说明", "text"))}],
    },
    {
        "code": "production_plan_year", "name": "年度生产计划", "sort_order": 84,
        "description": "产品市场部经理每年 12 月 26 日前形成下一年度生产计划。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_DIRECTOR], "cadence": Cadence.YEARLY,
        "period_month": 12, "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "remind_minutes_before": 7 * 24 * 60,
        "reviewer_roles": [Role.GENERAL_MANAGER], "digest_roles": [Role.PRODUCT_DESIGN, Role.OPERATIONS],
        "fields": [{"key": "items", "label": "生产计划", "type": "table", "required": True, "help": "",
                    "columns": _t(("product", "产品", "text"), ("quantity", "数量", "number"),
                                  ("quarter", "季度", "text"), ("notes", "说明", "text"))}],
    },
    {
        "code": "region_plan", "name": "大区目标与工作计划", "sort_order": 85,
        "description": "大区经理每月 26 日前根据公司计划拟订本区域下月目标与工作计划；目标不得低于所辖分公司目标之和。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.REGIONAL_MANAGER], "cadence": Cadence.MONTHLY,
        "month_day": 26, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
        "submit_check": "region_target",
        "fields": [{"key": "region_target", "label": "本区域下月目标（元）", "type": "money", "required": True,
                    "help": "不得低于所辖分公司下月目标之和"},
                   {"key": "work_plan", "label": "工作计划", "type": "table", "required": True, "help": "",
                    "columns": _t(("action", "工作内容", "text"), ("branch", "分公司", "text"),
                                  ("due", "完成时间", "date"))}],
    },
    {
        "code": "work_log", "name": "每日工作日志", "sort_order": 86,
        "description": "销售每个工作日 20:00 前书面记录当日工作；由当日客户拜访记录预填。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.SALESPERSON], "cadence": Cadence.DAILY,
        "deadline_time": dt.time(20, 0), "shift_to_working_day": False, "remind_minutes_before": 60,
        "reviewer_roles": [Role.BRANCH_GM], "digest_roles": [],
        "prefill": Prefill.VISITS,
        "fields": [
            {"key": "visits", "label": "当日拜访", "type": "table", "required": False, "help": "",
             "columns": _t(("customer", "客户", "customer"), ("by", "拜访人", "text"), ("outcome", "情况", "text"),
                           ("next", "下一步", "text"))},
            {"key": "notes", "label": "其他工作", "type": "textarea", "required": False, "help": ""},
        ],
    },
    {
        "code": "commitment_letter", "name": "销售承诺书", "sort_order": 87,
        "description": "销售每月初提交本月承诺书；审核未通过的退回重写，通过后分配任务。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.SALESPERSON], "cadence": Cadence.MONTHLY,
        "month_day": 3, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "reviewer_roles": [Role.BRANCH_GM], "digest_roles": [],
        "fields": [{"key": "target", "label": "本月承诺回款（元）", "type": "money", "required": True, "help": ""},
                   {"key": "customers", "label": "重点客户", "type": "table", "required": False, "help": "",
                    "columns": _t(("customer", "客户", "customer"), ("amount", "预计金额", "money"))},
                   {"key": "pledge", "label": "承诺内容", "type": "textarea", "required": True, "help": ""}],
    },
    {
        "code": "design_drafts_quarterly", "name": "外宣品设计稿资料收集（季度）", "sort_order": 88,
        "description": "市场经理（市场专员）每季度末收集本季度定稿存档的外宣品设计稿，归档备查；由本季度存档的"
                       "宣传物料设计申请（SC-006）预填，外部制作的设计稿可补充附件。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.MARKETING_SPECIALIST], "cadence": Cadence.QUARTERLY,
        "period_month": 3, "month_day": 31, "deadline_time": dt.time(18, 0), "shift_to_working_day": True,
        "remind_minutes_before": 3 * 24 * 60,
        "reviewer_roles": [Role.MARKETING_DIRECTOR], "digest_roles": [Role.MARKETING_DIRECTOR],
        "prefill": Prefill.DESIGN_DRAFTS,
        "fields": [
            {"key": "drafts", "label": "本季度存档的设计稿", "type": "table", "required": False,
             "help": "由本季度定稿存档的宣传物料设计申请（SC-006）预填",
             "columns": _t(("number", "申请编号", "text"), ("title", "名称", "text"), ("material", "物料类型", "text"),
                           ("files", "设计稿文件", "text"), ("archived", "存档日期", "date"))},
            {"key": "files", "label": "其他设计稿", "type": "attachment", "required": False,
             "help": "未经系统申请的外宣品设计稿"},
            {"key": "notes", "label": "说明", "type": "textarea", "required": False, "help": ""},
        ],
    },
    {
        "code": "visit_plan", "name": "个人拜访方案（下周重点客户）", "sort_order": 70,
        "description": "销售每周日前计划下周拜访的客户；客户档案中的拜访记录自动勾销，看板显示计划与完成。",
        "scope": SubmitterScope.PERSON, "submitter_roles": [Role.SALESPERSON], "cadence": Cadence.WEEKLY,
        "weekdays": [6], "deadline_time": dt.time(20, 0), "shift_to_working_day": False,
        "reviewer_roles": [Role.BRANCH_GM, Role.REGIONAL_MANAGER], "digest_roles": [],
        "fields": [{"key": "visits", "label": "计划拜访", "type": "table", "required": True, "help": "",
                    "columns": _t(("customer", "客户", "customer"), ("day", "计划日期", "date"),
                                  ("purpose", "目的", "text"))}],
    },
]


@transaction.atomic
def ensure_default_rules(*, tenant, actor=None) -> int:
    """Create the shipped rules the tenant does not have yet (by code). Returns how many."""
    have = set(SubmissionRule.objects.filter(tenant=tenant).values_list("code", flat=True))
    created = 0
    for spec in DEFAULT_RULES:
        if spec["code"] in have:
            continue
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in spec.items()}
        values["submitter_roles"] = [str(r) for r in spec["submitter_roles"]]
        values["reviewer_roles"] = [str(r) for r in spec.get("reviewer_roles", [])]
        values["digest_roles"] = [str(r) for r in spec.get("digest_roles", [])]
        rule = SubmissionRule.objects.create(tenant=tenant, **values)
        audit_record(tenant=tenant, actor=actor, verb="submissions.rule_created_default", obj=rule,
                     after={"code": rule.code})
        created += 1
    return created
