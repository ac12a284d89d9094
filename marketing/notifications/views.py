"""The outbox pages: what was sent, what failed (with a resend button), the tenant's group
robots, and each user's own channel choices and chat ids."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from marketing.exports import as_text
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import selectors, services
from .filters import MessageFilter
from .forms import ProfileForm, WebhookForm
from .models import ChatWebhook, Status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filtered(request):
    qs = selectors.messages_for(tenant=request.tenant)
    return MessageFilter(request.GET, queryset=qs, tenant=request.tenant, request=request)


@tenant_view(Cap.TENANT_MANAGE)
def message_list(request):
    filterset = _filtered(request)
    page, query = paginate(request, filterset.qs)
    return render(request, "notifications/message_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(Cap.TENANT_MANAGE)
def message_export(request):
    rows = _filtered(request).qs[:5000]
    book = Workbook()
    sheet = book.active
    sheet.title = "outbox"
    sheet.append([_("创建时间"), _("类型"), _("渠道"), _("收件人"), _("标题"), _("状态"), _("尝试次数"), _("发送时间"), _("错误")])
    zone = request.tenant.zone
    for r, m in enumerate(rows, start=2):
        values = [timezone.localtime(m.created_at, zone).strftime("%Y-%m-%d %H:%M"), m.kind_label, m.get_channel_display(),
                  m.recipient_label, m.subject, m.get_status_display(), m.attempts,
                  timezone.localtime(m.sent_at, zone).strftime("%Y-%m-%d %H:%M") if m.sent_at else "", m.last_error]
        for c, value in enumerate(values, start=1):
            as_text(sheet.cell(row=r, column=c), value)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="outbox.xlsx"'
    return response


@tenant_view(Cap.TENANT_MANAGE)
def message_detail(request, pk):
    message = access_object(selectors.messages_for(tenant=request.tenant), pk=pk)
    return render(request, "notifications/message_detail.html", {"m": message})


@require_POST
@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def message_resend_view(request, pk):
    message = access_object(selectors.messages_for(tenant=request.tenant), pk=pk)
    try:
        services.message_resend(message=message, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重新加入发送队列。"))
    return redirect(request.POST.get("back") if str(request.POST.get("back", "")).startswith("/m/") else "notifications:messages")


@tenant_view(Cap.TENANT_MANAGE)
def webhook_list(request):
    hooks = ChatWebhook.objects.filter(tenant=request.tenant)
    page, query = paginate(request, hooks)
    return render(request, "notifications/webhook_list.html", {"page": page, "query": query})


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def webhook_edit(request, pk=None):
    hook = access_object(ChatWebhook.objects.filter(tenant=request.tenant), pk=pk) if pk else None
    initial = {"name": hook.name, "platform": hook.platform, "url": hook.url, "purposes": hook.purposes,
               "is_active": hook.is_active} if hook else {"is_active": True}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_save(tenant=request.tenant, actor=request.user, hook=hook, data=form.cleaned_data,
                                  request=request)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("群机器人已保存。"))
            return redirect("notifications:webhooks")
    return render(request, "notifications/webhook_form.html", {"form": form, "hook": hook})


@require_POST
@tenant_view(Cap.TENANT_MANAGE)
def webhook_delete_view(request, pk):
    hook = access_object(ChatWebhook.objects.filter(tenant=request.tenant), pk=pk)
    services.webhook_delete(hook=hook, actor=request.user, request=request)
    messages.success(request, _("群机器人已删除。"))
    return redirect("notifications:webhooks")


@require_POST
@tenant_view(Cap.TENANT_MANAGE)
def webhook_test_view(request, pk):
    hook = access_object(ChatWebhook.objects.filter(tenant=request.tenant), pk=pk)
    row = services.webhook_test(hook=hook, actor=request.user, request=request)
    row.refresh_from_db()
    if row.status == Status.SENT:
        messages.success(request, _("测试消息已发送，请在群里查看。"))
    elif row.status in (Status.FAILED, Status.UNCONFIRMED):
        messages.error(request, _("测试消息发送失败：%(e)s") % {"e": row.last_error})
    else:
        messages.info(request, _("测试消息已加入发送队列。"))
    return redirect("notifications:webhooks")


@tenant_view()
def my_settings(request):
    profile = services.profile_for(tenant=request.tenant, user=request.user)
    if not profile.pk and not profile.mobile:
        profile.mobile = request.user.phone
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.profile_save(tenant=request.tenant, user=request.user, actor=request.user, data=form.cleaned_data,
                              request=request)
        messages.success(request, _("通知设置已保存。"))
        return redirect("notifications:me")
    hooks = ChatWebhook.objects.filter(tenant=request.tenant, is_active=True)
    return render(request, "notifications/my_settings.html", {"form": form, "hooks": hooks})
