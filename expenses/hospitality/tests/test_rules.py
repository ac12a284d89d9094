"""The split, as a pure function: each reason for a personal share with exact amounts
(seed 001 点餐标准; issue 13)."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from expenses.hospitality.rules import Line, compute_split


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def split(lines, diners=4, **kw):
    kw.setdefault("extra_dishes", 1)
    kw.setdefault("lodging_per_room_night", D("300.00"))
    return compute_split(lines=lines, diners=diners, **kw)


def test_within_the_standard_everything_is_company():
    s = split([Line("dish", D("500.00"), 5), Line("soup", D("38.00")), Line("staple", D("20.00"))])
    assert (s.company, s.personal, s.dish_count, s.allowed_dishes) == (D("558.00"), D("0.00"), 5, 5)
    assert all(ln.reason == "" for ln in s.lines)


def test_dishes_beyond_diners_plus_one_exact_share_to_the_fen():
    # 4 diners -> 5 dishes allowed; 7 ordered for ¥1,000.00: 1000 × 2 ÷ 7 = 285.714… -> 285.71
    s = split([Line("dish", D("600.00"), 4), Line("dish", D("400.00"), 3), Line("soup", D("30.00"))])
    assert s.personal == D("285.71")
    assert s.company == D("744.29")
    first, second, soup = s.lines
    # spread by amount: 600 × 285.71 ÷ 1000 = 171.43 (rounded), the rest 114.28 on the last dish line
    assert (first.personal, second.personal, soup.personal) == (D("171.43"), D("114.28"), D("0.00"))
    assert "菜品 7 道，标准 5 道" in first.reason and "285.71" in first.reason


def test_drinks_are_personal():
    s = split([Line("dish", D("300.00"), 3), Line("drink", D("188.00"))], diners=2)
    assert (s.company, s.personal) == (D("300.00"), D("188.00"))
    assert "酒水" in s.lines[1].reason


def test_anything_not_meals_or_lodging_is_personal():
    s = split([Line("dish", D("300.00"), 3), Line("other", D("520.00"))], diners=2)
    assert (s.company, s.personal) == (D("300.00"), D("520.00"))
    assert "礼品" in s.lines[1].reason


def test_lodging_above_the_standard_is_personal():
    # 2 room-nights at a ¥300 standard = ¥600 covered; bill ¥760 -> ¥160 personal
    s = split([Line("lodging", D("760.00"), 2)], diners=1)
    assert (s.company, s.personal) == (D("600.00"), D("160.00"))
    assert "住宿标准 ¥300.00/间夜 × 2 间夜" in s.lines[0].reason


def test_lodging_not_in_the_application_is_personal():
    s = split([Line("lodging", D("280.00"), 1)], diners=1, lodging_approved=False)
    assert (s.company, s.personal) == (D("0.00"), D("280.00"))


def test_a_blanket_reason_makes_everything_personal():
    s = split([Line("dish", D("300.00"), 3), Line("soup", D("30.00"))], diners=2, blanket="非定点招待场所")
    assert (s.company, s.personal, s.bill_total) == (D("0.00"), D("330.00"), D("330.00"))
    assert {ln.reason for ln in s.lines} == {"非定点招待场所"}


def test_a_policy_with_another_dish_standard():
    # extra_dishes = 0: 4 diners -> 4 dishes; 5 ordered for ¥500 -> 500 × 1 ÷ 5 = 100.00
    s = split([Line("dish", D("500.00"), 5)], extra_dishes=0)
    assert s.personal == D("100.00")


def test_rounding_half_up_to_the_fen():
    # 1 diner -> 2 allowed; 3 ordered for ¥100.00 -> 100 ÷ 3 = 33.333… -> 33.33
    s = split([Line("dish", D("100.00"), 3)], diners=1)
    assert s.personal == D("33.33") and s.company == D("66.67")
    # ¥0.05 × 1 ÷ 2 = 0.025 -> 0.03 (half up)
    s = split([Line("dish", D("0.05"), 2)], diners=0)
    assert s.allowed_dishes == 1 and s.personal == D("0.03")
