"""Reading results documents back, and merging the documents of several shards into one.

A results document is what ``replay --json F`` writes (schema ``replaycase.results/v2``;
v1 files are read too).
Merging checks that the shards belong together: the same ``--expect`` and
``--min-pass-rate``, no case id twice, and, when the inputs were sharded, every shard of the
same N present. The merged document lists the results by case id and is summarized again;
its ``duration_ms`` is the sum of the shards' durations (machine time, not wall time).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from .._jsonio import json_kind, loads, read_text
from .._validation import validation_message
from ..errors import ResultsError, UsageError
from ._models import READABLE_FORMATS, RESULTS_FORMAT, ReplayResult, ResultsDocument, summarize


def read_results(path: Path) -> ResultsDocument:
    """A results document written by ``replay --json``; ResultsError on anything else."""
    data = loads(read_text(path), path)
    if not isinstance(data, dict):
        raise ResultsError(path, f"expected a replaycase results document (an object), got "
                               f"{json_kind(data)}")
    format_version = data.get("schema")
    if format_version in READABLE_FORMATS:
        data = {**data, "schema": RESULTS_FORMAT}  # v1 is v2 without diverged: read as it is
    else:
        if format_version is None:
            problem = (f"not a replaycase results document (no 'schema': {RESULTS_FORMAT!r}; "
                       "write one with replay --json F)")
        elif isinstance(format_version, str) and format_version.startswith("replaycase.results/v"):
            problem = (f"schema {format_version!r} is newer than this replaycase reads "
                       f"({RESULTS_FORMAT}); upgrade replaycase")
        else:
            problem = f"schema {format_version!r} is not {RESULTS_FORMAT!r}"
        raise ResultsError(path, problem)
    try:
        return ResultsDocument.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(path, f"invalid results document: {validation_message(exc)}") \
            from None


def merge_files(paths: Sequence[Path]) -> ResultsDocument:
    """Read and merge the results documents of ``paths``."""
    return merge_documents([(path, read_results(path)) for path in paths])


def merge_documents(documents: Sequence[tuple[Path, ResultsDocument]]) -> ResultsDocument:
    """One document from the documents of several shards (each with the file it came from)."""
    if not documents:
        raise UsageError("merge needs at least one results file")
    first_path, first = documents[0]
    for path, document in documents[1:]:
        for key in ("expect", "min_pass_rate"):
            mine, theirs = getattr(first.summary, key), getattr(document.summary, key)
            if mine != theirs:
                raise UsageError(f"{path} was replayed with {key} {theirs} but {first_path} "
                                 f"with {mine}: merge results of one replay configuration")
    _check_shards(documents)
    owner: dict[str, Path] = {}
    results: list[ReplayResult] = []
    for path, document in documents:
        for result in document.results:
            if result.case_id in owner:
                raise UsageError(f"case {result.case_id!r} is in both {owner[result.case_id]} "
                                 f"and {path}: was a shard passed twice?")
            owner[result.case_id] = path
            results.append(result)
    results.sort(key=lambda r: r.case_id)
    summary = summarize(results, first.summary.expect,
                        sum(d.summary.duration_ms for _, d in documents),
                        first.summary.min_pass_rate)
    summary.not_run_ids = sorted(i for _, d in documents for i in d.summary.not_run_ids)
    summary.not_run = sum(d.summary.not_run for _, d in documents)
    # every shard lists every invalid case (it has no id to shard by): once each
    summary.invalid_cases = list({c.path: c for _, d in documents
                                  for c in d.summary.invalid_cases}.values())
    summary.invalid = len(summary.invalid_cases)
    stops = [d.summary for _, d in documents if d.summary.incomplete]
    summary.incomplete = bool(stops)
    summary.interrupted = stops[0].interrupted if stops else None
    summary.repeat = max(d.summary.repeat for _, d in documents)
    return ResultsDocument(results=results, summary=summary)


def _check_shards(documents: Sequence[tuple[Path, ResultsDocument]]) -> None:
    """Sharded inputs must all split by the same N, and none of the N may be missing."""
    shards: dict[int, Path] = {}
    total: int | None = None
    for path, document in documents:
        if not document.summary.shard:
            continue
        try:
            index, count = (int(part) for part in document.summary.shard.split("/"))
        except ValueError:
            raise ResultsError(path, f"invalid shard {document.summary.shard!r} in the "
                                   "summary") from None
        if total is not None and count != total:
            raise UsageError(f"{path} is shard {index}/{count} but another input was split "
                             f"into {total} shards")
        total = count
        if index in shards:
            raise UsageError(f"shard {index}/{count} is given twice: {shards[index]} and {path}")
        shards[index] = path
    if total is not None:
        missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in shards]
        if missing:
            raise UsageError("missing the results of shard " + ", ".join(missing)
                             + ": every shard's --json file must be merged")
