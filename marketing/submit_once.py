"""Double submits create one record: a one-time form token, claimed as a unique row.

Every create form carries a hidden ``submit_token`` (``{% include "includes/submit_token.html" %}``
or ``{% load submit_once %}{% submit_token %}`` next to ``{% csrf_token %}``). The view is
wrapped with ``@once_per_submit`` (function views, below ``@tenant_view``) or
``SubmitOnceMixin`` (class-based views). On a POST with a token:

1. inside one transaction, a ``FormSubmission(tenant, token)`` row is inserted (unique);
2. the view runs in that same transaction;
3. a redirect (the view's "done, go here") stores its target on the row and commits; any
   other answer (form errors, an exception) removes the claim, so the corrected form can
   be sent again with the same token.

A second POST of the same token -- a double click, a browser retry, a reload of the POST --
finds the row and is redirected to the first result with a notice; nothing runs twice. On
PostgreSQL two simultaneous POSTs serialise on the unique index: the second waits for the
first to commit, then sees its row. A POST without a token (an old form, a script) runs
normally; a malformed token is a 400."""

from __future__ import annotations

import re
import uuid
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

TOKEN_FIELD = "submit_token"
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
_REDIRECTS = {301, 302, 303}


def new_token() -> str:
    return uuid.uuid4().hex


def posted_token(request) -> str:
    """The token of this POST, if well formed (so a re-rendered form keeps it)."""
    token = request.POST.get(TOKEN_FIELD, "") if request.method == "POST" else ""
    return token if _TOKEN_RE.match(token) else ""


def _replay(request, token: str):
    from .models import FormSubmission

    claim = FormSubmission.objects.filter(tenant=request.tenant, token=token).first()
    if claim is None or claim.user_id != request.user.pk:
        return HttpResponseBadRequest(_("表单令牌无效，请刷新页面后重新填写。"))
    if claim.result_url:
        messages.info(request, _("该表单已经提交过，未重复创建。"))
        return redirect(claim.result_url)
    messages.info(request, _("上一次提交仍在处理中，请稍后刷新查看结果。"))
    return redirect(request.path)


def once_per_submit(view):
    """Make a create view idempotent against a double submit of the same rendered form."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST" or getattr(request, "tenant", None) is None:
            return view(request, *args, **kwargs)
        token = request.POST.get(TOKEN_FIELD, "")
        if not token:
            return view(request, *args, **kwargs)
        if not _TOKEN_RE.match(token):
            return HttpResponseBadRequest(_("表单令牌无效，请刷新页面后重新填写。"))
        from .models import FormSubmission

        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(
                        tenant=request.tenant, token=token, user=request.user, path=request.path[:200]
                    )
            except IntegrityError:
                return _replay(request, token)
            response = view(request, *args, **kwargs)
            location = response.get("Location") if response.status_code in _REDIRECTS else None
            if location:
                claim.result_url = location[:500]
                claim.save(update_fields=["result_url"])
            else:
                claim.delete()
            return response

    wrapped.once_per_submit = True
    return wrapped


class SubmitOnceMixin:
    """``once_per_submit`` for class-based views."""

    @method_decorator(once_per_submit)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)
