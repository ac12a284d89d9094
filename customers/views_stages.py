"""The tenant's sales stages (客户进展阶段): the list and one stage's form, for the tenant
admin. Reads and writes go through customers/stages.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from marketing.forms import service_errors
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit

from .forms import StageForm
from .models import CustomerStage, StageKind
from .stages import stage_save, stage_set


@tenant_view(Cap.TENANT_MANAGE)
def stage_list(request):
    stages = stage_set(request.tenant)
    kinds = dict(StageKind.choices)
    rows = [{"s": s, "next": [stages.label(c) for c in sorted(s.next, key=lambda c: stages.by_code[c].position
                                                               if c in stages.by_code else 0)],
             "initial": s.code == stages.initial, "kind": kinds.get(s.kind, s.kind)} for s in stages]
    return render(request, "customers/stage_list.html", {"rows": rows, "configured": stages.configured})


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def stage_edit(request, code=""):
    stages = stage_set(request.tenant)
    stage = None
    if code:
        stage = stages.by_code.get(code)
        if stage is None:
            raise Http404
    form = StageForm(request.POST or None, stages=stages, stage=stage)
    if request.method == "POST" and form.is_valid():
        try:
            stage_save(tenant=request.tenant, actor=request.user, code=code, data=form.service_data(),
                       previous=form.cleaned_data["previous"],
                       revision=(form.cleaned_data.get("revision") or 0) if code else None,
                       request=request)
        except CustomerStage.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            service_errors(form, exc)
        else:
            messages.success(request, _("客户阶段已保存。"))
            return redirect("customers:stages")
    title = _("修改客户阶段：%(label)s") % {"label": stage.display} if stage else _("新增客户阶段")
    return render(request, "customers/stage_form.html", {"form": form, "title": title})
