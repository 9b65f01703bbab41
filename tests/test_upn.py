"""Unique Pupil Numbers: format, check letter and normalisation (apcli/model/upn.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apcli.model.upn import CHECK_LETTERS, check_letter, normalise_upn, upn_problem

# DfE UniquePupilNumber v2.0 test vectors.
VALID = ["B801200005001", "L860200025001", "P207000016049"]
WRONG_CHECK_LETTER = [("A801200005001", "B"), ("Q207000016049", "P")]
TEMPORARY = "X86020002500A"


@pytest.mark.parametrize("upn", VALID)
def test_dfe_valid_upns_have_no_problem(upn: str) -> None:
    assert upn_problem(upn) is None
    assert check_letter(upn[1:]) == upn[0]


@pytest.mark.parametrize(("upn", "expected"), WRONG_CHECK_LETTER)
def test_dfe_wrong_check_letter_is_reported_with_the_right_letter(upn: str, expected: str) -> None:
    problem = upn_problem(upn)
    assert problem is not None
    assert "wrong check letter" in problem
    assert upn in problem
    assert f"the digits give {expected}" in problem
    assert check_letter(upn[1:]) == expected


def test_dfe_temporary_upn_is_valid() -> None:
    assert upn_problem(TEMPORARY) is None
    # The final letter counts as its index in CHECK_LETTERS (A = 0).
    assert check_letter(TEMPORARY[1:]) == "X"


def test_dfe_letter_in_the_middle_is_the_wrong_format() -> None:
    problem = upn_problem("X80120000A001")
    assert problem is not None
    assert "not in the UPN format" in problem
    assert "X80120000A001" in problem


@pytest.mark.parametrize(
    "upn",
    [
        "",
        "B80120000500",  # 12 characters
        "B8012000050010",  # 14 characters
        "I801200005001",  # I is never a check letter
        "O801200005001",  # nor O
        "S801200005001",  # nor S
        "1801200005001",  # a digit where the check letter goes
        "X86020002500I",  # I is not a temporary-UPN letter
        "X86020002500O",
        "b801200005001",  # lower case: normalise first
        "B801 20000 5001",  # spaces: normalise first
    ],
)
def test_wrong_format_is_reported(upn: str) -> None:
    problem = upn_problem(upn)
    assert problem is not None
    assert "not in the UPN format" in problem


def test_check_letter_of_the_all_zero_body_is_a() -> None:
    assert check_letter("000000000000") == "A"


def test_check_letter_weights_run_from_2_to_13() -> None:
    # A single 1 in position p (0-based) contributes weight p + 2.
    for position in range(12):
        body = "0" * position + "1" + "0" * (11 - position)
        assert check_letter(body) == CHECK_LETTERS[(position + 2) % 23]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("B801200005001", "B801200005001"),
        ("b801200005001", "B801200005001"),
        ("  b801 2000 05001 ", "B801200005001"),
        ("x86020002500a\n", "X86020002500A"),
    ],
)
def test_normalise_upn(typed: str, expected: str) -> None:
    assert normalise_upn(typed) == expected
    assert upn_problem(normalise_upn(typed)) is None


def test_trailing_newline_is_a_format_problem_not_a_crash() -> None:
    problem = upn_problem("B801200005001\n")
    assert problem is not None
    assert "not in the UPN format" in problem


def test_non_ascii_digits_are_a_format_problem() -> None:
    body = "".join(chr(0x660 + int(c)) for c in "80120000500") + "1"
    assert upn_problem("B" + body) is not None


BODIES = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from("0123456789" + CHECK_LETTERS),
)


@settings(max_examples=200)
@given(BODIES)
def test_check_letter_makes_a_valid_upn_and_any_other_letter_is_wrong(body: str) -> None:
    letter = check_letter(body)
    assert letter in CHECK_LETTERS
    assert upn_problem(letter + body) is None
    for other in CHECK_LETTERS:
        if other == letter:
            continue
        problem = upn_problem(other + body)
        assert problem is not None
        assert "wrong check letter" in problem
        assert f"the digits give {letter}" in problem
