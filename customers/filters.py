import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch, User
from marketing.selectors import visible_branches

from . import selectors
from .crypto import normalize_phone, phone_hash
from .models import AccessAction, Contact, Customer, CustomerAccessLog, Industry, Tag, VisitType
from .stages import stage_set


def _branch_choices(membership):
    if selectors.reads_whole_archive(membership):
        return Branch.objects.filter(tenant_id=membership.tenant_id).select_related("region")
    return visible_branches(membership=membership)


class CustomerFilter(TenantFilterSet):
    q = django_filters.CharFilter(
        label=_("客户名称"), method="by_name", widget=forms.TextInput(attrs={"placeholder": _("名称关键字")})
    )
    phone = django_filters.CharFilter(
        label=_("电话（精确）"), method="by_phone", widget=forms.TextInput(attrs={"placeholder": "138…"})
    )
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    owner = django_filters.ModelChoiceFilter(label=_("负责销售"), queryset=User.objects.none())
    industry = django_filters.ChoiceFilter(label=_("行业"), choices=Industry.choices)
    stage = django_filters.ChoiceFilter(label=_("阶段"), choices=[])
    tag = django_filters.ModelChoiceFilter(label=_("标签"), field_name="tags", queryset=Tag.objects.none())
    followup = django_filters.ChoiceFilter(
        label=_("回访"), method="by_followup",
        choices=[("overdue", _("逾期未回访")), ("soon", _("7 天内到期"))],
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.filters["branch"].queryset = _branch_choices(membership)
        # Only what the option needs (value + display name), not 200 full user rows.
        self.filters["owner"].queryset = selectors.owner_filter_choices(membership=membership).only(
            "pk", "full_name", "username"
        )
        self.filters["tag"].queryset = selectors.tags(tenant=membership.tenant)
        # Every stage of the tenant, retired ones too: customers may still sit in them.
        self.filters["stage"].extra["choices"] = [(s.code, s.display) for s in stage_set(membership.tenant)]
        self.phone_searched = False

    def by_followup(self, queryset, name, value):
        from django.utils import timezone

        from . import followups

        today = timezone.localdate()
        if value == "overdue":
            return followups.overdue(queryset, today=today).order_by("followup_on", "id")
        return followups.due_soon(queryset, today=today).order_by("followup_on", "id")

    def by_name(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip())

    def by_phone(self, queryset, name, value):
        if not normalize_phone(value):
            return queryset
        # Exact match through the keyed hash: the customer's own number or any contact's.
        digest = phone_hash(value)
        self.phone_searched = True
        # A UNION of two indexed lookups (an OR across the two tables would scan the archive).
        own = Customer.objects.filter(tenant=self.tenant, phone_hash=digest).order_by().values("pk")
        contacts = Contact.objects.filter(tenant=self.tenant, phone_hash=digest).order_by().values("customer_id")
        return queryset.filter(pk__in=own.union(contacts))


class VisitFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("客户名称"), field_name="customer__name", lookup_expr="icontains")
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), field_name="customer__branch", queryset=Branch.objects.none())
    visited_by = django_filters.ModelChoiceFilter(label=_("拜访人"), queryset=User.objects.none())
    visit_type = django_filters.ChoiceFilter(label=_("方式"), choices=VisitType.choices)
    since = django_filters.DateFilter(label=_("起始日期"), field_name="visited_on", lookup_expr="gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("截止日期"), field_name="visited_on", lookup_expr="lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.filters["branch"].queryset = _branch_choices(membership)
        visitors = selectors.visits(membership=membership).values("visited_by_id")
        self.filters["visited_by"].queryset = (
            User.objects.filter(pk__in=visitors).order_by("full_name").only("pk", "full_name", "username")
        )


class AccessLogFilter(TenantFilterSet):
    customer = django_filters.NumberFilter(label=_("客户编号"), field_name="customer_id")
    customer_name = django_filters.CharFilter(label=_("客户名称"), field_name="customer__name", lookup_expr="icontains")
    user = django_filters.ModelChoiceFilter(label=_("用户"), queryset=User.objects.none())
    action = django_filters.ChoiceFilter(label=_("方式"), choices=AccessAction.choices)
    since = django_filters.DateFilter(label=_("起始日期"), field_name="at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("截止日期"), field_name="at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = CustomerAccessLog
        fields = ["customer", "customer_name", "user", "action", "since", "until"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["user"].queryset = User.objects.filter(membership__tenant=tenant).order_by("full_name")
