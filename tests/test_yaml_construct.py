"""ap's one-pass construction of a YAML document (apcli/records/yamlio.py `construct`) reads every file exactly
as PyYAML's constructor did through ap's loader: the same value, or the same refusal with the same line.

Differential: each document is read both ways, PyYAML's `construct_document` being the oracle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from apcli.errors import InvalidFileError
from apcli.records import yamlio


def by_pyyaml(loader: yamlio.SafeRecordLoader, node: yaml.Node) -> Any:
    return loader.construct_document(node)


def read(text: str, build: Any) -> tuple[str, Any]:
    try:
        return "value", yamlio._load(text, "case.yaml", True, build)
    except InvalidFileError as error:
        return "refused", (str(error), error.line)


def same_both_ways(text: str) -> None:
    ours, theirs = read(text, yamlio.construct), read(text, by_pyyaml)
    if "!!merge" in text and ours != theirs:
        # The one difference, on purpose: an explicit !!merge key is refused as every unusual tag is (or for
        # what else is wrong); PyYAML merged it, or failed on it, before any tag was looked at.
        assert ours[0] == "refused", (text, ours)
        return
    assert ours == theirs, text
    if ours[0] == "value":  # equal as values, and of the same types (True is not 1, a date not a datetime)
        assert repr(ours[1]) == repr(theirs[1]), text


SCALARS = [
    "text",
    "'quoted'",
    '"double"',
    "1_000",
    "0x1f",
    "0o17",
    "1e3",
    "1.5e3",
    ".5",
    "-0.0",
    ".inf",
    ".nan",
    "0123",
    "12345678901234567890123456789012345",
    "2026-02-30",
    "2026-02-28",
    "2026-2-3",
    "2026-10-05 10:30:00",
    "2026-10-05T10:30:00Z",
    "~",
    "null",
    "Null",
    "",
    "true",
    "False",
    "yes",
    "no",
    "on",
    "'2026-10-05'",
    "!!str 12",
    "!!int '12'",
    "!!float 1",
    "!!timestamp '2026-10-05'",
    "!!timestamp 'not-a-day'",
    "!!binary aGk=",
    "!!python/name:os.system",
    "!!map x",
    "!!seq x",
    "!custom x",
    '"\\e"',
    '"a\\tb"',
    "|\n    block\n    text",
    ">\n    folded\n    text",
    "&anchor value",
    "*anchor",
    "[1, 2]",
    "{a: 1}",
    "[]",
    "{}",
]
KEYS = ["name", "date", "1", "01", "true", "null", "~", "'name'", "!!str name", "!!merge <<", "<<", "=", "? [a, b]"]


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """A YAML document a person might write, or get wrong: nested groups and lists of risky scalars."""
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(SCALARS))
    indent = "  " * (depth + 1)
    items = draw(st.lists(st.just(None), min_size=0, max_size=4))
    if draw(st.booleans()):
        lines = []
        for _ in items:
            key = draw(st.sampled_from(KEYS))
            lines.append(f"{indent}{key}: {draw(documents(depth + 1))}")  # type: ignore[no-untyped-call]
        body = "\n".join(lines)
    else:
        body = "\n".join(f"{indent}- {draw(documents(depth + 1))}" for _ in items)  # type: ignore[no-untyped-call]
    return "\n" + body if body else "{}"


@settings(max_examples=600, deadline=None)
@given(documents())
def test_any_document_reads_the_same_as_pyyaml_reads_it(body: str) -> None:
    same_both_ways("pupil:" + body + "\n")
    same_both_ways(body.strip() + "\n" if body.strip() else "x: 1\n")


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**12), 10**12)
        | st.text(max_size=20)
        | st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
        | st.floats(allow_nan=False),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    ),
    st.booleans(),
)
def test_what_a_yaml_writer_writes_reads_the_same_as_pyyaml_reads_it(value: Any, flow: bool) -> None:
    same_both_ways(yaml.safe_dump({"data": value}, default_flow_style=flow, allow_unicode=True))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a key twice
        "a: &x 1\nb: *x\n",  # an alias
        "a: {b: {c: !!binary aGk=}}\nd: 1\nd: 2\n",  # a tag below and a repeated key above: which is found first
        "a:\n  - !!binary aGk=\n  - {x: 1, x: 2}\n",
        "? [a, b]\n: 1\n",  # a list as a key
        "? !!binary aGk=\n: 1\n",
        "day: 2027-02-29\n",
        "n: 1234567890123456789012345678901234567890\n",
        "t: !!map x\n",
        "t: !!timestamp 'not a day'\n",  # PyYAML failed on it without a message; now refused with one
    ],
)
def test_each_way_of_getting_it_wrong_is_refused_as_pyyaml_refused_it(text: str) -> None:
    ours = read(text, yamlio.construct)
    assert ours == read(text, by_pyyaml) and ours[0] == "refused", ours


def test_every_records_file_of_the_demo_school_reads_the_same(demo: Path) -> None:
    files = sorted(demo.rglob("*.yaml"))
    assert len(files) >= 15
    for path in files:
        same_both_ways(path.read_text(encoding="utf-8"))
