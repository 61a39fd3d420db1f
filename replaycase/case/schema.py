"""The JSON Schema of case.yaml, generated from the model, for editors that work offline.

Scaffold writes it as ``case.schema.json`` next to the case folders (``cases/case.schema.json``)
and every case.yaml starts with ``# yaml-language-server: $schema=../case.schema.json``, which
editors resolve relative to the case.yaml itself: no network needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._safe_files import check_output, read_regular, write_output
from ..errors import InputError
from .models import CASE_FORMAT, CaseSpec

SCHEMA_FILE = "case.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of case.yaml."""
    document = CaseSpec.model_json_schema(by_alias=True)
    schema_key = document.get("properties", {}).get("schema")
    if isinstance(schema_key, dict):
        schema_key["const"] = CASE_FORMAT
    return {"$schema": DRAFT, "title": f"replaycase case.yaml ({CASE_FORMAT})", **{
        k: v for k, v in document.items() if k != "title"}}


def schema_text() -> str:
    """The schema as the stable text written to files and printed."""
    return json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> bool:
    """Write the schema to ``path`` when it is missing or differs; whether it was written.

    A directory, link or special file at ``path`` is refused (``check_output``): never read
    or written through.
    """
    data = schema_text().encode("utf-8")
    check_output(path)
    try:
        if read_regular(path, len(data), follow=False) == data:
            return False
    except InputError:
        pass  # missing, larger than the schema or unreadable: written anew
    write_output(path, data)
    return True


def schema_beside(case_folder: Path) -> Path:
    """Where a case folder's case.yaml points: ``case.schema.json`` in the folder above."""
    if case_folder.name in ("", ".", ".."):
        case_folder = case_folder.resolve()
    return case_folder.parent / SCHEMA_FILE


def check_schema_beside(case_folder: Path) -> None:
    """Refuse, before a case is written, a schema path that is not a file (``write_schema``
    would refuse it after): the case and the schema are written both or neither."""
    check_output(schema_beside(case_folder))


def write_schema_beside(case_folder: Path) -> bool:
    """The schema next to a case folder, where its case.yaml's first line points."""
    return write_schema(schema_beside(case_folder))
