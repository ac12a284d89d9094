"""The company / salesperson split of a hospitality bill (seed 001 点餐标准), as a pure
function over plain values so every reason can be pinned with exact amounts.

* dishes: allowed = diners + ``policy.extra_dishes``; when more were ordered, the salesperson
  pays dish total × (ordered − allowed) ÷ ordered, rounded to the fen (half up), spread over
  the dish lines in proportion to their amounts (the last dish line takes the rounding rest);
* soup and staple food: covered;
* drinks: personal (the company supplies the drinks: 酒水由公司配备);
* anything that is not a meal or lodging (gifts, luxury, entertainment): personal;
* lodging: covered up to the standard × room-nights, the rest personal; personal in full when
  the application did not include lodging;
* a blanket reason (no approved application, emergency not completed in time, venue not
  designated, more diners than approved without a note): everything personal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def fen(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


@dataclass
class Line:
    kind: str
    amount: Decimal
    quantity: int = 1
    company: Decimal = ZERO
    personal: Decimal = ZERO
    reason: str = ""


@dataclass
class Split:
    lines: list[Line]
    bill_total: Decimal = ZERO
    company: Decimal = ZERO
    personal: Decimal = ZERO
    dish_count: int = 0
    allowed_dishes: int = 0
    notes: list[str] = field(default_factory=list)


def _city(name) -> str:
    name = (name or "").strip()
    return name[:-1] if len(name) > 1 and name.endswith("市") else name


def away_from_branch(*, venue_city, branch_city) -> bool:
    """A venue in another city than the branch's (both known): hospitality on a business trip,
    outside the regulation (外出联系业务中发生的招待费不在此范畴). "郑州" and "郑州市" are one city."""
    venue_city, branch_city = _city(venue_city), _city(branch_city)
    return bool(venue_city and branch_city and venue_city != branch_city)


def blanket_reason(*, application, venue, diners: int, diners_note: str, branch_city: str = "") -> str:
    """Why the whole bill falls on the salesperson, or "" when the paperwork is complete.
    ``application`` is an object with ``status`` and ``expected_diners`` (or None); ``venue`` a
    venue with ``is_active`` and ``city`` (or None for a place that is not designated);
    ``branch_city`` the claim's branch's city."""
    if application is None:
        return _("无招待申请：未完善招待手续，全部由个人自理")
    if application.status == "lapsed":
        return _("紧急申请未在期限内补全（拒付）：全部由个人自理")
    if application.status != "approved":
        return _("招待申请未获批准：全部由个人自理")
    if venue is None or not venue.is_active:
        return _("非定点招待场所：全部由个人自理")
    if away_from_branch(venue_city=getattr(venue, "city", ""), branch_city=branch_city):
        return _("外出联系业务中发生的招待费不在招待费范围内：全部由个人自理")
    if diners > application.expected_diners and not (diners_note or "").strip():
        return _("就餐 %(d)s 人超出批准的 %(a)s 人且未说明：全部由个人自理") % {
            "d": diners, "a": application.expected_diners}
    return ""


def compute_split(*, lines: list[Line], diners: int, extra_dishes: int, lodging_per_room_night: Decimal,
                  lodging_approved: bool = True, blanket: str = "") -> Split:
    for line in lines:
        line.amount = fen(line.amount)
        line.company, line.personal, line.reason = line.amount, ZERO, ""
    dishes = [ln for ln in lines if ln.kind == "dish"]
    ordered = sum(ln.quantity for ln in dishes)
    allowed = diners + extra_dishes
    split = Split(lines=lines, dish_count=ordered, allowed_dishes=allowed)
    if blanket:
        for line in lines:
            line.company, line.personal, line.reason = ZERO, line.amount, blanket
    else:
        dish_total = sum((ln.amount for ln in dishes), ZERO)
        if ordered > allowed and dish_total > 0:
            excess = fen(dish_total * (ordered - allowed) / ordered)
            reason = _("菜品 %(o)s 道，标准 %(a)s 道（%(d)s 人 + %(x)s）：菜品合计 ¥%(t)s × (%(o)s − %(a)s) ÷ %(o)s "
                       "= ¥%(e)s 由个人自理") % {"o": ordered, "a": allowed, "d": diners, "x": extra_dishes,
                                              "t": money(dish_total), "e": money(excess)}
            split.notes.append(reason)
            rest = excess
            priced = [ln for ln in dishes if ln.amount > 0]
            for i, line in enumerate(priced):
                share = rest if i == len(priced) - 1 else min(fen(line.amount * excess / dish_total), rest)
                share = min(share, line.amount)
                rest -= share
                line.personal, line.company, line.reason = share, line.amount - share, reason
        for line in lines:
            if line.kind == "drink":
                line.company, line.personal = ZERO, line.amount
                line.reason = _("酒水由公司配备，账单上的酒水不予报销")
            elif line.kind == "other":
                line.company, line.personal = ZERO, line.amount
                line.reason = _("招待费只限客户用餐和住宿（不含礼品、高档消费和娱乐）")
            elif line.kind == "lodging":
                if not lodging_approved:
                    line.company, line.personal = ZERO, line.amount
                    line.reason = _("招待申请未包含住宿")
                    continue
                cap = fen(Decimal(lodging_per_room_night) * max(line.quantity, 1))
                if line.amount > cap:
                    line.company, line.personal = cap, line.amount - cap
                    line.reason = _("住宿标准 ¥%(s)s/间夜 × %(n)s 间夜 = ¥%(c)s，超出 ¥%(p)s 由个人自理") % {
                        "s": money(lodging_per_room_night), "n": max(line.quantity, 1), "c": money(cap),
                        "p": money(line.personal)}
    split.bill_total = sum((ln.amount for ln in lines), ZERO)
    split.company = sum((ln.company for ln in lines), ZERO)
    split.personal = sum((ln.personal for ln in lines), ZERO)
    return split
