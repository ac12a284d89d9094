"""Document types that run on the approval machinery. An app registers its types from its
``AppConfig.ready()``::

    register(DocumentType(key="expenses.request", label=_("营销费用申请"), model="expenses.ExpenseRequest",
                          get_branch=..., get_applicant=..., get_title=..., get_url=...,
                          condition_fields={"amount": _("金额")}, condition_values=...,
                          on_approved=..., on_rejected=..., on_withdrawn=...,
                          default_chain=[StepSpec(...), ...]))

A step condition is a tiny expression over ``condition_values(doc)``: clauses ``field op value``
joined by ``and`` / ``or`` (``and`` binds tighter; no parentheses). ``op`` is one of
``== != > >= < <=``; ``value`` is a number, ``true``/``false`` or a bare word. Example:
``is_special == true or ratio_over_limit == true``."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import StepKind, StepMode, StepScope


@dataclass(frozen=True)
class StepSpec:
    name: str
    role: str
    kind: str = StepKind.APPROVE
    scope: str = StepScope.TENANT
    mode: str = StepMode.ANY
    condition: str = ""
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentType:
    key: str
    label: Any
    model: str  # "app_label.ModelName", a TenantOwned model
    get_applicant: Callable
    get_title: Callable
    get_url: Callable
    get_branch: Callable | None = None
    condition_fields: dict = field(default_factory=dict)  # name -> label, for the chain editor
    condition_values: Callable | None = None
    on_approved: Callable | None = None  # (doc, actor)
    on_rejected: Callable | None = None  # (doc, actor, reason)
    on_withdrawn: Callable | None = None  # (doc, actor)
    default_chain: list[StepSpec] = field(default_factory=list)
    # Optional: (tenant) -> list[StepSpec], the default built from the tenant's settings
    # (e.g. optional steps switched on); used instead of ``default_chain`` when given.
    default_chain_for: Callable | None = None
    # Extra lines shown to approvers above the action buttons, e.g. the ratio policy.
    reviewer_notes: Callable | None = None  # (doc) -> list[str]

    @property
    def model_class(self):
        return apps.get_model(self.model)

    def branch_of(self, doc):
        return self.get_branch(doc) if self.get_branch else None

    def values_of(self, doc) -> dict:
        return dict(self.condition_values(doc)) if self.condition_values else {}


_REGISTRY: dict[str, DocumentType] = {}


def register(doc_type: DocumentType) -> DocumentType:
    existing = _REGISTRY.get(doc_type.key)
    if existing is not None and existing.model != doc_type.model:
        raise ValueError(f"approval document type {doc_type.key!r} is already registered")
    for spec in doc_type.default_chain:
        validate_condition(spec.condition, doc_type)
    _REGISTRY[doc_type.key] = doc_type
    return doc_type


def get_type(key: str) -> DocumentType:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise LookupError(f"unknown approval document type {key!r}")


def type_for_document(document) -> DocumentType:
    label = document._meta.label
    for doc_type in _REGISTRY.values():
        if doc_type.model == label:
            return doc_type
    raise LookupError(f"no approval document type registered for {label}")


def all_types() -> list[DocumentType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.key)


# --- conditions ------------------------------------------------------------------------------

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VALUE = re.compile(r"^[\w.\-]+$")


def _parse_value(raw: str):
    lowered = raw.lower()
    if lowered in {"true", "是"}:
        return True
    if lowered in {"false", "否"}:
        return False
    try:
        return Decimal(raw)
    except InvalidOperation:
        return raw


def _parse_clause(text: str) -> tuple[str, str, Any]:
    for symbol in (">=", "<=", "==", "!=", ">", "<"):
        if symbol in text:
            left, right = text.split(symbol, 1)
            name, raw = left.strip(), right.strip()
            if not _NAME.match(name) or not _VALUE.match(raw):
                break
            return name, symbol, _parse_value(raw)
    raise ValidationError(_("无法理解的条件：%(c)s"), params={"c": text}, code="bad_condition")


def parse_condition(expression: str) -> list[list[tuple[str, str, Any]]]:
    """OR-list of AND-lists of (field, op, value)."""
    expression = (expression or "").strip()
    if not expression:
        return []
    groups = []
    for group in expression.split(" or "):
        groups.append([_parse_clause(c) for c in group.split(" and ") if c.strip()])
    return groups


def validate_condition(expression: str, doc_type: DocumentType) -> None:
    for group in parse_condition(expression):
        for name, _op, _value in group:
            if name not in doc_type.condition_fields:
                raise ValidationError(
                    _("条件中的字段“%(f)s”不存在，可用字段：%(all)s"),
                    params={"f": name, "all": ", ".join(doc_type.condition_fields) or "—"},
                    code="bad_condition_field",
                )


def condition_holds(expression: str, values: dict) -> bool:
    groups = parse_condition(expression)
    if not groups:
        return True
    for group in groups:
        ok = True
        for name, op, expected in group:
            actual = values.get(name)
            if isinstance(expected, Decimal) and actual is not None and not isinstance(actual, bool):
                try:
                    actual = Decimal(str(actual))
                except InvalidOperation:
                    ok = False
                    break
            try:
                if not _OPS[op](actual, expected):
                    ok = False
                    break
            except TypeError:
                ok = False
                break
        if ok:
            return True
    return False
