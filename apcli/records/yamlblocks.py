"""Rewriting a large case file in time proportional to what changed, not to the file.

ruamel.yaml's round trip (which keeps comments) takes seconds per 100 KB: a case
with years of history took minutes for one `ap contact`. Most changes touch one
or two top-level fields, and most of those only append to a list (history,
contacts, notices). So the file is cut at its top-level keys; a field whose
value is unchanged keeps its text exactly, a list that only grew gets its new
items written after the old ones, and only a field that changed otherwise goes
through the round trip, on its own. Anything unusual (a document marker, keys
added or removed, a block that does not read back as its one key) takes the
whole-file round trip instead, so the result is always what it would have been.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from apcli.records import yamlio

_TOP_KEY = re.compile(r"[^\s#\-%.\[{'\"][^\n]*")  # a line at column 0 that can only begin a top-level key


def _blocks(text: str) -> tuple[str, list[str]] | None:
    """The text before the first key (comments), and one text block per top-level key; None if unusual."""
    lines = text.splitlines(keepends=True)
    head: list[str] = []
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith(("---", "...", "%")):
            return None
        if _TOP_KEY.fullmatch(line.rstrip("\n")):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            head.append(line)
    if any(line.strip() and not line.lstrip().startswith("#") for line in head):
        return None
    return "".join(head), ["".join(block) for block in blocks]


def _one_key(block: str) -> tuple[str, Any] | None:
    try:
        data = yamlio.load(block, "block")
    except Exception:  # anything unusual in a block: let the whole-file round trip decide
        return None
    if not isinstance(data, dict) or len(data) != 1:
        return None
    key, value = next(iter(data.items()))
    return (key, value) if isinstance(key, str) else None


def _unchanged(old: Any, full: Any, minimal: Any) -> bool:
    """Whether the round trip would leave `old` (as read) as it is when given `full` (with defaults) and
    `minimal` (without): every key there keeps its value, and no key is added (a default nobody wrote is not)."""
    if isinstance(old, dict):
        if not isinstance(full, dict):
            return False
        inner = minimal if isinstance(minimal, dict) else {}
        return all(key in full and _unchanged(old[key], full[key], inner.get(key)) for key in old) and not any(
            key not in old for key in inner
        )
    if isinstance(old, list):
        if not isinstance(full, list) or len(old) != len(full):
            return False
        items = minimal if isinstance(minimal, list) and len(minimal) == len(full) else [None] * len(full)
        return all(_unchanged(a, b, c) for a, b, c in zip(old, full, items, strict=True))
    new = _as_read(full)
    if isinstance(old, bool) != isinstance(new, bool) or isinstance(new, dict | list):
        return False
    if type(old) is not type(new) and not (isinstance(old, int | float) and isinstance(new, int | float)):
        return False
    return bool(old == new)


def _appended(block: str, key: str, added: list[Any]) -> str:
    """`block` (a `key:` list in house style) with `added` items written after its last item."""
    text = yamlio.dump_new({key: added})
    items = text.split("\n", 1)[1]
    body = block.rstrip("\n")
    trailing = block[len(body) :]
    last_line = body.rsplit("\n", 1)[-1]
    first_item = next((line for line in body.split("\n")[1:] if line.strip() and not line.lstrip().startswith("#")), "")
    if last_line.lstrip().startswith("#") or not (items.startswith("  - ") and first_item.startswith("  - ")):
        raise ValueError("not a list in house style (items indented two spaces)")
    return body + "\n" + items.rstrip("\n") + (trailing or "\n")


def update_text(old_text: str, data: dict[str, Any], file: str, full: dict[str, Any]) -> str:
    """As `yamlio.update_text(old_text, data, file, full)`, in time proportional to the changed fields."""
    result = _by_blocks(old_text, data, file, full)
    return result if result is not None else yamlio.update_text(old_text, data, file, full=full)


def _by_blocks(old_text: str, data: dict[str, Any], file: str, full: dict[str, Any]) -> str | None:
    cut = _blocks(old_text)
    if cut is None:
        return None
    head, blocks = cut
    read = [_one_key(block) for block in blocks]
    if any(item is None for item in read):
        return None
    old = dict(item for item in read if item is not None)
    if len(old) != len(blocks) or not set(data) <= set(old) <= set(full):
        return None  # a field added or removed: the whole-file round trip places it
    parts = [head]
    for (key, value), block in zip(old.items(), blocks, strict=True):
        parts.append(_block_for(block, key, value, data, full[key], file))
    return "".join(parts)


def _as_read(value: Any) -> Any:
    """A scalar as it reads back once written (money and whole floats are written as numbers, see yamlio.plain)."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return int(value) if value == int(value) else float(value)
    return value


def _block_for(block: str, key: str, old: Any, data: dict[str, Any], full: Any, file: str) -> str:
    minimal = data.get(key)
    if _unchanged(old, full, minimal):
        return block
    if (
        isinstance(old, list)
        and isinstance(full, list)
        and len(full) > len(old)
        and _unchanged(old, full[: len(old)], minimal[: len(old)] if isinstance(minimal, list) else None)
    ):
        added = minimal if isinstance(minimal, list) and len(minimal) == len(full) else full
        try:
            return _appended(block, key, added[len(old) :])
        except ValueError:
            pass
    return yamlio.update_text(block, {key: minimal} if key in data else {}, file, full={key: full})
