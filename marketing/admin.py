"""Django admin is for platform superusers (create tenants, look across tenants).
Tenant admins work in the app's own pages under /m/."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AuditEvent, Branch, Membership, Region, RoleAssignment, Tenant, User


class TenantCreationForm(forms.ModelForm):
    admin_username = forms.CharField(label=_("首位管理员用户名"))
    admin_password = forms.CharField(label=_("首位管理员密码"), widget=forms.PasswordInput)
    admin_email = forms.EmailField(label=_("首位管理员邮箱"), required=False)

    class Meta:
        model = Tenant
        fields = ["name", "slug", "marketing_mailbox", "time_zone"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "time_zone", "created_at"]
    search_fields = ["name", "slug"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TenantCreationForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            tenant, _admin = services.tenant_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                marketing_mailbox=form.cleaned_data["marketing_mailbox"],
                admin_username=form.cleaned_data["admin_username"],
                admin_password=form.cleaned_data["admin_password"],
                admin_email=form.cleaned_data.get("admin_email") or "",
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return
        obj.pk = tenant.pk


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "is_active", "is_superuser"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("资料"), {"fields": ("full_name", "phone")}))


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "title", "is_active"]
    list_filter = ["tenant", "is_active"]
    inlines = [RoleInline]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tenant"]
    list_filter = ["tenant"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "tenant", "is_active"]
    list_filter = ["tenant", "is_active"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "actor_label", "verb", "object_label", "ip_address"]
    list_filter = ["tenant", "verb"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
