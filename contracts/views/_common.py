from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone

from marketing.forms import service_errors as form_errors  # noqa: F401 -- the contract views import it from here

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, stem: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    return response


def show_errors(request, exc: ValidationError) -> None:
    from django.contrib import messages

    for message in exc.messages:
        messages.error(request, message)
