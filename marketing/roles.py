"""Tenant roles and what each may do: the one table to read when asking "who can do X".

A user's capabilities are the union over their roles. Branch-scoped roles see and act only
for the branches assigned to them (guardian grants of ``marketing.act_for_branch``); every
other role works tenant-wide. Views check capabilities, never role names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("系统管理员")
    GENERAL_MANAGER = "general_manager", _("总经理")
    EXECUTIVE_DIRECTOR = "executive_director", _("执行董事")
    GM_ASSISTANT = "gm_assistant", _("总经理助理")
    MARKETING_DIRECTOR = "marketing_director", _("市场营销总监")
    MARKETING_SPECIALIST = "marketing_specialist", _("市场专员")
    MARKETING_SUPERVISOR = "marketing_supervisor", _("市场主管")
    FINANCE = "finance", _("财务")
    OPERATIONS = "operations", _("运营")
    PRODUCT_DESIGN = "product_design", _("产品设计部")
    HR = "hr", _("人事")
    BRANCH_GM = "branch_gm", _("分公司总经理")
    BRANCH_CASHIER = "branch_cashier", _("分公司出纳")
    REGIONAL_MANAGER = "regional_manager", _("大区经理")
    SALESPERSON = "salesperson", _("销售")


# Roles whose reach is limited to their assigned branches.
BRANCH_ROLES = frozenset({Role.BRANCH_GM, Role.BRANCH_CASHIER, Role.REGIONAL_MANAGER, Role.SALESPERSON})

# "Branch general managers and above" (分总及以上领导): default summary recipients.
SUMMARY_RECIPIENT_ROLES = frozenset(
    {
        Role.BRANCH_GM,
        Role.GENERAL_MANAGER,
        Role.EXECUTIVE_DIRECTOR,
        Role.GM_ASSISTANT,
        Role.MARKETING_DIRECTOR,
    }
)


class Cap:
    """Capability names. Keep them here so a typo is an AttributeError, not a silent deny."""

    TENANT_MANAGE = "tenant.manage"  # users, roles, regions, branches, settings
    AUDIT_VIEW = "audit.view"
    BRANCHES_ALL = "branches.all"  # sees every branch (otherwise: assigned branches only)

    REPORTS_FILE = "reports.file"  # file the daily report for own branches
    REPORTS_VIEW_ALL = "reports.view_all"  # board, every branch's reports
    REPORTS_BOARD_BRANCH = "reports.board_branch"  # the filing board, limited to the assigned branches
    REPORTS_IMPORT = "reports.import"  # roster / collections / targets uploads
    REPORTS_CALENDAR = "reports.calendar"  # working-day overrides
    TARGETS_EDIT = "targets.edit"  # monthly targets (own branches unless BRANCHES_ALL)
    SUMMARIES_VIEW = "summaries.view"  # past daily summaries (own branch unless BRANCHES_ALL)
    SUMMARIES_MANAGE = "summaries.manage"  # recipients, resend

    CONTRACTS_REQUEST = "contracts.request"
    CONTRACTS_MANAGE = "contracts.manage"  # products, sell-through review, ledger
    CONTRACTS_VIEW_ALL = "contracts.view_all"  # every branch's contracts, requests and usage
    PRODUCTS_REQUEST = "products.request"  # start a product design request (产品设计审批表)
    PRODUCTS_VIEW_ALL = "products.view_all"  # every product, version and design request
    PRODUCTS_MANAGE = "products.manage"  # put a product online / retire it, sell-through bar
    PRICELIST_EDIT = "pricelist.edit"  # draft and publish the price list (产品体系报价表)
    PRICELIST_CONFIRM = "pricelist.confirm"  # branch GM confirms a published price list
    PRICELIST_IMPLEMENT = "pricelist.implement"  # operations ticks "运营系统落实"

    EXPENSES_REQUEST = "expenses.request"
    EXPENSES_VIEW_ALL = "expenses.view_all"
    EXPENSES_PAY = "expenses.pay"  # finance records the payout of archived requests
    HOSPITALITY_REQUEST = "hospitality.request"
    HOSPITALITY_VIEW_BRANCH = "hospitality.view_branch"  # every application/claim of own branches
    HOSPITALITY_VIEW_ALL = "hospitality.view_all"
    HOSPITALITY_CHECK = "hospitality.check"  # finance: assess claims, correct lines, record payment
    HOSPITALITY_POLICY = "hospitality.policy"  # policy versions and designated venues

    APPROVALS_CONFIGURE = "approvals.configure"  # edit approval chains

    CUSTOMERS_VIEW_ALL = "customers.view_all"
    CUSTOMERS_VIEW_OWN = "customers.view_own"  # a salesperson (市场业务员): see Tenant.customer_reach_policy
    CUSTOMERS_VIEW_BRANCH = "customers.view_branch"  # customers and visits of the assigned branches
    CUSTOMERS_EDIT = "customers.edit"
    CUSTOMERS_EXPORT = "customers.export"
    CUSTOMERS_IMPORT = "customers.import"
    CUSTOMERS_ACCESS_LOG = "customers.access_log"
    CUSTOMERS_REQUEST_ACCESS = "customers.request_access"

    SUBMISSIONS_CONFIGURE = "submissions.configure"  # submission rules (汇报规则): templates, cadences, deadlines
    LEADERS_DASHBOARD = "leaders.dashboard"  # 经营看板: charts of the reachable branches (issue 20)
    MEETINGS_VIEW = "meetings.view"  # 市场部月例会: packs and minutes (issue 20)
    MEETINGS_MANAGE = "meetings.manage"  # record minutes, decisions, action items; close a meeting

    MATERIALS_REQUEST = "materials.request"  # a branch requests materials from HQ stock (物料请购)
    MATERIALS_MANAGE = "materials.manage"  # HQ stock, dispatch, every branch's material requests
    MATERIALS_VIEW_ALL = "materials.view_all"  # read every branch's material requests and the stock
    LIBRARY_MANAGE = "library.manage"  # publish uniform templates (宣传物料全国统一版本) and their versions
    WORKFLOWS_REQUEST = "workflows.request"  # file requests on the tenant's approval forms (审批表单)
    WORKFLOWS_CONFIGURE = "workflows.configure"  # build approval forms, publish versions
    WORKFLOWS_VIEW_ALL = "workflows.view_all"  # every request of every approval form

    # Dealers and repair shops (customers/partners, docs/partners.md)
    PARTNERS_VIEW_ALL = "partners.view_all"  # every partner and agreement
    PARTNERS_VIEW_BRANCH = "partners.view_branch"  # partners served by the assigned branches
    PARTNERS_VIEW_OWN = "partners.view_own"  # partners the salesperson serves or signed
    PARTNERS_REGION = "partners.region"  # operations: the regions of the assigned branches (all without any)
    PARTNERS_FILE = "partners.file"  # file the day's signings, register partners, post originals
    PARTNERS_MANAGE = "partners.manage"  # marketing: receive / archive originals, types, settings, any edit
    BUDGETS_MANAGE = "budgets.manage"  # expense budgets per branch/department and month/year (S001-13)
    RECEIVABLES_MANAGE = "receivables.manage"  # import finance's receivables sheet, flag doubtful/bad (呆账/坏账)


_EXEC_READ = {
    Cap.BRANCHES_ALL,
    Cap.REPORTS_VIEW_ALL,
    Cap.SUMMARIES_VIEW,
    Cap.EXPENSES_VIEW_ALL,
    Cap.HOSPITALITY_VIEW_ALL,
    Cap.CUSTOMERS_VIEW_ALL,
    Cap.CUSTOMERS_EXPORT,
    Cap.CONTRACTS_VIEW_ALL,
    Cap.PRODUCTS_VIEW_ALL,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.TENANT_ADMIN: frozenset(
        {
            Cap.TENANT_MANAGE,
            Cap.AUDIT_VIEW,
            Cap.BRANCHES_ALL,
            Cap.APPROVALS_CONFIGURE,
            Cap.REPORTS_CALENDAR,
            Cap.SUMMARIES_MANAGE,
            Cap.SUMMARIES_VIEW,
            Cap.CUSTOMERS_ACCESS_LOG,
            Cap.CUSTOMERS_REQUEST_ACCESS,
            Cap.SUBMISSIONS_CONFIGURE,
            Cap.HOSPITALITY_POLICY,
        }
    ),
    Role.GENERAL_MANAGER: frozenset(_EXEC_READ | {Cap.AUDIT_VIEW, Cap.CUSTOMERS_ACCESS_LOG}),
    Role.EXECUTIVE_DIRECTOR: frozenset(_EXEC_READ),
    Role.GM_ASSISTANT: frozenset(_EXEC_READ),
    Role.MARKETING_DIRECTOR: frozenset(
        _EXEC_READ
        | {
            Cap.REPORTS_IMPORT,
            Cap.REPORTS_CALENDAR,
            Cap.TARGETS_EDIT,
            Cap.SUMMARIES_MANAGE,
            Cap.CONTRACTS_MANAGE,
            Cap.CUSTOMERS_EDIT,
            Cap.CUSTOMERS_IMPORT,
            Cap.PRODUCTS_REQUEST,
            Cap.PRODUCTS_MANAGE,
            Cap.PRICELIST_EDIT,
            Cap.SUBMISSIONS_CONFIGURE,
        }
        | {Cap.BUDGETS_MANAGE}
    ),
    Role.MARKETING_SPECIALIST: frozenset(
        {
            Cap.BRANCHES_ALL,
            Cap.REPORTS_VIEW_ALL,
            Cap.REPORTS_IMPORT,
            Cap.REPORTS_CALENDAR,
            Cap.TARGETS_EDIT,
            Cap.SUMMARIES_VIEW,
            Cap.SUMMARIES_MANAGE,
            Cap.CONTRACTS_MANAGE,
            Cap.EXPENSES_VIEW_ALL,
            Cap.CUSTOMERS_REQUEST_ACCESS,
            Cap.CONTRACTS_VIEW_ALL,
            Cap.PRODUCTS_REQUEST,
            Cap.PRODUCTS_VIEW_ALL,
            Cap.PRODUCTS_MANAGE,
            Cap.PRICELIST_EDIT,
        }
    ),
    Role.FINANCE: frozenset(
        {Cap.BRANCHES_ALL, Cap.REPORTS_IMPORT, Cap.EXPENSES_VIEW_ALL, Cap.EXPENSES_PAY, Cap.CUSTOMERS_REQUEST_ACCESS,
         Cap.CONTRACTS_VIEW_ALL, Cap.PRODUCTS_VIEW_ALL}
        | {Cap.HOSPITALITY_VIEW_ALL, Cap.HOSPITALITY_CHECK, Cap.HOSPITALITY_POLICY}
        | {Cap.BUDGETS_MANAGE}
        | {Cap.RECEIVABLES_MANAGE}
    ),
    Role.OPERATIONS: frozenset({Cap.BRANCHES_ALL, Cap.CONTRACTS_MANAGE, Cap.CUSTOMERS_REQUEST_ACCESS,
                                 Cap.CONTRACTS_VIEW_ALL, Cap.PRODUCTS_VIEW_ALL, Cap.PRICELIST_IMPLEMENT}),
    Role.PRODUCT_DESIGN: frozenset({Cap.BRANCHES_ALL, Cap.CUSTOMERS_REQUEST_ACCESS, Cap.PRODUCTS_VIEW_ALL}),
    Role.HR: frozenset({Cap.BRANCHES_ALL, Cap.REPORTS_IMPORT, Cap.CUSTOMERS_REQUEST_ACCESS}),
    Role.BRANCH_GM: frozenset(
        {
            Cap.REPORTS_FILE,
            Cap.REPORTS_BOARD_BRANCH,
            # No TARGETS_EDIT: a branch GM's targets come through the reviewed 销售月度考核目标
            # rule (S000-31 / S001-11), never lowered unreviewed; they read them on 月度目标.
            Cap.SUMMARIES_VIEW,
            Cap.CONTRACTS_REQUEST,
            Cap.EXPENSES_REQUEST,
            Cap.HOSPITALITY_REQUEST,
            Cap.HOSPITALITY_VIEW_BRANCH,
            Cap.CUSTOMERS_REQUEST_ACCESS,
            Cap.PRODUCTS_REQUEST,
            Cap.PRICELIST_CONFIRM,
        }
    ),
    Role.BRANCH_CASHIER: frozenset({Cap.EXPENSES_REQUEST, Cap.CUSTOMERS_REQUEST_ACCESS}),
    Role.REGIONAL_MANAGER: frozenset(
        {
            Cap.CONTRACTS_REQUEST,
            Cap.EXPENSES_REQUEST,
            Cap.HOSPITALITY_REQUEST,
            Cap.CUSTOMERS_VIEW_BRANCH,  # 大区经理 建立健全销售档案 (S001-15)
            Cap.CUSTOMERS_REQUEST_ACCESS,
        }
    ),
    Role.SALESPERSON: frozenset(
        {
            Cap.CONTRACTS_REQUEST,
            Cap.EXPENSES_REQUEST,
            Cap.HOSPITALITY_REQUEST,
            Cap.CUSTOMERS_VIEW_OWN,
            Cap.CUSTOMERS_EDIT,
            Cap.CUSTOMERS_REQUEST_ACCESS,  # under the "own customers" policy (S003-18)
            Cap.PRODUCTS_REQUEST,
        }
    ),
}

# Materials (marketing/materials): added to the roles here so the table above stays untouched.
_MATERIALS_CAPS = {
    Role.BRANCH_GM: {Cap.MATERIALS_REQUEST},
    Role.SALESPERSON: {Cap.MATERIALS_REQUEST},
    Role.MARKETING_SPECIALIST: {Cap.MATERIALS_MANAGE, Cap.LIBRARY_MANAGE},
    Role.MARKETING_DIRECTOR: {Cap.MATERIALS_MANAGE, Cap.LIBRARY_MANAGE},
    Role.GENERAL_MANAGER: {Cap.MATERIALS_VIEW_ALL},
    Role.EXECUTIVE_DIRECTOR: {Cap.MATERIALS_VIEW_ALL},
    Role.GM_ASSISTANT: {Cap.MATERIALS_VIEW_ALL},
}
for _role, _caps in _MATERIALS_CAPS.items():
    CAPABILITIES[_role] = CAPABILITIES[_role] | _caps
# Issue 15 (approval forms): additive grants.
for _role in Role:
    CAPABILITIES[_role] = CAPABILITIES.get(_role, frozenset()) | {Cap.WORKFLOWS_REQUEST}
for _role in (Role.TENANT_ADMIN, Role.MARKETING_DIRECTOR):
    CAPABILITIES[_role] = CAPABILITIES[_role] | {Cap.WORKFLOWS_CONFIGURE, Cap.WORKFLOWS_VIEW_ALL}
for _role in (Role.GENERAL_MANAGER, Role.EXECUTIVE_DIRECTOR):
    CAPABILITIES[_role] = CAPABILITIES[_role] | {Cap.WORKFLOWS_VIEW_ALL}

# Issue 20 (经营看板, 市场部月例会): appended, not merged into the table above, to keep the diff additive.
for _role, _caps in {
    Role.GENERAL_MANAGER: {Cap.LEADERS_DASHBOARD, Cap.MEETINGS_VIEW, Cap.MEETINGS_MANAGE},
    Role.EXECUTIVE_DIRECTOR: {Cap.LEADERS_DASHBOARD, Cap.MEETINGS_VIEW},
    Role.GM_ASSISTANT: {Cap.LEADERS_DASHBOARD, Cap.MEETINGS_VIEW},
    Role.MARKETING_DIRECTOR: {Cap.LEADERS_DASHBOARD, Cap.MEETINGS_VIEW, Cap.MEETINGS_MANAGE},
    Role.MARKETING_SPECIALIST: {Cap.LEADERS_DASHBOARD, Cap.MEETINGS_VIEW, Cap.MEETINGS_MANAGE},
    Role.BRANCH_GM: {Cap.LEADERS_DASHBOARD},
}.items():
    CAPABILITIES[_role] = CAPABILITIES[_role] | _caps

# Dealers and repair shops (customers/partners): appended here so the table above stays as it was.
_PARTNER_CAPS = {
    Role.GENERAL_MANAGER: {Cap.PARTNERS_VIEW_ALL},
    Role.EXECUTIVE_DIRECTOR: {Cap.PARTNERS_VIEW_ALL},
    Role.GM_ASSISTANT: {Cap.PARTNERS_VIEW_ALL},
    Role.MARKETING_DIRECTOR: {Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_MANAGE, Cap.PARTNERS_FILE},
    Role.MARKETING_SPECIALIST: {Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_MANAGE, Cap.PARTNERS_FILE},
    Role.OPERATIONS: {Cap.PARTNERS_REGION, Cap.PARTNERS_FILE},
    Role.BRANCH_GM: {Cap.PARTNERS_VIEW_BRANCH, Cap.PARTNERS_FILE},
    Role.REGIONAL_MANAGER: {Cap.PARTNERS_VIEW_BRANCH},
    Role.SALESPERSON: {Cap.PARTNERS_VIEW_OWN},
}
for _role, _caps in _PARTNER_CAPS.items():
    CAPABILITIES[_role] = CAPABILITIES[_role] | _caps

ALL_CAPABILITIES = frozenset(v for k, v in vars(Cap).items() if k.isupper())

CAPABILITY_LABELS: dict[str, str] = {
    Cap.TENANT_MANAGE: _("管理用户、角色、地区、分公司和设置"),
    Cap.AUDIT_VIEW: _("查看审计日志"),
    Cap.BRANCHES_ALL: _("查看所有分公司"),
    Cap.REPORTS_FILE: _("填报本分公司日报"),
    Cap.REPORTS_VIEW_ALL: _("查看所有分公司日报与填报看板"),
    Cap.REPORTS_BOARD_BRANCH: _("查看本人所辖分公司的日报看板"),
    Cap.REPORTS_IMPORT: _("导入人事、回款、目标数据"),
    Cap.REPORTS_CALENDAR: _("维护工作日历"),
    Cap.TARGETS_EDIT: _("维护月度目标"),
    Cap.SUMMARIES_VIEW: _("查看每日汇总"),
    Cap.SUMMARIES_MANAGE: _("管理汇总收件人与重发"),
    Cap.CONTRACTS_REQUEST: _("申领合同"),
    Cap.CONTRACTS_MANAGE: _("管理产品、合同审核与台账"),
    Cap.CONTRACTS_VIEW_ALL: _("查看所有分公司的合同与申领"),
    Cap.PRODUCTS_REQUEST: _("发起产品设计审批"),
    Cap.PRODUCTS_VIEW_ALL: _("查看全部产品与设计申请"),
    Cap.PRODUCTS_MANAGE: _("产品上线、停用与动销率达标线"),
    Cap.PRICELIST_EDIT: _("编辑与发布产品体系报价表"),
    Cap.PRICELIST_CONFIRM: _("确认产品体系报价表"),
    Cap.PRICELIST_IMPLEMENT: _("登记报价表运营系统落实"),
    Cap.EXPENSES_REQUEST: _("申请营销费用"),
    Cap.EXPENSES_VIEW_ALL: _("查看所有营销费用申请"),
    Cap.EXPENSES_PAY: _("登记营销费用发放"),
    Cap.HOSPITALITY_REQUEST: _("申请业务招待费"),
    Cap.HOSPITALITY_VIEW_BRANCH: _("查看本分公司的业务招待费"),
    Cap.HOSPITALITY_VIEW_ALL: _("查看所有业务招待费"),
    Cap.HOSPITALITY_CHECK: _("审核招待费报销并登记支付"),
    Cap.HOSPITALITY_POLICY: _("维护招待政策与定点场所"),
    Cap.APPROVALS_CONFIGURE: _("配置审批流程"),
    Cap.CUSTOMERS_VIEW_ALL: _("查看全部客户档案"),
    Cap.CUSTOMERS_VIEW_OWN: _("作为市场业务员查询客户档案（范围按租户的档案查询权限）"),
    Cap.CUSTOMERS_VIEW_BRANCH: _("查看所辖分公司的客户档案与拜访记录"),
    Cap.CUSTOMERS_EDIT: _("编辑客户档案"),
    Cap.CUSTOMERS_EXPORT: _("导出与打印客户档案"),
    Cap.CUSTOMERS_IMPORT: _("导入客户档案"),
    Cap.CUSTOMERS_ACCESS_LOG: _("查看客户档案访问日志"),
    Cap.CUSTOMERS_REQUEST_ACCESS: _("申请查看单个客户档案"),
    Cap.SUBMISSIONS_CONFIGURE: _("配置计划与定期报表规则"),
    Cap.MATERIALS_REQUEST: _("申请物料（物料请购）"),
    Cap.MATERIALS_MANAGE: _("管理总部物料库存与发货"),
    Cap.MATERIALS_VIEW_ALL: _("查看所有分公司的物料请购与库存"),
    Cap.LIBRARY_MANAGE: _("发布统一版本模板"),
    Cap.LEADERS_DASHBOARD: _("查看经营看板"),
    Cap.MEETINGS_VIEW: _("查看市场部月例会资料与纪要"),
    Cap.MEETINGS_MANAGE: _("记录月例会纪要、决议与待办"),
    Cap.WORKFLOWS_REQUEST: _("填写审批表单"),
    Cap.WORKFLOWS_CONFIGURE: _("设计审批表单"),
    Cap.WORKFLOWS_VIEW_ALL: _("查看所有审批表单申请"),
    Cap.PARTNERS_VIEW_ALL: _("查看全部合作单位与协议"),
    Cap.PARTNERS_VIEW_BRANCH: _("查看所辖分公司的合作单位与协议"),
    Cap.PARTNERS_VIEW_OWN: _("查看本人服务的合作单位"),
    Cap.PARTNERS_REGION: _("按所辖地区登记与查看合作单位（地区运营）"),
    Cap.PARTNERS_FILE: _("上报当日签约、登记合作单位、寄出原件"),
    Cap.PARTNERS_MANAGE: _("签收与归档协议原件、维护类型与设置"),
    Cap.BUDGETS_MANAGE: _("维护费用预算"),
    Cap.RECEIVABLES_MANAGE: _("导入应收账款并认定呆账/坏账"),
}


# Seed 003 档案 (4)(8), S003-15: the marketing supervisor (市场主管) organises customer management
# and keeps the archive current (不断更新调整, 跟踪记录): reads and edits every customer, builds the
# archive cards from questionnaires (import), reassigns owners. Not in 档案 (3)'s copy rights: no
# export or print, no access log, nothing outside the archive. Appended so the table stays as it was.
CAPABILITIES[Role.MARKETING_SUPERVISOR] = frozenset(
    {
        Cap.BRANCHES_ALL,
        Cap.CUSTOMERS_VIEW_ALL,
        Cap.CUSTOMERS_EDIT,
        Cap.CUSTOMERS_IMPORT,
        Cap.WORKFLOWS_REQUEST,
    }
)

# --- which capabilities exist ----------------------------------------------------------------
# The table above may name a capability before anything implements it (contracts.request while
# contracts/ has no pages). What a user "can do" lists only capabilities installed code really
# checks: a view guarded by ``tenant_view`` / ``TenantViewMixin`` (they register themselves when
# the view module is imported), a navigation entry whose page exists, or an explicit
# ``provide_capabilities`` by the module that checks one inline (a reach rule such as
# BRANCHES_ALL). So a new app's capability appears on the user page as soon as its pages exist.
_PROVIDED: set[str] = set()


def provide_capabilities(*caps: str) -> None:
    unknown = set(caps) - ALL_CAPABILITIES
    if unknown:
        raise ValueError(f"unknown capabilities: {sorted(unknown)}")
    _PROVIDED.update(caps)


def implemented_capabilities() -> frozenset[str]:
    from django.urls import NoReverseMatch, get_resolver, reverse

    from .navigation import all_items

    get_resolver().url_patterns  # noqa: B018  (imports every view module: their guards register)
    caps = set(_PROVIDED)
    for item in all_items():
        try:
            reverse(item.url_name)
        except NoReverseMatch:
            continue
        caps.update(item.capabilities)
    return frozenset(caps & ALL_CAPABILITIES)


def capabilities_for(roles) -> frozenset[str]:
    caps: set[str] = set()
    for role in roles:
        caps |= CAPABILITIES.get(role, frozenset())
    return frozenset(caps)


# --- people (issue 19: roster accounts, transfers, departure handover) -- appended --------------
Cap.PEOPLE_MANAGE = "people.manage"  # roster reconciliation, role mapping, invitations, transfers, every departure
Cap.PEOPLE_HANDOVER = "people.handover"  # departures and handover of the people in one's reach (a GM: own branches)
for _role, _caps in {
    Role.TENANT_ADMIN: {Cap.PEOPLE_MANAGE, Cap.PEOPLE_HANDOVER},
    Role.HR: {Cap.PEOPLE_MANAGE, Cap.PEOPLE_HANDOVER},
    Role.BRANCH_GM: {Cap.PEOPLE_HANDOVER},
    Role.MARKETING_DIRECTOR: {Cap.PEOPLE_HANDOVER},
    Role.GENERAL_MANAGER: {Cap.PEOPLE_HANDOVER},
}.items():
    CAPABILITIES[_role] = CAPABILITIES[_role] | _caps
ALL_CAPABILITIES = frozenset(v for k, v in vars(Cap).items() if k.isupper())
CAPABILITY_LABELS[Cap.PEOPLE_MANAGE] = _("花名册对账、岗位角色对照、邀请、调岗与全部离职交接")
CAPABILITY_LABELS[Cap.PEOPLE_HANDOVER] = _("办理所辖人员的离职交接")
