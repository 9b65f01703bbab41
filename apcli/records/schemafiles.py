"""JSON Schema (draft 7, which editors' YAML servers understand) for every records file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_DIR = "schema"


def _draft7(schema: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    converted: dict[str, Any] = json.loads(text)
    if "$defs" in converted:
        converted["definitions"] = converted.pop("$defs")
    return {"$schema": "http://json-schema.org/draft-07/schema#", **converted}


def json_schemas() -> dict[str, dict[str, Any]]:
    from apcli.model.schema import FILE_MODELS

    return {name: _draft7(model.model_json_schema(by_alias=True)) for name, model in FILE_MODELS.items()}


def write_schemas(folder: Path) -> list[Path]:
    from apcli.errors import UsageError
    from apcli.records.layout import atomic_write

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out: {folder} is a file; give a folder for the schema files.")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = folder / f"{name}.schema.json"
        atomic_write(path, json.dumps(schema, indent=2, sort_keys=False) + "\n")
        written.append(path)
    return written
