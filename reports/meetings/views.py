"""市场部月例会 pages: packs (page, xlsx, PDF) and the minutes (agenda, decisions, actions).
Readers: MEETINGS_VIEW; minute-takers: MEETINGS_MANAGE; an action's owner may open the
minutes holding their action and mark it done."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from ..summary import pct
from . import selectors, services
from .exports import XLSX_CONTENT_TYPE, pack_pdf, pack_xlsx, sections
from .forms import ActionDoneForm, ActionForm, AgendaItemForm, ItemAddForm, MeetingCreateForm
from .models import ActionItem, AgendaItem, Meeting, MeetingStatus, MonthlyPack
from .pack import previous_month, reader_visible_customers, visible_names

READ = (Cap.MEETINGS_VIEW, Cap.MEETINGS_MANAGE)


def _errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


@tenant_view(*READ, any_of=True)
def meeting_list(request):
    tenant = request.tenant
    page, query = paginate(request, selectors.meetings(tenant=tenant))
    form = None
    if request.membership.can(Cap.MEETINGS_MANAGE):
        today = timezone.localdate()
        form = MeetingCreateForm(initial={"month": previous_month(today).strftime("%Y-%m"), "held_on": today})
    return render(request, "meetings/meeting_list.html", {
        "page": page, "query": query, "packs": selectors.packs(tenant=tenant)[:12], "form": form,
    })


@tenant_view(Cap.MEETINGS_MANAGE)
@once_per_submit
def meeting_create(request):
    form = MeetingCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(tenant=request.tenant, actor=request.user, month=form.cleaned_data["month"],
                                              held_on=form.cleaned_data["held_on"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已创建会议纪要，议题已按月例会资料和上次未完成待办预填。"))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/simple_form.html", {"form": form, "title": _("新建月例会纪要")})


def _pack_data(request, pack: MonthlyPack) -> dict:
    return visible_names(dict(pack.data or {}), reader_visible_customers(request.membership))


@tenant_view(*READ, any_of=True)
def pack_detail(request, pk):
    pack = access_object(MonthlyPack.objects.filter(tenant=request.tenant), pk=pk)
    data = _pack_data(request, pack)
    tables = []
    if data:
        from .exports import _cell_text

        for _sheet, heading, cols, rows in sections(data):
            tables.append({"heading": heading, "cols": cols,
                           "rows": [[(_cell_text(r.get(k), kind), kind) for k, _l, kind in cols] for r in rows]})
    total = data.get("total") or {}
    return render(request, "meetings/pack_detail.html", {
        "pack": pack, "d": data, "tables": tables, "rate_pct": pct(total.get("rate")),
    })


@tenant_view(*READ, any_of=True)
def pack_file(request, pk, fmt):
    pack = access_object(MonthlyPack.objects.filter(tenant=request.tenant), pk=pk)
    if not pack.data or fmt not in ("xlsx", "pdf"):
        raise Http404
    data = _pack_data(request, pack)
    body, ctype = (pack_xlsx(data), XLSX_CONTENT_TYPE) if fmt == "xlsx" else (pack_pdf(data), "application/pdf")
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="meeting-pack-{data["month"]}.{fmt}"'
    return response


def _meeting_for(request, pk) -> Meeting:
    qs = Meeting.objects.filter(tenant=request.tenant)
    m = request.membership
    if not (m.can(Cap.MEETINGS_VIEW) or m.can(Cap.MEETINGS_MANAGE)):
        qs = qs.filter(actions__owner_id=request.user.pk).distinct()  # an owner sees the minutes of their action
    return access_object(qs, pk=pk)


@tenant_view()
def meeting_detail(request, pk):
    meeting = _meeting_for(request, pk)
    can_manage = request.membership.can(Cap.MEETINGS_MANAGE) and meeting.status == MeetingStatus.OPEN
    detail = selectors.meeting_detail(meeting)
    return render(request, "meetings/meeting_detail.html", {
        "meeting": meeting, **detail, "can_manage": can_manage,
        "item_form": ItemAddForm() if can_manage else None,
    })


@tenant_view(Cap.MEETINGS_MANAGE)
def item_edit(request, pk):
    item = access_object(AgendaItem.objects.filter(tenant=request.tenant).select_related("meeting"), pk=pk)
    form = versioned(AgendaItemForm(request.POST or None, instance=item), item)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, item):
                services.agenda_item_update(item=item, actor=request.user, discussion=form.cleaned_data["discussion"],
                                            decision=form.cleaned_data["decision"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存议题记录。"))
            return redirect("meetings:detail", pk=item.meeting_id)
    return render(request, "meetings/simple_form.html", {
        "form": form, "title": item.title, "briefing": item.briefing, "back": item.meeting})


@tenant_view(Cap.MEETINGS_MANAGE)
@once_per_submit
@require_POST
def item_create(request, pk):
    meeting = access_object(Meeting.objects.filter(tenant=request.tenant), pk=pk)
    form = ItemAddForm(request.POST)
    if form.is_valid():
        try:
            services.agenda_item_add(meeting=meeting, actor=request.user, title=form.cleaned_data["title"],
                                     request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已添加议题。"))
    else:
        messages.error(request, _("请填写议题。"))
    return redirect("meetings:detail", pk=meeting.pk)


@tenant_view(Cap.MEETINGS_MANAGE)
@once_per_submit
def action_create(request, pk):
    item = access_object(AgendaItem.objects.filter(tenant=request.tenant).select_related("meeting"), pk=pk)
    form = ActionForm(request.POST or None, owners=selectors.owner_choices(tenant=request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            services.action_add(item=item, actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已添加待办事项。"))
            return redirect("meetings:detail", pk=item.meeting_id)
    return render(request, "meetings/simple_form.html", {
        "form": form, "title": _("为议题添加待办：%(t)s") % {"t": item.title}, "back": item.meeting})


@tenant_view(Cap.MEETINGS_MANAGE)
@require_POST
def meeting_close(request, pk):
    meeting = access_object(Meeting.objects.filter(tenant=request.tenant), pk=pk)
    try:
        services.meeting_close(meeting=meeting, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("会议已结束，待办已通知负责人。"))
    return redirect("meetings:detail", pk=meeting.pk)


@tenant_view()
def action_done(request, pk):
    action = access_object(selectors.action_reach(membership=request.membership).select_related("meeting"), pk=pk)
    if action.owner_id != request.user.pk and not request.membership.can(Cap.MEETINGS_MANAGE):
        raise PermissionDenied
    form = ActionDoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_complete(action=action, actor=request.user, membership=request.membership,
                                     note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("待办已完成。"))
            return redirect("meetings:mine")
    return render(request, "meetings/simple_form.html", {
        "form": form, "title": _("完成待办：%(t)s") % {"t": action.title}, "back": action.meeting})


@tenant_view()
def my_actions(request):
    page, query = paginate(request, selectors.my_open_actions(membership=request.membership))
    return render(request, "meetings/my_actions.html", {"page": page, "query": query,
                                                        "today": timezone.localdate()})


__all__ = ["ActionItem"]
