"""The tenant's sales stages (客户进展阶段, S002-10): reading them and changing them.

A tenant starts with ``models.Stage`` (目标客户 → 洽谈中 → 已签约, 已流失). The tenant admin can
rename, reorder and retire stages, add stages (e.g. 意向客户 between 目标客户 and 洽谈中) and
say which moves are allowed. What the product needs to know of a stage is its kind
(``StageKind``): entering a lost stage needs the reason, a won stage counts as signed on the
home card, lost customers leave the meeting pack's follow-up list.

Reads go through ``stage_set(tenant)``: the per-process choices cache (dropped on any write
to the table), kept on the tenant object for the rest of the request (a request's tenant is
its own object). A tenant with no rows reads the starting
stages without a query being written; the first change writes the starting rows, then edits
them (``stage_save``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from marketing.audit import audit_record, changed_fields

from .models import STAGE_TRANSITIONS, CustomerStage, Stage, StageKind

_MEMO = "_customer_stage_set"
STAGE_FIELDS = ["label", "label_en", "kind", "position", "is_active", "next_codes"]
DEFAULT_KINDS = {Stage.SIGNED: StageKind.WON, Stage.LOST: StageKind.LOST}


@dataclass(frozen=True)
class StageInfo:
    code: str
    label: object  # str, or a lazy translation for the starting stages
    label_en: str
    kind: str
    position: int
    active: bool
    next: frozenset
    revision: int = 0

    @property
    def display(self) -> str:
        if self.label_en and (translation.get_language() or "").startswith("en"):
            return self.label_en
        return str(self.label)


class StageSet:
    """One tenant's stages in order, with the questions the archive asks of them."""

    def __init__(self, stages: list[StageInfo], *, configured: bool):
        self.stages = sorted(stages, key=lambda s: (s.position, s.code))
        self.by_code = {s.code: s for s in self.stages}
        self.configured = configured

    def __iter__(self):
        return iter(self.stages)

    @property
    def active(self) -> list[StageInfo]:
        return [s for s in self.stages if s.active]

    def label(self, code: str) -> str:
        info = self.by_code.get(code)
        return info.display if info else code

    def kind(self, code: str) -> str:
        info = self.by_code.get(code)
        return info.kind if info else StageKind.OPEN

    def codes(self, kind: str) -> list[str]:
        return [s.code for s in self.stages if s.kind == kind]

    @property
    def initial(self) -> str:
        """Where a new customer starts: the first active open stage."""
        return next((s.code for s in self.active if s.kind == StageKind.OPEN), self.stages[0].code)

    def tone(self, code: str) -> str:
        """The pill's tone key (marketing.templatetags.platform.PILL_TONES["customer_stage"])."""
        kind = self.kind(code)
        if kind == StageKind.OPEN and code == self.initial:
            return "entry"
        return str(kind)

    def choices(self, *, keep: str = "") -> list[tuple[str, str]]:
        """The active stages, plus ``keep`` (a record's current stage) if it was retired."""
        return [(s.code, s.display) for s in self.stages if s.active or s.code == keep]

    def lookup_labels(self) -> dict[str, str]:
        """Import: an active stage by its code, Chinese or English name."""
        out: dict[str, str] = {}
        for s in self.active:
            for key in (s.code, str(s.label), s.label_en):
                if key:
                    out[key.strip().lower()] = s.code
        return out

    def may_move(self, old: str, new: str) -> bool:
        if old == new:
            return True
        target = self.by_code.get(new)
        if target is None or not target.active:
            return False
        here = self.by_code.get(old)
        # A customer in a retired (or unknown) stage may move to any active stage.
        return here is None or not here.active or new in here.next

    def needs_reason(self, old: str, new: str) -> bool:
        """S002-10: entering a lost stage from a stage that is not lost needs the reason."""
        return self.kind(new) == StageKind.LOST and (not old or self.kind(old) != StageKind.LOST)


def starting_stages() -> list[StageInfo]:
    with translation.override("en"):
        english = {code: str(code.label) for code in Stage}
    return [
        StageInfo(code=str(code), label=code.label, label_en=english[code], kind=str(DEFAULT_KINDS.get(code, StageKind.OPEN)),
                  position=(i + 1) * 10, active=True, next=frozenset(str(c) for c in STAGE_TRANSITIONS[code]))
        for i, code in enumerate(Stage)
    ]


_ROW = ("code", "label", "label_en", "kind", "position", "is_active", "next_codes", "revision")


def _info(row: tuple) -> StageInfo:
    code, label, label_en, kind, position, active, next_codes, revision = row
    return StageInfo(code=code, label=label, label_en=label_en, kind=kind, position=position, active=active,
                     next=frozenset(next_codes or ()), revision=revision)


def stage_set(tenant) -> StageSet:
    """The tenant's stages (a Tenant, or its id: no memo then)."""
    memo = getattr(tenant, "__dict__", {}).get(_MEMO)
    if memo is not None:
        return memo
    from marketing.pagecache import cached_choices

    tenant_id = getattr(tenant, "pk", tenant)
    # Read through the per-process choices cache (its generation moves on any write to the
    # table, marketing/pagecache.py): list pages pay no query for the stages.
    rows = [_info(r) for r in cached_choices(CustomerStage.objects.filter(tenant_id=tenant_id).values_list(*_ROW))]
    result = StageSet(rows, configured=True) if rows else StageSet(starting_stages(), configured=False)
    if hasattr(tenant, "__dict__"):
        tenant.__dict__[_MEMO] = result
    return result


def forget(tenant) -> None:
    getattr(tenant, "__dict__", {}).pop(_MEMO, None)


def ensure_default_stages(*, tenant) -> None:
    """Write the starting stages as the tenant's rows (idempotent)."""
    if CustomerStage.objects.filter(tenant=tenant).exists():
        return
    with translation.override("zh-hans"):
        CustomerStage.objects.bulk_create([
            CustomerStage(tenant=tenant, code=s.code, label=str(s.label), label_en=s.label_en, kind=s.kind,
                          position=s.position, next_codes=sorted(s.next))
            for s in starting_stages()
        ])
    forget(tenant)


def _new_code(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"stage-{n}" in taken:
        n += 1
    return f"stage-{n}"


def _check_whole(rows: list[CustomerStage]) -> None:
    active = [r for r in rows if r.is_active]
    for kind, message in (
        (StageKind.OPEN, _("至少要保留一个启用的“进行中”阶段（新客户从第一个进行中阶段开始）。")),
        (StageKind.WON, _("至少要保留一个启用的“成交”阶段。")),
        (StageKind.LOST, _("至少要保留一个启用的“失败/流失”阶段（失败须写明原因）。")),
    ):
        if not any(r.kind == kind for r in active):
            raise ValidationError(message, code="stage_kind_missing")
    seen: dict[str, str] = {}
    for r in rows:
        key = r.label.strip().lower()
        if key in seen:
            raise ValidationError({"label": ValidationError(
                _("已有名为“%(label)s”的阶段。"), code="stage_label_taken", params={"label": r.label})})
        seen[key] = r.code


@transaction.atomic
def stage_save(*, tenant, actor, data: dict, code: str = "", previous: list[str] | None = None,
               revision: int | None = None, request=None) -> CustomerStage:
    """Create (``code`` empty) or change one stage. ``data`` holds ``STAGE_FIELDS``;
    ``previous`` (if given) are the stages that may move to this one; ``revision`` is the
    revision the editor read (a stale tab is refused)."""
    existed = CustomerStage.objects.filter(tenant=tenant).exists()
    ensure_default_stages(tenant=tenant)
    rows = list(CustomerStage.objects.select_for_update().filter(tenant=tenant).order_by("position", "id"))
    by_code = {r.code: r for r in rows}
    if code:
        row = by_code.get(code)
        if row is None:
            raise CustomerStage.DoesNotExist(code)
        # The starting stages read as revision 0: an editor who read them is current only if
        # nobody wrote the tenant's rows since.
        if revision is not None and revision != (row.revision if existed else 0):
            raise ValidationError(_("此阶段已被他人修改，请刷新页面后重新编辑。"), code="stale")
        before = {f: getattr(row, f) for f in STAGE_FIELDS}
    else:
        row = CustomerStage(tenant=tenant, code=_new_code(set(by_code)))
        rows.append(row)
        before = {}
    for field in STAGE_FIELDS:
        if field in data:
            setattr(row, field, data[field])
    row.label = (row.label or "").strip()
    if not row.label:
        raise ValidationError({"label": ValidationError(_("请填写阶段名称。"), code="required")})
    row.next_codes = sorted({c for c in (row.next_codes or []) if c in by_code and c != row.code})
    touched = [row]
    if previous is not None:
        wanted = {c for c in previous if c in by_code and c != row.code}
        for other in rows:
            if other is row:
                continue
            has = row.code in (other.next_codes or [])
            if (other.code in wanted) != has:
                other.next_codes = sorted(set(other.next_codes or []) ^ {row.code})
                touched.append(other)
    _check_whole(rows)
    row.full_clean(exclude=["tenant", "next_codes"])
    for r in touched:
        if r.pk:
            r.revision += 1
        r.save()
    after = {f: getattr(row, f) for f in STAGE_FIELDS}
    b, a = changed_fields(before, after)
    audit_record(tenant=tenant, actor=actor, verb="customers.stage_update" if code else "customers.stage_create",
                 obj=row, before=b, after=a | ({"previous": sorted(previous)} if previous is not None else {}),
                 request=request)
    forget(tenant)
    return row
