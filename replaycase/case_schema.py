"""The JSON Schema of case.yaml, generated from the model, for editors that work offline.

Scaffold writes it as ``case.schema.json`` next to the case folders (``cases/case.schema.json``)
and every case.yaml starts with ``# yaml-language-server: $schema=../case.schema.json``, which
editors resolve relative to the case.yaml itself: no network needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .case import CASE_SCHEMA, CaseSpec
from .errors import InputError
from .jsonio import write_atomic

SCHEMA_FILE = "case.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of case.yaml."""
    document = CaseSpec.model_json_schema(by_alias=True)
    schema_key = document.get("properties", {}).get("schema")
    if isinstance(schema_key, dict):
        schema_key["const"] = CASE_SCHEMA
    return {"$schema": DRAFT, "title": f"replaycase case.yaml ({CASE_SCHEMA})", **{
        k: v for k, v in document.items() if k != "title"}}


def schema_text() -> str:
    """The schema as the stable text written to files and printed."""
    return json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> bool:
    """Write the schema to ``path`` when it is missing or differs; whether it was written."""
    text = schema_text()
    try:
        if path.is_file() and path.read_text(encoding="utf-8", errors="replace") == text:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        raise InputError(path, f"cannot write the schema: {exc.strerror or exc}") from None
    return True


def write_schema_beside(case_folder: Path) -> bool:
    """The schema next to a case folder, where its case.yaml's first line points."""
    return write_schema(case_folder.parent / SCHEMA_FILE)
