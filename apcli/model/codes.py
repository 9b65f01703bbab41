"""Attendance register codes for England since 19 August 2024 (domain-facts.md)."""

from __future__ import annotations

PRESENT_AT_SCHOOL = {"/": "present (morning)", "\\": "present (afternoon)", "L": "late before the register closed"}
ATTENDING_ELSEWHERE = {
    "K": "attending provision arranged by the local authority",
    "V": "educational visit or trip",
    "P": "approved sporting activity",
    "W": "work experience",
    "B": "any other approved educational activity",
    "D": "attending another school at which the pupil is dual registered",
}
AUTHORISED = {
    "C1": "regulated performance or employment abroad",
    "M": "medical or dental appointment",
    "J1": "interview",
    "S": "study leave",
    "X": "not of compulsory school age",
    "C2": "part-time timetable",
    "C": "exceptional circumstances",
    "T": "traveller",
    "R": "religious observance",
    "I": "illness",
    "E": "suspended or excluded, no alternative provision made",
}
UNABLE_TO_ATTEND = {
    "Q": "no access arrangements by the local authority",
    "Y1": "transport not available",
    "Y2": "widespread travel disruption",
    "Y3": "part of premises out of use",
    "Y4": "whole school closed",
    "Y5": "in detention",
    "Y6": "public health guidance or law",
    "Y7": "other unavoidable cause",
}
UNAUTHORISED = {
    "G": "holiday not agreed",
    "N": "reason not yet provided",
    "O": "other unauthorised absence",
    "U": "arrived after the register closed",
}
ADMINISTRATIVE = {"Z": "not yet on roll", "#": "planned school closure"}

ALL_CODES: dict[str, str] = {
    **PRESENT_AT_SCHOOL,
    **ATTENDING_ELSEWHERE,
    **AUTHORISED,
    **UNABLE_TO_ATTEND,
    **UNAUTHORISED,
    **ADMINISTRATIVE,
}
ATTENDED = frozenset(PRESENT_AT_SCHOOL) | frozenset(ATTENDING_ELSEWHERE)
NOT_POSSIBLE = frozenset({"X"}) | frozenset(UNABLE_TO_ATTEND) | frozenset(ADMINISTRATIVE)
RETIRED = {
    "H": "retired in 2024; a holiday agreed by the school is now C (exceptional circumstances) or not granted (G)",
    "Y": "retired in 2024; split into Y1 to Y7 (unable to attend because of an unavoidable cause)",
    "J": "retired in 2024; now J1 (interview), an authorised absence",
}
# A provider's word that means the pupil attended: becomes the provider's register code (B or D).
ATTENDED_AT_PROVIDER = "attended"
PROVIDER_CODES = ("B", "D")
DUAL_REGISTERED = "D"  # the statutory figure leaves it out of possible and attended: it counts at the other school
# Marks that say the provider could not take the pupil: on a school day, only with a closure recorded.
CLOSURE_CODES = frozenset({"#"}) | frozenset(UNABLE_TO_ATTEND) - {"Q"}
NOT_COMPULSORY_AGE = "X"
K_REFUSAL = (
    "code K is for provision arranged by the local authority; a placement the academy arranges "
    "is marked B (or D where the pupil is dual registered at the provider)"
)
