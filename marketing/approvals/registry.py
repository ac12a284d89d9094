"""Document types that run on the approval machinery. An app registers its types from its
``AppConfig.ready()``::

    register(DocumentType(key="expenses.request", label=_("营销费用申请"), model="expenses.ExpenseRequest",
                          get_branch=..., get_applicant=..., get_title=..., get_url=...,
                          condition_fields={"amount": _("金额")}, condition_values=...,
                          on_approved=..., on_rejected=..., on_withdrawn=...,
                          default_chain=[StepSpec(...), ...]))

A step condition is a tiny expression over ``condition_values(doc)``: clauses ``field op value``
joined by ``and`` / ``or`` (``and`` binds tighter; no parentheses). ``op`` is one of
``== != > >= < <=`` or ``in`` (``branch in SH|HZ``); ``value`` is a number, ``true``/``false``
or a bare word. Example: ``is_special == true or ratio_over_limit == true``. Nobody types
these: the chain editor builds them from dropdowns (``condition_fields``, ``build_condition``,
``condition_rows``). Every type also offers ``branch`` and ``region`` (the document's codes)."""

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
from django.utils.translation import gettext_lazy as _lazy

from .models import StepKind, StepMode, StepScope


@dataclass(frozen=True)
class StepSpec:
    """One step of a chain. Who signs, most specific first: ``user_ids`` (named people), else
    the holders of the tenant's position named ``position`` (岗位, by name), else -- and also
    when that position does not exist or nobody holds it in scope -- the holders of ``role``."""

    name: str
    role: str = ""
    kind: str = StepKind.APPROVE
    scope: str = StepScope.TENANT
    mode: str = StepMode.ANY
    condition: str = ""
    checklist: tuple[str, ...] = ()
    position: str = ""
    user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConditionField:
    """A field a step condition may test, as the chain editor offers it: a dropdown of the
    operators that make sense for ``type`` and, for ``bool``/``choice``, a dropdown of values.
    ``type``: ``number`` | ``money`` | ``bool`` | ``choice`` | ``text``."""

    label: Any
    type: str = "text"
    choices: tuple = ()  # ((value, label), ...) for "choice"; values are single words


OP_LABELS = {
    "==": _lazy("等于"), "!=": _lazy("不等于"), ">": _lazy("大于"), ">=": _lazy("大于等于"),
    "<": _lazy("小于"), "<=": _lazy("小于等于"), "in": _lazy("属于其中之一"),
}
OPS_BY_TYPE = {
    "number": ("==", "!=", ">", ">=", "<", "<="),
    "money": ("==", "!=", ">", ">=", "<", "<="),
    "bool": ("==",),
    "choice": ("==", "!=", "in"),
    "text": ("==", "!="),
}
# Offered on every document type (values filled in by the engine from the document's branch).
ENGINE_FIELDS = ("branch", "region")


@dataclass(frozen=True)
class DocumentType:
    key: str
    label: Any
    model: str  # "app_label.ModelName", a TenantOwned model
    get_applicant: Callable
    get_title: Callable
    get_url: Callable
    get_branch: Callable | None = None
    # name -> ConditionField (or just a label: the type is then read off the model field)
    condition_fields: dict = field(default_factory=dict)
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
    # A type whose chain is fixed per document (not configurable by the tenant): (doc) -> [StepSpec].
    steps_for: Callable | None = None

    @property
    def model_class(self):
        return apps.get_model(self.model)

    def branch_of(self, doc):
        return self.get_branch(doc) if self.get_branch else None

    def values_of(self, doc) -> dict:
        return dict(self.condition_values(doc)) if self.condition_values else {}


_REGISTRY: dict[str, DocumentType] = {}


@dataclass(frozen=True)
class DocumentFamily:
    """A family of document types resolved at run time, one per row of some table (the
    tenant-defined approval forms: keys ``form:<template pk>``). ``resolve(key)`` builds the
    ``DocumentType`` of one member (``LookupError`` when there is none in the current tenant
    scope); ``key_for(doc)`` names the member a document belongs to. Members are not listed
    by ``all_types`` (they are per tenant); their app offers its own list."""

    prefix: str  # the part before ":" in every member's key
    model: str  # "app_label.ModelName" of the documents
    resolve: Callable[[str], DocumentType]
    key_for: Callable[[Any], str]
    label: Any = ""  # offered as one "document type" in the inbox filters (all members at once)


_FAMILIES: dict[str, DocumentFamily] = {}


def all_families() -> list[DocumentFamily]:
    return sorted(_FAMILIES.values(), key=lambda f: f.prefix)


def register_family(family: DocumentFamily) -> DocumentFamily:
    """Additive hook (issue 15): ``get_type("<prefix>:…")`` and ``type_for_document`` of the
    family's model ask ``family`` when no fixed type is registered under the key."""
    existing = _FAMILIES.get(family.prefix)
    if existing is not None and existing.model != family.model:
        raise ValueError(f"approval document family {family.prefix!r} is already registered")
    _FAMILIES[family.prefix] = family
    return family


def register(doc_type: DocumentType) -> DocumentType:
    existing = _REGISTRY.get(doc_type.key)
    if existing is not None and existing.model != doc_type.model:
        raise ValueError(f"approval document type {doc_type.key!r} is already registered")
    for spec in doc_type.default_chain:
        validate_condition(spec.condition, doc_type)
        if not (spec.role or spec.position or spec.user_ids):
            raise ValueError(f"step {spec.name!r} of {doc_type.key!r} names no role, position or person")
    _REGISTRY[doc_type.key] = doc_type
    return doc_type


def get_type(key: str) -> DocumentType:
    try:
        return _REGISTRY[key]
    except KeyError:
        pass
    family = _FAMILIES.get(key.partition(":")[0]) if ":" in key else None
    if family is not None:
        return family.resolve(key)  # raises LookupError for an unknown member
    raise LookupError(f"unknown approval document type {key!r}")


def type_for_document(document) -> DocumentType:
    label = document._meta.label
    for doc_type in _REGISTRY.values():
        if doc_type.model == label:
            return doc_type
    for family in _FAMILIES.values():
        if family.model == label:
            return family.resolve(family.key_for(document))
    raise LookupError(f"no approval document type registered for {label}")


def all_types(*, configurable: bool | None = None) -> list[DocumentType]:
    """Registered types; ``configurable=True``: only those whose chain the tenant edits."""
    types = sorted(_REGISTRY.values(), key=lambda t: t.key)
    if configurable is not None:
        types = [t for t in types if (t.steps_for is None) == configurable]
    return types


# --- conditions ------------------------------------------------------------------------------

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "in": lambda actual, expected: actual is not None and str(actual) in expected,
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
    if " in " in text:
        left, right = text.split(" in ", 1)
        name, items = left.strip(), [i.strip() for i in right.split("|")]
        if _NAME.match(name) and items and all(_VALUE.match(i) for i in items):
            return name, "in", tuple(items)
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


def _infer_type(doc_type: DocumentType, name: str) -> tuple[str, tuple]:
    from django.db import models

    try:
        model_field = doc_type.model_class._meta.get_field(name)
    except Exception:  # not a model field (a computed value), or the model is not loaded
        model_field = None
    if isinstance(model_field, models.BooleanField):
        return "bool", ()
    if model_field is not None and getattr(model_field, "choices", None):
        return "choice", tuple((str(v), label) for v, label in model_field.choices)
    if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        return "number", ()
    if model_field is None and (name.startswith(("is_", "has_")) or name.endswith("_over_limit")):
        return "bool", ()
    return "text", ()


def condition_fields(doc_type: DocumentType, tenant=None) -> dict[str, ConditionField]:
    """Every field a condition of ``doc_type`` may test, typed; with ``tenant``, also the
    engine's own ``branch`` / ``region`` (choices: the tenant's codes)."""
    out: dict[str, ConditionField] = {}
    for name, spec in doc_type.condition_fields.items():
        if isinstance(spec, ConditionField):
            out[name] = spec
        else:
            kind, choices = _infer_type(doc_type, name)
            out[name] = ConditionField(label=spec, type=kind, choices=choices)
    if tenant is not None:
        from marketing.models import Branch, Region

        if "branch" not in out:
            out["branch"] = ConditionField(_lazy("分公司"), "choice", tuple(
                (b.code, b.name) for b in Branch.objects.filter(tenant=tenant)))
        if "region" not in out:
            out["region"] = ConditionField(_lazy("地区"), "choice", tuple(
                (r.code, r.name) for r in Region.objects.filter(tenant=tenant)))
    return out


def validate_condition(expression: str, doc_type: DocumentType) -> None:
    known = set(doc_type.condition_fields) | set(ENGINE_FIELDS)
    for group in parse_condition(expression):
        for name, _op, _value in group:
            if name not in known:
                raise ValidationError(
                    _("条件中的字段“%(f)s”不存在，可用字段：%(all)s"),
                    params={"f": name, "all": ", ".join(sorted(known)) or "—"},
                    code="bad_condition_field",
                )


def build_condition(rows, *, match: str = "all") -> str:
    """The stored expression for editor rows ``[(field, op, value), ...]``: all must hold
    (``and``) or any may (``or``). ``value`` is already a single word, number, true/false or,
    for ``in``, a tuple of words."""
    clauses = []
    for name, op, value in rows:
        if op == "in":
            value = "|".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        clauses.append(f"{name} {op} {value}")
    return (" or " if match == "any" else " and ").join(clauses)


def condition_rows(expression: str) -> tuple[str, list[tuple[str, str, Any]]] | None:
    """The editor's view of a stored expression: (match, rows), or None when it mixes
    ``and`` and ``or`` and so cannot be shown as one list of rows."""
    groups = parse_condition(expression)
    if not groups:
        return "all", []
    if len(groups) == 1:
        return "all", groups[0]
    if all(len(g) == 1 for g in groups):
        return "any", [g[0] for g in groups]
    return None


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
