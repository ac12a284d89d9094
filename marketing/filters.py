import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Branch, Membership, User
from .roles import Role
from .widgets import speed_up


class TenantFilterSet(django_filters.FilterSet):
    """A FilterSet whose relation choices are built from the request's tenant. Use
    ``ModelChoiceFilter(queryset=tenant_queryset(Model))`` for every relation filter."""

    def __init__(self, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    @property
    def form(self):
        if getattr(self, "_tenant_form_ready", False):
            return self._form
        form = super().form
        # Filter fields get their own ids: a page with a filter and a form of the same fields
        # (e.g. 分公司, 月份) must not carry duplicate ids (labels would point at the wrong box).
        form.auto_id = "filter_%s"
        # Select boxes say 全部 ("all") rather than Django's "---------".
        for field in form.fields.values():
            if getattr(field, "empty_label", None) == "---------":
                field.empty_label = _("全部")
        # Dropdowns rendered in Python, not one template include per option (docs/performance.md).
        speed_up(form)
        self._tenant_form_ready = True
        return form


def tenant_queryset(model, **extra):
    """Callable queryset for django-filter: evaluated per request, scoped to its tenant."""

    def build(request):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return model.objects.none()
        return model.objects.filter(tenant=tenant, **extra)

    return build


class MemberFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search", widget=forms.TextInput(attrs={"placeholder": _("姓名/用户名/邮箱")}))
    role = django_filters.ChoiceFilter(
        label=_("角色"), choices=Role.choices, field_name="role_assignments__role", empty_label=_("全部")
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("分公司"), queryset=tenant_queryset(Branch), method="by_branch", empty_label=_("全部")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("状态"), choices=[("1", _("在职")), ("0", _("已停用"))], method="by_active", empty_label=_("全部")
    )

    class Meta:
        model = Membership
        fields = ["q", "role", "branch", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(user__full_name__icontains=value) | Q(user__username__icontains=value) | Q(user__email__icontains=value)
        )

    def by_active(self, queryset, name, value):
        return queryset.filter(is_active=(value == "1"))

    def by_branch(self, queryset, name, value):
        return queryset.filter(
            user__branchuserobjectpermission__content_object=value,
        )

    @property
    def qs(self):
        return super().qs.distinct()


class AuditFilter(TenantFilterSet):
    verb = django_filters.CharFilter(label=_("事件"), lookup_expr="startswith")
    actor = django_filters.ModelChoiceFilter(label=_("操作人"), queryset=None, empty_label=_("全部"))
    object_label = django_filters.CharFilter(label=_("对象"), method="by_label")
    since = django_filters.DateFilter(label=_("起始日期"), field_name="created_at", lookup_expr="date__gte", widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("截止日期"), field_name="created_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields = ["verb", "actor", "object_label", "since", "until"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["actor"].queryset = User.objects.filter(membership__tenant=tenant).order_by("full_name")

    def by_label(self, queryset, name, value):
        """Never a side channel into confidential records: the label search matches only
        events whose object the reader may see (marketing.audit.label_search_q)."""
        from .audit import label_search_q

        return queryset.filter(object_label__icontains=value).filter(label_search_q(self.request))
