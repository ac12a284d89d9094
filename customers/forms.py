from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from marketing.forms import TenantModelForm
from marketing.models import Branch, User
from marketing.roles import Cap
from marketing.selectors import visible_branches

from . import selectors
from .crypto import normalize_phone
from .models import Complaint, Contact, Customer, StageKind, Tag, Visit
from .stages import stage_set

PHONE_RE = re.compile(r"^\+?[0-9\- ()]{5,24}$")


def clean_phone_value(value: str) -> str:
    value = (value or "").strip()
    if value and (not PHONE_RE.match(value) or len(normalize_phone(value)) < 5):
        raise ValidationError(_("请输入有效的电话号码，例如 13800138000 或 021-12345678。"), code="bad_phone")
    return value


def parse_shareholders(raw: str) -> list[dict]:
    """One shareholder a line: ``name stake%`` (also ``name:stake`` / ``name，stake``)."""
    rows: list[dict] = []
    total = Decimal("0")
    for number, line in enumerate((raw or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = re.match(r"^(.+?)[\s:：,，]+([0-9]+(?:\.[0-9]+)?)\s*%?$", line)
        if not match:
            raise ValidationError(
                _("第 %(n)s 行格式不对：请写成“股东名称 股份%%”，例如“张三 60%%”。"), code="bad_shareholder",
                params={"n": number},
            )
        try:
            stake = Decimal(match.group(2)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationError(_("第 %(n)s 行股份不是数字。"), code="bad_stake", params={"n": number})
        if not Decimal("0") < stake <= Decimal("100"):
            raise ValidationError(_("第 %(n)s 行股份必须在 0 到 100 之间。"), code="bad_stake", params={"n": number})
        total += stake
        rows.append({"name": match.group(1).strip()[:60], "stake": str(stake)})
    if total > Decimal("100"):
        raise ValidationError(_("股份合计 %(t)s%% 超过 100%%。"), code="stake_total", params={"t": total})
    return rows


def format_shareholders(rows) -> str:
    return "\n".join(f"{r.get('name', '')} {r.get('stake', '')}%" for r in rows or [])


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class CustomerForm(TenantModelForm):
    shareholders_text = forms.CharField(
        label=_("主要股东及股份"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一位股东：名称 股份%，例如“张三 60%”"),
    )
    phone = forms.CharField(label=_("电话"), required=False, max_length=30)
    tags = forms.ModelMultipleChoiceField(
        label=_("标签"), queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(label=_("新标签"), required=False, max_length=120, help_text=_("用逗号分隔"))
    owner = _UserChoice(label=_("负责销售"), queryset=User.objects.none())
    stage = forms.ChoiceField(label=_("阶段"), choices=[])

    class Meta:
        model = Customer
        fields = [
            "name", "industry", "stage", "lost_reason", "branch", "owner", "phone", "address", "shareholders_text",
            "characteristics", "business_situation", "tags", "new_tags",
        ]
        widgets = {
            "lost_reason": forms.Textarea(attrs={"rows": 2}),
            "characteristics": forms.Textarea(attrs={"rows": 3}),
            "business_situation": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.membership = membership
        if membership.can(Cap.CUSTOMERS_VIEW_ALL):
            self.fields["branch"].queryset = Branch.objects.filter(tenant=membership.tenant).select_related("region")
        else:
            branches = visible_branches(membership=membership)
            if self.instance.pk:
                # A reassigned customer may sit in a branch the new owner is not assigned to.
                branches = Branch.objects.filter(
                    Q(pk__in=branches.values("pk")) | Q(pk=self.instance.branch_id), tenant=membership.tenant
                ).select_related("region")
            self.fields["branch"].queryset = branches
        self.fields["owner"].queryset = selectors.owner_choices(membership=membership)
        self.fields["tags"].queryset = selectors.tags(tenant=membership.tenant)
        self.stages = stage_set(membership.tenant)
        current = self.instance.stage if self.instance.pk else ""
        self.fields["stage"].choices = self.stages.choices(keep=current)
        if not self.instance.pk:
            self.initial.setdefault("stage", self.stages.initial)
        else:
            moves = [self.stages.label(c) for c, _label in self.fields["stage"].choices
                     if c != current and self.stages.may_move(current, c)]
            self.fields["stage"].help_text = _("可改为：%(list)s") % {"list": "、".join(moves) or "—"}
        if not self.instance.pk:
            self.initial.setdefault("owner", membership.user_id)
            only = list(self.fields["branch"].queryset[:2])
            if len(only) == 1:
                self.initial.setdefault("branch", only[0].pk)
        else:
            self.initial["shareholders_text"] = format_shareholders(self.instance.shareholders)
            self.initial["tags"] = list(self.instance.tags.all())
            # Reassignment has its own action (and audit verb).
            self.fields.pop("owner")

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone"))

    def clean(self):
        cleaned = super().clean()
        was = self.instance.stage if self.instance.pk else ""
        new = cleaned.get("stage")
        if new and self.stages.needs_reason(was, new) and not (cleaned.get("lost_reason") or "").strip():
            self.add_error("lost_reason", _("标为“%(stage)s”时请写明失败原因。") % {  # S002-10
                "stage": self.stages.label(new)})
        return cleaned

    def clean_shareholders_text(self):
        return parse_shareholders(self.cleaned_data.get("shareholders_text"))

    def clean_new_tags(self):
        raw = self.cleaned_data.get("new_tags") or ""
        return [t.strip() for t in re.split(r"[,，、]", raw) if t.strip()]

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in (
            "name", "industry", "stage", "lost_reason", "branch", "phone", "address", "characteristics",
            "business_situation",
        )}
        data["shareholders"] = self.cleaned_data["shareholders_text"]
        if "owner" in self.cleaned_data:
            data["owner"] = self.cleaned_data["owner"]
        return data


class ContactForm(TenantModelForm):
    phone = forms.CharField(label=_("电话"), required=False, max_length=30)
    address = forms.CharField(label=_("住址"), required=False, max_length=200)
    family = forms.CharField(label=_("家庭情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Contact
        fields = [
            "name", "purchase_role", "gender", "birth_year", "education", "phone", "address",
            "personality", "family", "notes",
        ]
        widgets = {
            "personality": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone"))


class VisitForm(TenantModelForm):
    visited_by = _UserChoice(label=_("拜访人"), queryset=User.objects.none())
    analyst = _UserChoice(label=_("分析师"), queryset=User.objects.none(), required=False,
                          help_text=_("协助了解客户需求、拟定方案的分析师（可选）"))

    class Meta:
        model = Visit
        fields = [
            "visited_on", "visit_type", "visited_by", "companions", "analyst", "needs", "proposal", "outcome",
            "next_step", "next_date",
        ]
        widgets = {
            "visited_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "needs": forms.Textarea(attrs={"rows": 2}),
            "proposal": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, membership, customer, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        # Who went: the customer's owner, the current user, or (archive-wide) any salesperson.
        ids = {customer.owner_id, membership.user_id}
        qs = User.objects.filter(pk__in=ids)
        if membership.can(Cap.CUSTOMERS_VIEW_ALL):
            qs = qs | selectors.share_candidates(tenant=membership.tenant)
        self.fields["visited_by"].queryset = qs.distinct().order_by("full_name", "username")
        self.initial.setdefault("visited_by", membership.user_id)
        # S002-07: any active member of this tenant can be named; another tenant's user is
        # not a choice ("选择一个有效的选项"), and the service refuses it again.
        self.fields["analyst"].queryset = selectors.analyst_choices(tenant=membership.tenant)

    def clean(self):
        data = super().clean()
        if data.get("next_date") and data.get("visited_on") and data["next_date"] < data["visited_on"]:
            self.add_error("next_date", _("下次跟进日期不能早于拜访日期。"))
        return data


class ShareForm(forms.Form):
    user = _UserChoice(label=_("共享给"), queryset=User.objects.none())

    def __init__(self, *args, tenant, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.share_candidates(tenant=tenant).exclude(pk=customer.owner_id)


class ReassignForm(forms.Form):
    owner = _UserChoice(label=_("新负责人"), queryset=User.objects.none())

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(membership=membership)


class BulkReassignForm(forms.Form):
    from_user = _UserChoice(label=_("原负责人"), queryset=User.objects.none())
    to_user = _UserChoice(label=_("新负责人"), queryset=User.objects.none())

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = selectors.owner_filter_choices(membership=membership)
        self.fields["to_user"].queryset = selectors.owner_choices(membership=membership)

    def clean(self):
        data = super().clean()
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("新负责人与原负责人相同。"))
        return data


class AccessRequestForm(forms.Form):
    customer_name = forms.CharField(label=_("客户全称"), required=False, max_length=120)
    customer_phone = forms.CharField(label=_("或客户电话"), required=False, max_length=30)
    reason = forms.CharField(label=_("查阅事由"), widget=forms.Textarea(attrs={"rows": 3}), min_length=4,
                             error_messages={"min_length": _("请写明查阅事由（至少 4 个字）。")})
    days = forms.IntegerField(label=_("授权天数"), min_value=1, max_value=365)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.initial.setdefault("days", tenant.customer_grant_days)
        self.customer = None
        self.looked_up = ""  # "name" / "phone" once the archive was searched

    def clean_customer_phone(self):
        return clean_phone_value(self.cleaned_data.get("customer_phone"))

    def clean(self):
        from .crypto import phone_hash

        data = super().clean()
        name, phone = (data.get("customer_name") or "").strip(), data.get("customer_phone") or ""
        if not name and not phone:
            raise ValidationError(_("请填写客户全称或客户电话。"), code="customer_required")
        self.looked_up = "name" if name else "phone"
        self.customer = selectors.find_customer_for_request(
            tenant=self.tenant, name=name, phone_hash=phone_hash(phone) if phone and not name else ""
        )
        if self.customer is None:
            raise ValidationError(_("没有找到该客户：请核对客户全称或电话（需完全一致）。"), code="customer_not_found")
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件 (.xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 .xlsx 格式的 Excel 文件。"), code="bad_type")
        if f.size > 5 * 1024 * 1024:
            raise ValidationError(_("文件不能超过 5 MB。"), code="too_big")
        return f


class ComplaintForm(TenantModelForm):
    handler = _UserChoice(label=_("处理人"), queryset=User.objects.none())

    class Meta:
        model = Complaint
        fields = ["received_on", "complainant", "content", "department", "handler"]
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "content": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.fields["handler"].queryset = User.objects.filter(
            membership__tenant=membership.tenant, membership__is_active=True, is_active=True
        ).order_by("full_name", "username")


class ComplaintCloseForm(forms.Form):
    outcome = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    closed_on = forms.DateField(label=_("办结日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class StageForm(forms.Form):
    """One of the tenant's sales stages (customers/stages.py)."""

    label = forms.CharField(label=_("名称"), max_length=30)
    label_en = forms.CharField(label=_("英文名称"), max_length=40, required=False,
                               help_text=_("英文界面显示的名称；不填则显示中文名称。"))
    kind = forms.ChoiceField(label=_("类型"), choices=StageKind.choices,
                             help_text=_("进入“失败/流失”类阶段时须写明原因；“成交”类计入已签约。"))
    position = forms.IntegerField(label=_("顺序"), min_value=0, max_value=999,
                                  help_text=_("数字小的排在前面；第一个启用的“进行中”阶段是新客户的起点。"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    next_codes = forms.MultipleChoiceField(label=_("可以改到的阶段"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    previous = forms.MultipleChoiceField(label=_("可以从哪些阶段改到本阶段"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, stages, stage=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = [(s.code, s.display) for s in stages if stage is None or s.code != stage.code]
        self.fields["next_codes"].choices = others
        self.fields["previous"].choices = others
        if stage is not None and not self.is_bound:
            with translation.override("zh-hans"):  # the name is kept in Chinese; English beside it
                label = str(stage.label)
            self.initial.update({
                "label": label, "label_en": stage.label_en, "kind": stage.kind,
                "position": stage.position, "is_active": stage.active, "next_codes": sorted(stage.next),
                "previous": sorted(s.code for s in stages if stage.code in s.next), "revision": stage.revision,
            })
        elif stage is None and not self.is_bound:
            self.initial.setdefault("position", max((s.position for s in stages), default=0) + 10)

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("label", "label_en", "kind", "position", "is_active", "next_codes")}
