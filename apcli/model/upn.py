"""Unique Pupil Numbers: format and check letter (DfE UniquePupilNumber v2.0)."""

from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_FORMAT = re.compile(rf"[{CHECK_LETTERS}][0-9]{{11}}[0-9{CHECK_LETTERS}]")


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it.

    Each character is weighted by its position, the first weighing 2 and the
    last 13; a letter in the last place (a temporary UPN) counts as its index
    in CHECK_LETTERS. The sum modulo 23 indexes CHECK_LETTERS.
    """
    total = 0
    for weight, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += weight * value
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why `upn` is not a valid UPN, or None when it is."""
    if not _FORMAT.fullmatch(upn):
        return (
            f"UPN {upn!r} is not in the UPN format: 13 characters, a check letter, "
            "11 digits, then a digit (or a letter for a temporary UPN)"
        )
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        return f"UPN {upn!r} has the wrong check letter ({upn[0]}; the digits give {expected}); check it was copied correctly"
    return None


def normalise_upn(upn: str) -> str:
    return upn.strip().upper().replace(" ", "")
