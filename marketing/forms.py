import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

from .models import Branch, Region, Tenant, TenantOwned
from .roles import BRANCH_ROLES, Role
from .services import TENANT_SETTINGS_FIELDS


def service_errors(form, exc: ValidationError) -> None:
    """A service's refusal onto the form that sent it: field errors under their field (or at
    the top when the form has no such field), the others at the top. The one copy every view
    uses."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def tenant_safe_formfield(db_field, **kwargs):
    """ModelForm field factory: relation fields to tenant-owned models start with an empty
    queryset (a class-level queryset would be built outside any tenant scope)."""
    related = getattr(db_field, "related_model", None)
    if db_field.is_relation and isinstance(related, type) and issubclass(related, TenantOwned):
        kwargs["queryset"] = related._base_manager.none()
    return db_field.formfield(**kwargs)


class _TenantModelFormMetaclass(ModelFormMetaclass):
    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        if meta is not None and getattr(meta, "formfield_callback", None) is None:
            meta.formfield_callback = tenant_safe_formfield
        return super().__new__(mcs, name, bases, attrs)


class TenantModelForm(forms.ModelForm, metaclass=_TenantModelFormMetaclass):
    """Base of every ModelForm on tenant-owned data. Pass ``tenant=``: the instance gets the
    tenant, and every relation field's choices become that tenant's rows. A view that must
    narrow further (e.g. to the user's branches) sets ``self.fields[...].queryset`` after."""

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if hasattr(self.instance, "tenant_id") and self.instance.tenant_id is None:
            self.instance.tenant = tenant
        model_fields = {f.name: f for f in self._meta.model._meta.get_fields()}
        for name, field in self.fields.items():
            related = getattr(model_fields.get(name), "related_model", None)
            if isinstance(related, type) and issubclass(related, TenantOwned) and hasattr(field, "queryset"):
                field.queryset = related.objects.filter(tenant=tenant)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账号已停用。"),
    }


class TenantChoicesMixin:
    """Relation choices come from the current tenant's rows only, set per instance: a
    class-level queryset would be built outside any tenant scope (and django-scopes
    makes that an error)."""

    def tenant_branches(self, tenant, active_only=False):
        qs = Branch.objects.filter(tenant=tenant).select_related("region")
        return qs.filter(is_active=True) if active_only else qs


class _BranchMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.region.name} · {obj.name}"


class MembershipForm(TenantChoicesMixin, forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=60)
    email = forms.EmailField(label=_("邮箱"), required=False)
    phone = forms.RegexField(
        label=_("手机"), regex=r"^\+?[0-9\- ]{5,20}$", required=False,
        error_messages={"invalid": _("请输入有效的电话号码。")},
    )
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("至少选择一个角色。")},
    )
    branches = _BranchMultipleChoice(
        label=_("负责分公司"), queryset=Branch.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("分公司总经理、出纳、大区经理、销售只能看到并办理所选分公司的业务。"),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branches"].queryset = self.tenant_branches(tenant)

    def clean(self):
        data = super().clean()
        roles = set(data.get("roles") or [])
        if roles & {r.value for r in BRANCH_ROLES} and not data.get("branches"):
            self.add_error("branches", _("分公司角色必须指定至少一个分公司。"))
        return data


class UserCreateForm(MembershipForm):
    username = forms.RegexField(
        label=_("用户名"), max_length=150, regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @/./+/-/_。")},
    )
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=False), strip=False)

    field_order = ["username", "password", "full_name", "email", "phone", "title", "roles", "branches"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class PasswordResetByAdminForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class RegionForm(TenantModelForm):
    class Meta:
        model = Region
        fields = ["name", "code", "sort_order"]


class BranchForm(TenantModelForm):
    class Meta:
        model = Branch
        fields = ["region", "name", "code", "city", "is_headquarters", "is_active", "sort_order"]


def time_zone_choices() -> list[tuple[str, str]]:
    """China's zone first, then every other IANA zone, so a typo cannot be saved."""
    first = "Asia/Shanghai"
    return [(first, first)] + [(z, z) for z in sorted(zoneinfo.available_timezones()) if z != first and "/" in z]


class TenantSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("时区"), choices=(), error_messages={"invalid_choice": _("未知的时区：%(value)s")}
    )
    sales_positions = forms.CharField(
        label=_("计入销售人数的岗位"), help_text=_("用逗号分隔，例如：销售,业务员,销售经理,大区经理"), required=False
    )
    report_filing_roles = forms.MultipleChoiceField(
        label=_("可填报日报的角色"),
        choices=[(r.value, r.label) for r in (Role.BRANCH_GM, Role.REGIONAL_MANAGER, Role.SALESPERSON, Role.BRANCH_CASHIER)],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Tenant
        fields = TENANT_SETTINGS_FIELDS
        widgets = {
            "report_deadline_time": forms.TimeInput(attrs={"type": "time"}),
            "reminder_time": forms.TimeInput(attrs={"type": "time"}),
            "summary_send_time": forms.TimeInput(attrs={"type": "time"}),
            "approval_digest_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["sales_positions"] = ",".join(self.instance.sales_positions or [])
        self.fields["time_zone"].choices = time_zone_choices()

    def clean_sales_positions(self):
        raw = self.cleaned_data.get("sales_positions") or ""
        items = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        if not items:
            raise ValidationError(_("至少填写一个岗位。"))
        return items

    def clean(self):
        data = super().clean()
        reminder, deadline = data.get("reminder_time"), data.get("report_deadline_time")
        if reminder and deadline and reminder >= deadline:
            self.add_error("reminder_time", _("提醒时间必须早于日报截止时间。"))
        return data
