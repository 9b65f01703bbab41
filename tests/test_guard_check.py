"""Guard.check's short way (plain strings, for an absolute path under the folder) gives exactly what its long way
(pathlib) gives, for every path: the same checked path, or the same refusal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apcli.records.guard import Guard, UnsafePath

NAMES = ["cases", "letters", "dir", "file", "link", "dirlink", "fifo", "missing", ".", "..", ""]


def planted(root: Path) -> None:
    """A folder holding each kind of thing check() must tell apart, in the folder and one level down."""
    for folder in (root, root / "cases", root / "dir"):
        folder.mkdir(exist_ok=True)
        (folder / "file").write_text("x")
        (folder / "dir").mkdir(exist_ok=True)
        for name, target in (("link", "file"), ("dirlink", "dir")):
            if not (folder / name).is_symlink():
                (folder / name).symlink_to(target)
        if not (folder / "fifo").exists():
            os.mkfifo(folder / "fifo")


def outcome(check, path: str, area: str | None) -> str:  # type: ignore[no-untyped-def]
    try:
        return f"ok {check(path, area)}"
    except UnsafePath as error:
        return f"refused {error}"


@pytest.fixture(scope="module", params=["real", "through a link"])
def guard(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Guard:
    """The folder as given, or reached through a link the user chose (the given path then differs from root)."""
    root = tmp_path_factory.mktemp("guarded")
    planted(root)
    if request.param == "real":
        return Guard(root)
    alias = root.parent / f"{root.name}-alias"
    alias.symlink_to(root)
    return Guard(alias)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(NAMES), min_size=0, max_size=4),
    absolute=st.sampled_from(["root", "given", "relative"]),
    area=st.sampled_from([None, "cases", "dir"]),
)
def test_the_short_way_checks_as_the_long_way(guard: Guard, parts: list[str], absolute: str, area: str | None) -> None:
    tail = "/".join(parts)
    path = {"root": f"{guard.root}/{tail}", "given": f"{guard.given}/{tail}", "relative": tail}[absolute]
    assert outcome(guard.check, path, area) == outcome(guard._check_long, path, area)


def test_the_short_way_is_taken_for_a_case_file_and_refuses_a_link(guard: Guard) -> None:
    assert guard._check_inside(f"{guard.root}/cases/file", "cases") == guard.root / "cases" / "file"
    assert guard._check_inside(f"{guard.root}/cases/link", "cases") is None  # the long way says why
    with pytest.raises(UnsafePath, match="a link"):
        guard.check(f"{guard.root}/cases/link", "cases")
    with pytest.raises(UnsafePath, match="where a folder should be"):
        guard.check(f"{guard.root}/cases/file/more", "cases")
