"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capital letters without I, O, Z, S, V):
1 registration authority, 1 organisation type, 6 administrative division (digits),
9 organisation code (GB 11714), 1 check character. The check character is
``31 - (sum(value(c_i) * 3**i mod 31) mod 31)``, 31 meaning 0.

``check(code)`` answers one of the ``Problem`` values (or None when the code is valid), so
a form can refuse a malformed code outright and accept a code that only fails the check
digit when the user records why (codes issued before 2016 exist that fail it)."""

from __future__ import annotations

import enum
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
LENGTH = 18


class Problem(enum.Enum):
    LENGTH = "length"  # not 18 characters
    ALPHABET = "alphabet"  # a character outside the 31-symbol set (I, O, Z, S, V, punctuation ...)
    DIVISION = "division"  # characters 3-8 (administrative division) are not digits
    CHECK_DIGIT = "check_digit"  # well-formed, but the 18th character does not match


def normalize(code: str) -> str:
    """Full-width to half-width (NFKC), spaces and hyphens removed, upper case."""
    code = unicodedata.normalize("NFKC", code or "")
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").upper()


def check_character(body: str) -> str:
    """The 18th character for the first 17."""
    total = sum(VALUES[c] * w for c, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check(code: str) -> Problem | None:
    """None for a valid (already normalized) code, else what is wrong with it. Format
    problems come before the check digit: a code that is not even well-formed never gets
    as far as the override."""
    if len(code) != LENGTH:
        return Problem.LENGTH
    if any(c not in VALUES for c in code):
        return Problem.ALPHABET
    if not code[2:8].isdigit():
        return Problem.DIVISION
    if check_character(code[:17]) != code[17]:
        return Problem.CHECK_DIGIT
    return None


def is_valid(code: str) -> bool:
    return check(normalize(code)) is None
