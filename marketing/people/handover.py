"""The handover checklist (离职交接清单): one line per provider, computed live from every app.

A provider lives here (not in the other apps, which this issue does not edit) and reads the
other app's models. Each line says how many things the departing person still holds; a line
is *done* when the live count is 0, *waived* when someone entitled gave a reason, else
*open*. Adding an app's line = one ``register(Provider(...))`` below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.roles import Cap

# How a line is resolved on the departure page (besides a waiver):
COLLEAGUE = "colleague"  # pick a colleague: everything goes to them
COLLEAGUE_OR_REASON = "colleague_or_reason"  # a colleague, or a reason (e.g. contracts voided)
END = "end"  # one button: end / revoke everything
ELSEWHERE = "elsewhere"  # finished in its own app (link), or waived


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    order: int
    count: Callable  # (departure) -> int
    waive_caps: tuple[str, ...]  # any of these (and reach) may waive
    resolve: str = ELSEWHERE
    detail: Callable | None = None  # (departure) -> str, e.g. the amount owed
    hint: str = ""
    link: Callable | None = field(default=None)  # () -> path of the app page where it is finished


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    _PROVIDERS[provider.key] = provider


def providers() -> list[Provider]:
    return sorted(_PROVIDERS.values(), key=lambda p: p.order)


def get(key: str) -> Provider:
    return _PROVIDERS[key]


@dataclass
class Line:
    provider: Provider
    count: int
    detail: str
    waiver: object | None

    @property
    def status(self) -> str:
        if self.count == 0:
            return "done"
        return "waived" if self.waiver is not None else "open"

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def checklist(departure) -> list[Line]:
    """Every line, live: one count query per provider plus one for the waivers."""
    waivers = {w.line: w for w in departure.waivers.select_related("waived_by")}
    lines = []
    for p in providers():
        n = p.count(departure)
        lines.append(Line(provider=p, count=n, detail=p.detail(departure) if (p.detail and n) else "",
                          waiver=waivers.get(p.key)))
    return lines


def open_lines(departure) -> list[Line]:
    return [line for line in checklist(departure) if line.is_open]


# --- the providers ------------------------------------------------------------------------


def _customers(d):
    from customers.models import Customer

    return Customer.objects.filter(tenant_id=d.tenant_id, owner_id=d.user_id)


def _tasks(d):
    from marketing.approvals.models import ApprovalTask, TaskStatus

    return ApprovalTask.objects.filter(tenant_id=d.tenant_id, assignee_id=d.user_id, status=TaskStatus.PENDING)


def _delegations(d):
    from marketing.approvals.models import ApprovalDelegation

    today = timezone.localdate()
    return ApprovalDelegation.objects.filter(
        Q(delegator_id=d.user_id) | Q(delegate_id=d.user_id), tenant_id=d.tenant_id, revoked_at__isnull=True,
        ends_on__gte=today,
    )


def _contracts(d):
    from contracts.models import Contract, ContractState

    return Contract.objects.filter(tenant_id=d.tenant_id, holder_id=d.user_id, state=ContractState.RECEIVED)


def _expenses(d):
    from expenses.models import ExpenseRequest, ExpenseStatus

    return ExpenseRequest.objects.filter(
        tenant_id=d.tenant_id, applicant_id=d.user_id,
        status__in=[ExpenseStatus.DRAFT, ExpenseStatus.SUBMITTED, ExpenseStatus.REJECTED],
    )


def _hosp_applications(d):
    from expenses.hospitality.models import ApplicationStatus, HospitalityApplication

    return HospitalityApplication.objects.filter(
        tenant_id=d.tenant_id, applicant_id=d.user_id,
        status__in=[ApplicationStatus.EMERGENCY, ApplicationStatus.SUBMITTED],
    )


def _hosp_claims(d):
    from expenses.hospitality.models import ClaimStatus, HospitalityClaim

    return HospitalityClaim.objects.filter(
        tenant_id=d.tenant_id, applicant_id=d.user_id,
        status__in=[ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.REJECTED],
    )


def _unsettled(d):
    from expenses.hospitality.models import ClaimStatus, HospitalityClaim

    return HospitalityClaim.objects.filter(
        tenant_id=d.tenant_id, applicant_id=d.user_id, personal_share__gt=0,
        status__in=[ClaimStatus.SUBMITTED, ClaimStatus.APPROVED],
    )


def unsettled_amount(d) -> Decimal:
    return _unsettled(d).aggregate(s=Sum("personal_share"))["s"] or Decimal("0.00")


def _grants(d):
    from customers.models import CustomerUserObjectPermission

    return CustomerUserObjectPermission.objects.filter(tenant_id=d.tenant_id, user_id=d.user_id)


def _submissions(d):
    from reports.submissions.models import Submission, SubmissionStatus

    return Submission.objects.filter(
        tenant_id=d.tenant_id, submitter_id=d.user_id, status__in=[SubmissionStatus.DRAFT, SubmissionStatus.RETURNED]
    )


def _submissions_detail(d) -> str:
    rows = list(_submissions(d).select_related("rule").order_by("period", "pk")[:4])
    text = "、".join(f"{s.rule.name} {s.period:%Y-%m-%d}" for s in rows[:3])
    return text + ("…" if len(rows) > 3 else "")


def _recipients(d):
    from reports.models import RecipientOverride

    return RecipientOverride.objects.filter(tenant_id=d.tenant_id, user_id=d.user_id, include=True)


def _bindings(d):
    from allauth.socialaccount.models import SocialAccount

    return SocialAccount.objects.filter(user_id=d.user_id)


register(Provider(
    "customers", _("负责的客户"), 10, lambda d: _customers(d).count(), (Cap.PEOPLE_HANDOVER,), COLLEAGUE,
    hint=_("交给一位同事（全部）；单个客户可在客户档案中逐一转交。"),
))
register(Provider(
    "approvals", _("等待其处理的审批"), 20, lambda d: _tasks(d).count(), (Cap.PEOPLE_MANAGE,), COLLEAGUE,
    hint=_("转交给所选同事；所选同事不能处理的步骤转给该步骤的其他候选人。"),
))
register(Provider(
    "delegations", _("审批委托（委托他人或受托）"), 30, lambda d: _delegations(d).count(), (Cap.PEOPLE_HANDOVER,), END,
    hint=_("全部结束。"),
))
register(Provider(
    "contracts", _("已领取未使用的空白合同"), 40, lambda d: _contracts(d).count(), (Cap.CONTRACTS_MANAGE,),
    COLLEAGUE_OR_REASON, hint=_("交给本分公司的同事，或填写原因回收作废；台账须平衡。"),
))
register(Provider(
    "expenses", _("未完成的营销费用申请"), 50, lambda d: _expenses(d).count(), (Cap.EXPENSES_PAY,), ELSEWHERE,
    hint=_("由本人完成或撤回，或由财务豁免。"),
))
register(Provider(
    "hospitality", _("未完成的招待申请与报销"), 60,
    lambda d: _hosp_applications(d).count() + _hosp_claims(d).count(), (Cap.HOSPITALITY_CHECK,), ELSEWHERE,
    hint=_("由本人完成或撤回，或由财务豁免。"),
))
register(Provider(
    "settlement", _("个人自理款项未清算（帐务清算）"), 70, lambda d: _unsettled(d).count(), (Cap.HOSPITALITY_CHECK,),
    ELSEWHERE, detail=lambda d: str(_("应收个人 ¥%(a)s")) % {"a": f"{unsettled_amount(d):,.2f}"},
    hint=_("由财务清算后豁免并注明。"),
))
register(Provider(
    "grants", _("客户档案共享与临时授权"), 80, lambda d: _grants(d).count(), (Cap.PEOPLE_MANAGE,), END,
    hint=_("全部收回（最后工作日结束时也会自动收回）。"),
))
register(Provider(
    "submissions", _("到期未交的计划与报表"), 90, lambda d: _submissions(d).count(), (Cap.PEOPLE_HANDOVER,), COLLEAGUE,
    detail=lambda d: _submissions_detail(d),
    hint=_("转给所选同事（须为该报表的填报角色、同一分公司、没有同期报表）；其余由本人提交，或由上级豁免。"
           "有接替人时，最后工作日结束时也会自动转给接替人。"),
))
register(Provider(
    "chains", _("仅由其处理的审批步骤"), 100, lambda d: len(stranded_steps(tenant=d.tenant, user=d.user)),
    (Cap.APPROVALS_CONFIGURE,), ELSEWHERE, hint=_("请系统管理员在审批流程配置中更换处理人。"),
))
register(Provider(
    "recipients", _("每日汇总的额外收件人"), 105, lambda d: _recipients(d).count(), (Cap.PEOPLE_HANDOVER,), COLLEAGUE,
    hint=_("改由所选同事接收。"),
))
register(Provider(
    "bindings", _("企业微信/钉钉/飞书登录绑定"), 110, lambda d: _bindings(d).count(), (Cap.PEOPLE_MANAGE,), END,
    hint=_("解除绑定（最后工作日结束时也会自动解除）。"),
))


def stranded_steps(*, tenant, user) -> list[str]:
    """Configured chain steps whose only named signer is ``user``, with what the engine does
    once they are disabled (it falls back to the step's position / role, else the document's
    branch GM: marketing/approvals/selectors.py ``people_for``), and steps on a position they
    alone hold with no role to fall back to. The admin should still name someone else."""
    from marketing.approvals.models import ApprovalChainStep, PositionHolder

    found = []
    for step in ApprovalChainStep.objects.filter(tenant=tenant).select_related("chain", "approver_position"):
        if step.approver_users and set(step.approver_users) == {user.pk}:
            if step.approver_position_id or step.role:
                who = "、".join(str(x) for x in (step.approver_position, step.get_role_display()) if x)
                then = _("离职后改由%(who)s处理") % {"who": who}
            else:
                then = _("离职后改由单据所属分公司的总经理处理，没有分公司的单据将无人可签")
            found.append(f"{step.chain.document_type} · {step.name}（{then}）")
    sole = (
        PositionHolder.objects.filter(tenant=tenant, position__holders__user=user).values("position_id")
    )
    positions = {}
    for holder in PositionHolder.objects.filter(tenant=tenant, position_id__in=sole).select_related("position"):
        positions.setdefault(holder.position_id, set()).add(holder.user_id)
    lonely = {pid for pid, users in positions.items() if users == {user.pk}}
    if lonely:
        for step in ApprovalChainStep.objects.filter(tenant=tenant, approver_position_id__in=lonely, role="",
                                                     approver_users=[]).select_related("chain"):
            found.append(f"{step.chain.document_type} · {step.name}")
    return found
