"""Views: parse input, check reach (404 for what the member may not see), call a service
or selector, render. Reach lives in ``selectors.visible_submissions``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.approvals.models import FlowStatus
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object
from reports.workcal import WorkCalendar

from . import cadence, defaults, prefill, selectors, services
from .approval import KEY as PLAN_KEY
from .exports import board_rows, submissions_xlsx
from .field_editor import FieldEditor
from .forms import ReviewForm, RuleForm, SubmissionForm, people_choices
from .models import (
    FieldType,
    Submission,
    SubmissionAttachment,
    SubmissionDigest,
    SubmissionRule,
    SubmissionStatus,
    SubmitterScope,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _parse_day(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("日期格式应为 YYYY-MM-DD"))
    if not (2000 <= day.year <= 2100):
        raise ValidationError(_("日期超出范围"))
    return day


def _rule_for(request, pk: int) -> SubmissionRule:
    """A rule the member takes part in; others answer 404."""
    rule = access_object(selectors.rules(tenant=request.tenant, active_only=False), pk=pk)
    m = request.membership
    if not (selectors.is_submitter(m, rule) or selectors.sees_whole_rule(m, rule)
            or selectors.is_reviewer(m, rule) or rule.shared_library):
        raise Http404
    return rule


@tenant_view()
def rule_list(request):
    m = request.membership
    now = timezone.now()
    cal = WorkCalendar(request.tenant)
    rows = []
    for rule in selectors.rules_for(membership=m):
        period = cadence.current_period(rule, now, cal)
        board = selectors.board(rule=rule, period=period, now=now, membership=m, cal=cal)
        rows.append({"rule": rule, "period": period, "board": board, "whole": selectors.sees_whole_rule(m, rule)})
    can_configure = m.can(Cap.SUBMISSIONS_CONFIGURE)
    missing_defaults = []
    if can_configure:
        have = set(selectors.rules(tenant=request.tenant, active_only=False).values_list("code", flat=True))
        missing_defaults = [d["name"] for d in defaults.DEFAULT_RULES if d["code"] not in have]
        inactive = selectors.rules(tenant=request.tenant, active_only=False).filter(is_active=False)
    else:
        inactive = []
    return render(request, "submissions/rule_list.html", {
        "rows": rows, "due": selectors.my_due(membership=m, now=now), "can_configure": can_configure,
        "missing_defaults": missing_defaults, "inactive": inactive,
    })


@tenant_view(Cap.SUBMISSIONS_CONFIGURE)
@require_POST
def install_defaults(request):
    created = defaults.ensure_default_rules(tenant=request.tenant, actor=request.user)
    messages.success(request, _("已添加 %(n)d 条默认规则。") % {"n": created})
    return redirect("submissions:rules")


def _period_from(request, rule: SubmissionRule, cal: WorkCalendar, now) -> dt.date:
    raw = _parse_day(request.GET.get("period"))
    if raw is None:
        return cadence.current_period(rule, now, cal)
    if not cadence.is_period(rule, raw, cal):
        raise ValidationError(_("%(day)s 不是该规则的填报期次。") % {"day": raw})
    return raw


@tenant_view()
def rule_detail(request, pk: int):
    rule = _rule_for(request, pk)
    now = timezone.now()
    cal = WorkCalendar(request.tenant)
    try:
        period = _period_from(request, rule, cal, now)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    m = request.membership
    board = selectors.board(rule=rule, period=period, now=now, membership=m, cal=cal)
    current = cadence.current_period(rule, now, cal)
    history = [current] + cadence.previous_periods(rule, current, cal, 8)
    if rule.code == "visit_plan":  # plan vs done (S002-15): visits of the archive tick plans off
        counts = prefill.plan_done_counts(rule=rule, period=period,
                                          submissions=[r.submission for r in board["rows"] if r.submission])
        for r in board["rows"]:
            r.plan = counts.get(r.submission.pk) if r.submission else None
    if request.GET.get("format") == "xlsx":
        rows = board_rows(rule=rule, board=board, tz=request.tenant.zone)
        labels = _labels(request, rule, [r["data"] for r in rows])
        response = HttpResponse(submissions_xlsx(rule=rule, rows=rows, labels=labels), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{rule.code}-{period:%Y%m%d}.xlsx"'
        return response
    can_resend = m.can(Cap.SUBMISSIONS_CONFIGURE) or m.can(Cap.SUMMARIES_MANAGE)
    digests = list(SubmissionDigest.objects.filter(tenant=request.tenant, rule=rule).order_by("-period")[:8]) \
        if selectors.sees_whole_rule(m, rule) else []
    return render(request, "submissions/rule_detail.html", {
        "digests": digests, "can_resend": can_resend,
        "rule": rule, "board": board, "period": period, "history": history, "whole": selectors.sees_whole_rule(m, rule),
        "is_submitter": selectors.is_submitter(m, rule), "period_label": cadence.period_label(rule, period),
        "can_configure": m.can(Cap.SUBMISSIONS_CONFIGURE),
    })


def _labels(request, rule, datas) -> dict:
    customer_ids = prefill.customer_ids_in(rule, datas)
    people_ids: set[int] = set()
    for spec in rule.fields or []:
        cols = [c["key"] for c in spec.get("columns", []) if c.get("type") == FieldType.PERSON]
        for d in datas:
            if spec.get("type") == FieldType.PERSON and isinstance(d.get(spec["key"]), int):
                people_ids.add(d[spec["key"]])
            for row in d.get(spec["key"]) or [] if spec.get("type") == FieldType.TABLE else []:
                people_ids |= {row.get(c) for c in cols if isinstance(row.get(c), int)}
    return {
        "customers": prefill.customer_labels(membership=request.membership, ids=customer_ids),
        "people": prefill.people_labels(tenant=request.tenant, ids=people_ids),
    }


def _customer_choices(request) -> list[tuple[int, str]]:
    from customers.selectors import customer_reach

    qs = customer_reach(membership=request.membership).order_by("-updated_at")
    return list(qs.values_list("pk", "name")[:500])


@tenant_view()
@once_per_submit
def submit(request, pk: int):
    rule = _rule_for(request, pk)
    m = request.membership
    if not selectors.is_submitter(m, rule):
        raise PermissionDenied
    now = timezone.now()
    cal = WorkCalendar(request.tenant)
    try:
        period = _period_from(request, rule, cal, now)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    branch = None
    branches = []
    if rule.scope == SubmitterScope.BRANCH:
        branches = list(visible_branches(membership=m).filter(is_active=True))
        wanted = request.POST.get("branch") or request.GET.get("branch")
        branch = next((b for b in branches if str(b.pk) == str(wanted)), branches[0] if branches else None)
        if branch is None:
            raise PermissionDenied
    existing = Submission.objects.filter(tenant=request.tenant, rule=rule, period=period)
    existing = existing.filter(branch=branch) if branch else existing.filter(branch__isnull=True, submitter=request.user)
    sub = existing.first()
    if sub and sub.status == SubmissionStatus.ACCEPTED and request.method == "GET":
        messages.info(request, _("该报表已审阅通过；修改后将重新提交审阅，原版本保留可查。"))
    initial = sub.data if sub else prefill.initial_for(rule=rule, period=period, branch=branch, membership=m)
    people = people_choices(tenant=request.tenant, branch=branch)
    customers = _customer_choices(request) if _uses(rule, FieldType.CUSTOMER) else []
    extra = 5 if "_more" in request.POST else 0
    form = SubmissionForm(request.POST or None, request.FILES or None, rule=rule, people=people, customers=customers,
                          initial_data=initial, extra_rows=extra, initial={"version": sub.version if sub else 0})
    if request.method == "POST" and "_more" not in request.POST and form.is_valid():
        expected = form.cleaned_data.get("version") or None
        try:
            sub = services.submission_save(
                membership=m, rule=rule, period=period, branch=branch, data=form.stored_data(),
                submit="_submit" in request.POST, expected_version=expected, request=request,
            )
            for key, upload in form.attachments():
                services.attachment_add(submission=sub, field_key=key, upload=upload, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已提交。") if sub.status == SubmissionStatus.SUBMITTED else _("草稿已保存。"))
            return redirect("submissions:detail", pk=sub.pk)
    due = cadence.due_at(rule, period, cal)
    return render(request, "submissions/submit.html", {
        "rule": rule, "form": form, "period": period, "period_label": cadence.period_label(rule, period),
        "due_at": due, "late": now > due, "submission": sub, "branch": branch, "branches": branches,
        "people": people, "customers": customers,
    })


def _uses(rule: SubmissionRule, kind: str) -> bool:
    return any(
        f.get("type") == kind or any(c.get("type") == kind for c in f.get("columns", [])) for f in rule.fields or []
    )


@tenant_view()
def detail(request, pk: int):
    m = request.membership
    qs = selectors.visible_submissions(membership=m)
    if not qs.filter(pk=pk).exists():  # approvers of a plan on the engine open it from their inbox
        qs = Submission.objects.filter(tenant=request.tenant, pk__in=approval_selectors.visible_flows(
            tenant=request.tenant, user=request.user).filter(document_type=PLAN_KEY).values("object_id"))
    sub = access_object(qs.select_related("rule", "branch", "submitter").prefetch_related("revisions", "attachments"),
                        pk=pk)
    rule = sub.rule
    if sub.status == SubmissionStatus.DRAFT and sub.submitter_id != request.user.pk and not selectors.may_edit(m, sub):
        raise Http404
    datas = [sub.data] + [r.data for r in sub.revisions.all()]
    labels = _labels(request, rule, datas)
    flow = services.engine_flow(sub) if rule.review_on_engine else None
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=sub) if flow else None
    can_review = (flow is None and selectors.is_reviewer(m, rule) and sub.status == SubmissionStatus.SUBMITTED
                  and sub.submitter_id != request.user.pk)
    return render(request, "submissions/detail.html", {
        "panel": panel,
        "sub": sub, "rule": rule, "labels": labels, "content": _content(rule, sub.data, labels),
        "revisions": [{"rev": r, "content": _content(rule, r.data, labels)} for r in sub.revisions.all()],
        "can_review": can_review, "review_form": ReviewForm(initial={"version": sub.version}),
        "can_edit": selectors.may_edit(m, sub) and not (flow and flow.status == FlowStatus.IN_PROGRESS),
        "progress": [{**r, "label": labels["customers"].get(r["customer"], "＊＊")}
                     for r in prefill.plan_progress(submission=sub)] if rule.code == "visit_plan" else [],
        "tasks": prefill.task_progress(submission=sub),  # S002-01: the month's tasks and how they go
        "period_label": cadence.period_label(rule, sub.period),
        "status": selectors.row_status(sub, sub.due_at, timezone.now()),
    })


def _content(rule: SubmissionRule, data: dict, labels: dict) -> list[dict]:
    """Stored data as label/value pairs ready for the template (tables as rows of cells)."""
    out = []
    customers, people = labels.get("customers", {}), labels.get("people", {})

    def show(kind, value):
        if value in (None, ""):
            return ""
        if kind == FieldType.CUSTOMER:
            return customers.get(value, "＊＊")
        if kind == FieldType.PERSON:
            return people.get(value, "—")
        return value

    for spec in rule.fields or []:
        kind = spec.get("type")
        if kind == FieldType.ATTACHMENT:
            continue
        if kind == FieldType.TABLE:
            cols = spec.get("columns", [])
            rows = [[show(c.get("type"), row.get(c["key"])) for c in cols] for row in data.get(spec["key"]) or []]
            out.append({"label": spec.get("label"), "table": True, "columns": [c["label"] for c in cols], "rows": rows})
        else:
            out.append({"label": spec.get("label"), "value": show(kind, data.get(spec["key"])), "long": kind == FieldType.TEXTAREA})
    return out


@tenant_view()
@require_POST
def review(request, pk: int):
    m = request.membership
    sub = access_object(selectors.visible_submissions(membership=m), pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("请求无效"))
    try:
        services.submission_review(
            membership=m, submission=sub, accept=request.POST.get("decision") == "accept",
            comment=form.cleaned_data["comment"], expected_version=form.cleaned_data["version"], request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已审阅通过。") if request.POST.get("decision") == "accept" else _("已退回重写。"))
    return redirect("submissions:detail", pk=sub.pk)


@tenant_view()
def attachment(request, pk: int):
    m = request.membership
    item = access_object(
        SubmissionAttachment.objects.filter(
            tenant=request.tenant, submission__in=selectors.visible_submissions(membership=m).values("pk")
        ),
        pk=pk,
    )
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name)


@tenant_view()
def library(request):
    """The case library: every branch reads shared rules' submissions; customer names are
    shown only to readers who may see that customer."""
    shared = selectors.rules(tenant=request.tenant).filter(shared_library=True)
    qs = (Submission.objects.filter(tenant=request.tenant, rule__in=shared)
          .exclude(status__in=[SubmissionStatus.DRAFT, SubmissionStatus.RETURNED])
          .select_related("rule", "branch", "submitter").order_by("-period", "-id"))
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(search_text__icontains=q)
    page, query = paginate(request, qs)
    # Names for the whole page at once: one lookup per shared rule, not per case.
    by_rule: dict[int, list] = {}
    for sub in page:
        by_rule.setdefault(sub.rule_id, []).append(sub)
    labels = {rule_id: _labels(request, subs[0].rule, [s.data for s in subs]) for rule_id, subs in by_rule.items()}
    items = [{"sub": sub, "content": _content(sub.rule, sub.data, labels[sub.rule_id])} for sub in page]
    return render(request, "submissions/library.html", {"page": page, "query": query, "items": items, "q": q})


@tenant_view(Cap.SUBMISSIONS_CONFIGURE)
@once_per_submit
def rule_edit(request, pk: int | None = None):
    rule = access_object(selectors.rules(tenant=request.tenant, active_only=False), pk=pk) if pk else SubmissionRule()
    editor = FieldEditor(request.POST if request.method == "POST" else None, fields=rule.fields)
    form = RuleForm(request.POST or None, instance=rule, tenant=request.tenant)
    if editor.action:  # add / move / delete a field or column: re-render, save nothing
        form = RuleForm(instance=rule, tenant=request.tenant, initial=form.as_initial(request.POST))
    elif request.method == "POST" and all([form.is_valid(), editor.is_valid()]):
        draft = form.save(commit=False)
        draft.fields = editor.cleaned_fields
        try:
            rule = services.rule_save(tenant=request.tenant, actor=request.user, rule=draft,
                                      expected_version=form.cleaned_data.get("version"), request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("规则已保存。"))
            return redirect("submissions:rule", pk=rule.pk)
    return render(request, "submissions/rule_form.html", {"form": form, "editor": editor.context(),
                                                          "rule": rule if pk else None})



@require_POST
@tenant_view(Cap.SUBMISSIONS_CONFIGURE, Cap.SUMMARIES_MANAGE, any_of=True)
@once_per_submit
def digest_resend(request, pk: int):
    from .mailing import digest_request_resend

    digest = access_object(SubmissionDigest.objects.filter(tenant=request.tenant).select_related("rule"), pk=pk)
    try:
        digest_request_resend(digest=digest, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已安排重发“%(rule)s”%(period)s 的汇总邮件。") % {
            "rule": digest.rule.name, "period": cadence.period_label(digest.rule, digest.period)})
    return redirect(f"{reverse('submissions:rule', args=[digest.rule_id])}?period={digest.period.isoformat()}")
