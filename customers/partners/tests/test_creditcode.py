"""GB 32100-2015 check character and the format rules (统一社会信用代码)."""

import pytest

from customers.partners import creditcode
from customers.partners.creditcode import Problem, check, check_character, normalize

# Real, published codes: the standard's own example and well-known companies' codes.
REAL = [
    "91350100M000100Y43",  # GB 32100-2015 example
    "91110108551385082Q",  # 小米科技有限责任公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_pass(code):
    assert check(code) is None
    assert creditcode.is_valid(code)


def test_weights_are_powers_of_three_mod_31():
    assert creditcode.WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_check_character_computed():
    assert check_character("91350100M000100Y4") == "3"
    assert check_character("9144030071526726X") == "G"


def test_wrong_check_character_is_its_own_problem():
    assert check("91350100M000100Y44") is Problem.CHECK_DIGIT


def test_remainder_zero_maps_to_zero():
    # Find a body whose weighted sum is a multiple of 31: the check character is "0", not "31".
    body = "91350100M000100Y"
    for c in creditcode.ALPHABET:
        if check_character(body + c) == "0":
            assert check(body + c + "0") is None
            return
    pytest.fail("no body with remainder 0 found")


@pytest.mark.parametrize("code,problem", [
    ("91350100M000100Y4", Problem.LENGTH),
    ("91350100M000100Y433", Problem.LENGTH),
    ("91350100M0001I0Y43", Problem.ALPHABET),  # I is not in the 31-symbol set
    ("91350100M0001O0Y43", Problem.ALPHABET),
    ("91350100M000100S43", Problem.ALPHABET),
    ("913501A0M000100Y43", Problem.DIVISION),
])
def test_format_problems(code, problem):
    assert check(code) is problem


def test_normalize_full_width_spaces_and_case():
    assert normalize(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert normalize("91350100-m000100y43") == "91350100M000100Y43"
    assert creditcode.is_valid("91350100m000100y43")
