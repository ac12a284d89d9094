from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationProfile, Platform, Purpose


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60, help_text=_("例如：市场部审批群"))
    platform = forms.ChoiceField(label=_("平台"), choices=Platform.choices)
    url = forms.URLField(label=_("Webhook 地址"), max_length=500, assume_scheme="https",
                         help_text=_("在群设置 → 群机器人 → 添加自定义机器人后复制的地址。"))
    secret = forms.CharField(label=_("签名密钥"), max_length=200, required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("钉钉“加签”（SEC 开头）或飞书“签名校验”的密钥；企业微信无需填写。留空则保留原密钥。"))
    clear_secret = forms.BooleanField(label=_("清除已保存的密钥"), required=False)
    purposes = forms.MultipleChoiceField(label=_("用途"), choices=Purpose.choices, widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if data.get("platform") == Platform.WECOM and data.get("secret"):
            self.add_error("secret", _("企业微信群机器人没有签名密钥：地址中的 key 即凭据。"))
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = NotificationProfile
        fields = ["pref_approvals", "pref_reminders", "wecom_userid", "dingtalk_userid", "feishu_open_id", "mobile"]
        help_texts = {
            "wecom_userid": _("企业微信通讯录中的账号（UserID），用于群消息 @ 您。"),
            "dingtalk_userid": _("钉钉的 userId；不填则按手机号 @。"),
            "feishu_open_id": _("飞书的 open_id（ou_ 开头）。飞书群机器人只能按 open_id @ 人。"),
            "mobile": _("企业微信、钉钉可按手机号 @ 您；也用于企业账号登录匹配。"),
        }

    def clean_mobile(self):
        value = (self.cleaned_data.get("mobile") or "").strip().replace(" ", "").replace("-", "")
        if value and not (value.lstrip("+").isdigit() and 6 <= len(value) <= 20):
            raise forms.ValidationError(_("请填写有效的手机号。"))
        return value
