"""Import and scaffold a big trace of every format; compare with json.load of the same file.

    python bench/import_formats.py [--calls 150000] [--only FORMAT] [--repeat 1] [--max-mb 100]

Each trace is the tool-loop example of its format (tests/data/traces/) scaled up: the records
of its first tool round (the model call, the tool call and its result, and whatever the format
records around them: states, turn spans) are repeated ``--calls`` times, each copy with fresh
span / run / tool-call ids and its times moved on by one round; the records before the rounds
(the run's start) stay, those after them (the loop guard, the failed root) are moved to after
the last copy. The result is a valid trace of the same format, with ``--calls`` tool calls.
``--max-mb`` caps a file's size (fewer calls for formats whose rounds are fat), since a model
call that carries the system prompt and the tool schemas takes 3-9 KB in most formats.

For each format, each in a fresh subprocess (best of --repeat): json.load of the file (every
line for JSONL), ``load_trace(path)`` and ``scaffold(path, out)``. Printed: the file size, the
tool calls and events imported, the three wall times, import and scaffold over json.load, the
microseconds per event, and the peak memory (max RSS) of the scaffold. The first row is
bench/scaffold_large.py's replaykit trace, the reference: "x ref" is a format's scaffold time
per event over the reference's; above 3x the row is flagged.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT / "tests" / "data" / "traces"
SLOW = 3.0
"""A format is flagged when its scaffold (or import) time per event is this many times the
reference's."""

MEASURE = """
import json, resource, sys, time
from pathlib import Path
mode, trace, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
observed = json.loads(sys.argv[4])
if mode != "json":  # import time is not the parser's
    from replaycase.importers import FORMATS, get_importer, load_trace
    from replaycase.scaffolding.build import ScaffoldOptions, scaffold
    for name in FORMATS:
        get_importer(name)
start = time.perf_counter()
if mode == "json":
    with trace.open("rb") as handle:
        if trace.suffix == ".multipart":  # a LangSmith ingest body: each part's JSON
            boundary = handle.readline().strip()
            for part in handle.read().split(boundary):
                body = part.partition(b"\\r\\n\\r\\n")[2].rstrip(b"\\r\\n-")
                if body:
                    json.loads(body)
        elif trace.suffix == ".jsonl":
            for line in handle:
                if line.strip():
                    json.loads(line)
        else:
            json.load(handle)
elif mode == "import":
    runs = load_trace(trace)
else:
    scaffold(trace, out, ScaffoldOptions(observed=observed))
info = {"wall_s": time.perf_counter() - start,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if mode == "import":
    info["events"] = sum(len(run.events) for run in runs)
    info["tool_calls"] = sum(len(run.tool_calls()) for run in runs)
print(json.dumps(info))
"""

# -- tokens that change from one copy of a round to the next ---------------------------------

_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:\+00:00|Z))"  # replayt, agents, langsmith
    r"|(?P<compact>\d{8}T\d{12}Z)"  # langsmith dotted_order
    r'|(?<=")(?P<nanos>\d{19})(?=")'  # OTLP *UnixNano
    r'|(?<=_unix_nano": )(?P<mlflow_nanos>\d{19})'  # MLflow *_unix_nano (JSON numbers)
    r'|(?<="seq": )(?P<seq>\d+)'  # replayt event number
    r"|(?P<id>(?:call|toolu|span)_[0-9a-f]{24}"  # tool-call ids, Agents SDK span ids
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # LangSmith run ids
    r'|(?<=")[0-9a-f]{16}(?="))')  # OTLP span ids
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TIMES = ("iso", "compact", "nanos", "mlflow_nanos")


def to_ns(kind: str, text: str) -> int:
    """A time token as nanoseconds since the epoch."""
    if kind in ("nanos", "mlflow_nanos"):
        return int(text)
    if kind == "compact":
        moment = datetime.strptime(text, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(kind: str, ns: int, like: str) -> str:
    """Nanoseconds written as a time token of the same kind and style as ``like``."""
    if kind in ("nanos", "mlflow_nanos"):
        return str(ns)
    moment = _EPOCH + timedelta(microseconds=ns // 1000)
    if kind == "compact":
        return moment.strftime("%Y%m%dT%H%M%S%fZ")
    text = moment.isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z") if like.endswith("Z") else text


_SCRAMBLE = "9e3779b97f4a7c15" * 3
"""Hex digits of an odd multiplier: ``copy * odd`` modulo a power of two differs for every
copy."""


def fresh_id(old: str, slot: int, copy: int) -> str:
    """An id shaped like ``old`` (prefix, length, dashes), unique per (slot, copy), its hex
    digits as mixed as a random id's (secret detectors look for long runs of digits)."""
    prefix, _, body = old.rpartition("_")
    prefix = prefix + "_" if prefix else ""
    digits = sum(c != "-" for c in body) - 2
    mixed = copy * int(_SCRAMBLE[-digits:], 16) % 16**digits
    new = iter(f"b{slot:x}{mixed:0{digits}x}")
    return prefix + "".join(c if c == "-" else next(new) for c in body)


@dataclass
class Rounds:
    """How the example's rounds repeat: period, where they end, how event numbers run."""

    period_ns: int
    end_ns: int  # the latest time in any of the example's rounds
    first_end_ns: int  # the latest time in the first round
    last_seq: int
    seq_per_round: int
    seq_in_rounds: int


class Template:
    """The text of one round; ``render(n)`` is its n-th copy (ids, times, numbers moved on)."""

    def __init__(self, text: str, outside: str, rounds: Rounds, slots: dict[str, int]) -> None:
        self.rounds = rounds
        self.chunks: list[str] = []
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, value)
        last = 0
        for match in _TOKEN.finditer(text):
            kind, token = match.lastgroup or "", match.group()
            if kind != "seq" and token in outside:  # a parent's id or time: keep it
                continue
            if kind == "id":
                value = slots.setdefault(token, len(slots))
            elif kind == "seq":
                value = int(token)
            else:
                value = to_ns(kind, token)
            self.chunks.append(text[last:match.start()])
            self.tokens.append((kind, token, value))
            last = match.end()
        self.chunks.append(text[last:])

    def render(self, copy: int) -> str:
        """Copy number ``copy`` (0: the example's own round, with fresh ids)."""
        parts = []
        shift = copy * self.rounds.period_ns
        for chunk, (kind, token, value) in zip(self.chunks, self.tokens, strict=False):
            parts.append(chunk)
            if kind == "id":
                parts.append(fresh_id(token, value, copy))
            elif kind == "seq":
                parts.append(str(value + copy * self.rounds.seq_per_round))
            else:
                parts.append(from_ns(kind, value + shift, token))
        parts.append(self.chunks[-1])
        return "".join(parts)


def shift_outside(text: str, rounds: Rounds, copies: int) -> str:
    """Records around the rounds: times and numbers after the rounds move past the last copy."""
    time_shift = rounds.first_end_ns + (copies - 1) * rounds.period_ns - rounds.end_ns
    seq_shift = copies * rounds.seq_per_round - rounds.seq_in_rounds

    def move(match: re.Match[str]) -> str:
        kind, token = match.lastgroup or "", match.group()
        if kind in _TIMES:
            ns = to_ns(kind, token)
            return from_ns(kind, ns + time_shift, token) if ns >= rounds.end_ns else token
        if kind == "seq" and int(token) > rounds.last_seq:
            return str(int(token) + seq_shift)
        return token

    return _TOKEN.sub(move, text)


# -- the formats ----------------------------------------------------------------------------

Record = dict[str, Any]


def _otlp_attr(span: Record, key: str) -> Any:
    """An OTLP span attribute's value (as written: ``intValue`` stays a string)."""
    for item in span.get("attributes", []):
        if item.get("key") == key:
            return next(iter(item["value"].values()), None)
    return None


def _agents_kind(item: Record) -> str:
    """An Agents SDK span's type, ``custom:<name>`` for custom spans."""
    data = item.get("span_data") or {}
    return f"{data.get('type')}:{data.get('name')}" if data.get("type") == "custom" \
        else str(data.get("type"))


@dataclass(frozen=True)
class Format:
    """One trace format: its example, where its records are, which of them make a round."""

    name: str
    example: str
    starts: Callable[[Record], bool]  # a record that opens a round
    member: Callable[[Record], bool]  # the last record like this closes the last round
    records: tuple[str | int, ...] = ()  # path to the record list; () = the document
    id_list: str | None = None  # a key of the document listing the records' ids
    observed: tuple[str, ...] = ()  # --observed, when scaffold needs one
    scaler: Callable[[Format], Any] | None = None  # a format's own scaler, else Scaler


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("replayt", "replayt/tool-loop.jsonl",
           starts=lambda r: r["type"] == "state_entered" and r["payload"]["state"] == "think",
           member=lambda r: r["type"] == "tool_result"),
    Format("otlp-genai", "otlp-genai/tool-loop.json",
           starts=lambda s: _otlp_attr(s, "gen_ai.operation.name") == "chat",
           member=lambda s: _otlp_attr(s, "gen_ai.operation.name") == "execute_tool",
           records=("resourceSpans", 0, "scopeSpans", 0, "spans")),
    Format("openinference", "openinference/tool-loop.json",
           starts=lambda s: _otlp_attr(s, "openinference.span.kind") == "LLM",
           member=lambda s: _otlp_attr(s, "openinference.span.kind") == "TOOL",
           records=("resourceSpans", 0, "scopeSpans", 0, "spans")),
    Format("langsmith-runs", "langsmith/tool-loop.runs.json",
           starts=lambda r: r["run_type"] == "llm", member=lambda r: r["run_type"] == "tool"),
    Format("langsmith-tree", "langsmith/tool-loop.tree.json",
           starts=lambda r: r["run_type"] == "llm", member=lambda r: r["run_type"] == "tool",
           records=("child_runs",), id_list="child_run_ids"),
    Format("agents-chat", "openai-agents/tool-loop.json",
           starts=lambda i: _agents_kind(i) == "generation",
           member=lambda i: _agents_kind(i) == "custom:turn", records=("data",)),
    Format("agents-responses", "openai-agents/tool-loop.responses-api.json",
           starts=lambda i: _agents_kind(i) == "response",
           member=lambda i: _agents_kind(i) == "custom:turn", records=("data",)),
    Format("mlflow", "mlflow/autolog-openai-tool-loop.trace.json",
           starts=lambda s: s["attributes"].get("mlflow.spanType") == '"CHAT_MODEL"',
           member=lambda s: s["attributes"].get("mlflow.spanType") == '"TOOL"',
           records=("data", "spans")),
    Format("transcript-openai", "transcript-openai/tool-loop.json",
           starts=lambda m: m["role"] == "assistant", member=lambda m: m["role"] == "tool"),
    Format("transcript-anthropic", "transcript-anthropic/tool-loop.json",
           starts=lambda m: m["role"] == "assistant",
           member=lambda m: m["role"] == "user" and isinstance(m["content"], list)),
    Format("langfuse", "langfuse/openai-agents-2025-09-30.trace.json",
           starts=lambda o: o["type"] == "GENERATION", member=lambda o: o["type"] == "TOOL",
           records=("observations",), observed=("tool_called: get_weather",),
           scaler=lambda fmt: LangfuseScaler(fmt)),
    Format("phoenix", "phoenix/tool-loop.jsonl",
           starts=lambda s: s["span_kind"] == "LLM", member=lambda s: s["span_kind"] == "TOOL"),
    Format("langsmith-multipart", "langsmith/tool-loop.runs.json",
           starts=lambda r: r["run_type"] == "llm", member=lambda r: r["run_type"] == "tool",
           scaler=lambda fmt: MultipartScaler(fmt)),
)}

INSPECT_EXAMPLE = "inspect-ai/billing-disputes-score-fail.json"
INSPECT_MAX_CALLS = 300
"""Inspect AI logs keep one conversation a sample, so every model call's request (the messages
before it) is derived: the imported run grows with the square of the calls, the file does not."""


def write_inspect(path: Path, calls: int) -> int:
    """The Inspect AI example's first sample with its (tool call, tool result) message pair
    repeated ``calls`` times, fresh call ids, its events left out (they index the original
    messages); the tool-round scheme does not fit a log that keeps messages and events apart.
    Returns the events it imports to."""
    log = json.loads((TRACES / INSPECT_EXAMPLE).read_text())
    sample = log["samples"][0]
    messages = sample["messages"]
    at = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    call, result = messages[at], messages[at + 1]
    rounds = []
    for copy in range(calls):
        ident = f"call_{copy:024x}"
        rounds += [{**call, "id": f"m{copy}", "tool_calls": [
            {**call["tool_calls"][0], "id": ident}]},
                   {**result, "id": f"r{copy}", "tool_call_id": ident}]
    sample["messages"] = [*messages[:at], *rounds, *messages[at + 2:]]
    sample["events"] = []
    log["samples"] = [sample]
    path.write_text(json.dumps(log))
    return at + 3 * calls + len(messages[at + 2:]) + 2  # + the final output and score error


_ROUNDS = "@@ROUNDS@@"
_IDS = "@@IDS@@"


class Scaler:
    """An example trace cut into its rounds and the rest (the skeleton), ready to write with
    any number of rounds."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        path = TRACES / fmt.example
        self.jsonl = path.suffix == ".jsonl"
        text = path.read_text()
        doc: Any = None
        if self.jsonl:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            records = doc
            for key in fmt.records:
                records = records[key]
        starts = [i for i, r in enumerate(records) if fmt.starts(r)]
        end = max(i for i, r in enumerate(records) if fmt.member(r)) + 1
        if len(starts) < 2:
            raise SystemExit(f"{fmt.name}: fewer than two rounds in {fmt.example}")
        rounds = [records[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
        head, tail = records[:starts[0]], records[end:]
        self.skeleton = self._skeleton(doc, head, tail)
        texts = [self._join(r) for r in rounds]
        self.rounds = _measure(texts, self.skeleton)
        slots: dict[str, int] = {}
        self.templates = {_ROUNDS: Template(texts[0], self.skeleton, self.rounds, slots)}
        if fmt.id_list:
            ids = ", ".join(json.dumps(r["id"]) for r in rounds[0])
            self.templates[_IDS] = Template(ids, self.skeleton, self.rounds, slots)

    def _join(self, records: list[Record]) -> str:
        return ("\n" if self.jsonl else ", ").join(json.dumps(r) for r in records)

    def _skeleton(self, doc: Any, head: list[Record], tail: list[Record]) -> str:
        """The file's text with a marker where the rounds go (and their ids, if listed)."""
        if self.jsonl:  # replayt's JSONLStore starts every file with an empty line
            return "\n" + "".join(f"{json.dumps(r)}\n" for r in [*head, _ROUNDS, *tail])
        marked = [*head, _ROUNDS, *tail]
        if not self.fmt.records:
            return json.dumps(marked)
        parent = doc = json.loads(json.dumps(doc))
        for key in self.fmt.records[:-1]:
            parent = parent[key]
        parent[self.fmt.records[-1]] = marked
        if self.fmt.id_list:
            doc[self.fmt.id_list] = [*(r["id"] for r in head), _IDS, *(r["id"] for r in tail)]
        return json.dumps(doc)

    def write(self, path: Path, calls: int) -> None:
        """The example with ``calls`` rounds."""
        between = "\n" if self.jsonl else ", "
        with path.open("w") as out:
            for piece in re.split(f'"({_ROUNDS}|{_IDS})"', self.skeleton):
                template = self.templates.get(piece)
                if template is None:
                    out.write(shift_outside(piece, self.rounds, calls))
                    continue
                for copy in range(calls):
                    out.write((between if copy else "") + template.render(copy))

    def bytes_per_call(self) -> int:
        """The size one more round adds to the file."""
        return len(self.templates[_ROUNDS].render(0)) + 2


class MultipartScaler:
    """The langsmith-runs example scaled by ``Scaler``, written as the SDK's ``/runs/multipart``
    body: each run a ``post.<id>`` part without its inputs and outputs, then
    ``post.<id>.inputs`` and ``post.<id>.outputs`` (``importers/langsmith_multipart.py``)."""

    jsonl = False
    suffix = ".multipart"
    boundary = "f2c4b1bd3a8e4c0f9d1e7a6b5c4d3e2f"

    def __init__(self, fmt: Format) -> None:
        self.runs = Scaler(fmt)

    def _part(self, name: str, value: Any) -> str:
        return (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                f"Content-Type: application/json\r\n\r\n{json.dumps(value)}\r\n")

    def write(self, path: Path, calls: int) -> None:
        """The example's runs with ``calls`` rounds, as one multipart body."""
        runs_path = path.with_suffix(".runs.json")
        self.runs.write(runs_path, calls)
        runs = json.loads(runs_path.read_text())
        runs_path.unlink()
        with path.open("w", newline="") as out:
            for run in runs:
                big = {key: run.pop(key) for key in ("inputs", "outputs") if key in run}
                out.write(self._part(f"post.{run['id']}", run))
                for key, value in big.items():
                    out.write(self._part(f"post.{run['id']}.{key}", value))
            out.write(f"--{self.boundary}--\r\n")

    def bytes_per_call(self) -> int:
        return self.runs.bytes_per_call() + 600  # the part headers of a round's runs


_LF_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_LF_ID = re.compile(r'(?<=")[0-9a-f]{16}(?=")|call_[A-Za-z0-9]{24}')


class LangfuseScaler:
    """A Langfuse UI export scaled up: its observations in time order, the first round (a
    GENERATION up to the next one: the model call and the TOOL it asked for) repeated, each
    copy with fresh observation and tool-call ids and its times moved on by one round; the
    observations after the rounds (the answer) are moved past the last copy. The export's
    times have milliseconds and its tool-call ids are not hex, so ``Scaler`` does not fit."""

    jsonl = False

    def __init__(self, fmt: Format) -> None:
        doc = json.loads((TRACES / fmt.example).read_text())
        found = sorted(doc["observations"], key=lambda o: o["startTime"])
        starts = [i for i, o in enumerate(found) if fmt.starts(o)]
        if len(starts) < 2 or not any(fmt.member(o) for o in found[starts[0]:starts[1]]):
            raise SystemExit(f"{fmt.name}: no tool round in {fmt.example}")
        self.head, self.tail = found[:starts[0]], found[starts[1]:]
        self.round = json.dumps(found[starts[0]:starts[1]])[1:-1]
        self.period_ns = (to_ns("iso", found[starts[1]]["startTime"])
                          - to_ns("iso", found[starts[0]]["startTime"]))
        self.trace = doc["trace"]

    @staticmethod
    def _shift(text: str, ns: int) -> str:
        def move(match: re.Match[str]) -> str:
            return from_ns("iso", to_ns("iso", match.group()) + ns, "Z")[:-4] + "Z"
        return _LF_TIME.sub(move, text)

    def render(self, copy: int) -> str:
        slots: dict[str, int] = {}
        text = _LF_ID.sub(lambda m: fresh_id(m.group(), slots.setdefault(m.group(), len(slots)),
                                             copy), self.round)
        return self._shift(text, copy * self.period_ns)

    def write(self, path: Path, calls: int) -> None:
        """The export with ``calls`` rounds."""
        tail = self._shift(json.dumps(self.tail)[1:-1], (calls - 1) * self.period_ns)
        with path.open("w") as out:
            out.write(json.dumps({"trace": self.trace})[:-1] + ', "observations": [')
            out.write(json.dumps(self.head)[1:-1] + ", ")
            for copy in range(calls):
                out.write((", " if copy else "") + self.render(copy))
            out.write(", " + tail + "]}")

    def bytes_per_call(self) -> int:
        return len(self.render(0)) + 2


def _measure(texts: list[str], outside: str) -> Rounds:
    """Period, end and numbering of the example's rounds (times of the records around them,
    such as the root's start in LangSmith's dotted_order, left out)."""
    def times(text: str) -> list[int]:
        return [to_ns(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text)
                if m.lastgroup in _TIMES and m.group() not in outside]

    def seqs(text: str) -> list[int]:
        return [int(m.group()) for m in _TOKEN.finditer(text) if m.lastgroup == "seq"]

    first, second = times(texts[0]), times(texts[1])
    every = [t for text in texts for t in times(text)]
    numbers = [seqs(text) for text in texts]
    return Rounds(period_ns=min(second) - min(first) if first and second else 0,
                  end_ns=max(every, default=0), first_end_ns=max(first, default=0),
                  last_seq=max((n for ns in numbers for n in ns), default=0),
                  seq_per_round=len(numbers[0]),
                  seq_in_rounds=sum(len(ns) for ns in numbers))


# -- measuring ------------------------------------------------------------------------------

def measure(mode: str, trace: Path, out: Path, observed: tuple[str, ...]) -> dict[str, Any]:
    """One measurement (``json``, ``import`` or ``scaffold``) in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", MEASURE, mode, str(trace), str(out),
                           json.dumps(list(observed))],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{trace.name}: {mode} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _suffix(scaler: Any) -> str:
    return getattr(scaler, "suffix", ".jsonl" if scaler.jsonl else ".json")


def events_per_call(scaler: Scaler, tmp: Path) -> tuple[int, int]:
    """(events with 2 calls, events each further call adds), from two tiny copies."""
    from replaycase.importers import load_trace

    counts = []
    for calls in (2, 3):
        path = tmp / f"tiny-{calls}{_suffix(scaler)}"
        scaler.write(path, calls)
        counts.append(sum(len(run.events) for run in load_trace(path)))
        path.unlink()
    return counts[0], counts[1] - counts[0]


@dataclass
class Row:
    """One line of the table: a trace and its best times."""

    name: str
    size_mb: float
    calls: int
    events: int
    load_s: float
    import_s: float
    scaffold_s: float
    rss_mb: float
    note: str = ""

    def us(self, seconds: float) -> float:
        """Microseconds per imported event."""
        return seconds / max(self.events, 1) * 1e6


def bench(name: str, trace: Path, calls: int, observed: tuple[str, ...], repeat: int,
          expected: int | None) -> Row:
    """Best of ``repeat`` interleaved rounds of json.load, import and scaffold."""
    runs: dict[str, list[dict[str, Any]]] = {"json": [], "import": [], "scaffold": []}
    out = trace.with_suffix(".case")
    for _ in range(repeat):
        for mode in runs:
            runs[mode].append(measure(mode, trace, out, observed))
            shutil.rmtree(out, ignore_errors=True)
    (trace.parent / "case.schema.json").unlink(missing_ok=True)  # written beside the case
    imported = runs["import"][0]
    notes = []
    if imported["tool_calls"] != calls:
        notes.append(f"{imported['tool_calls']} tool calls imported, expected {calls}")
    if expected is not None and imported["events"] != expected:
        notes.append(f"{imported['events']} events, expected {expected}")
    return Row(name, trace.stat().st_size / 1e6, calls, imported["events"],
               *(min(r["wall_s"] for r in runs[m]) for m in runs),
               max(r["max_rss_mb"] for r in runs["scaffold"]), "; ".join(notes))


def reference(tmp: Path, calls: int, repeat: int) -> Row:
    """bench/scaffold_large.py's replaykit trace of ``calls`` tool calls."""
    spec = importlib.util.spec_from_file_location("scaffold_large",
                                                  Path(__file__).with_name("scaffold_large.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    trace = tmp / "replaykit.json"
    module.make_replaykit(trace, calls)
    return bench("replaykit (ref)", trace, calls, (), repeat, 2 * calls + 2)


def header() -> str:
    """The table's column names."""
    return (f"{'format':<21}{'MB':>6}{'calls':>8}{'events':>9}{'json s':>8}{'import s':>9}"
            f"{'scaf s':>8}{'imp/json':>9}{'scaf/json':>10}{'imp us/ev':>10}"
            f"{'scaf us/ev':>11}{'x ref':>7}{'RSS MB':>8}{'imp MB/s':>9}")


def line(row: Row, ref: Row | None) -> str:
    """A row of the table, compared with the reference row when there is one."""
    factor, flag = "-", ""
    if ref is not None:
        ratio = row.us(row.scaffold_s) / ref.us(ref.scaffold_s)
        factor = f"{ratio:.1f}x"
        if ratio > SLOW or row.us(row.import_s) > SLOW * ref.us(ref.import_s):
            flag = "  SLOW"
    text = (f"{row.name:<21}{row.size_mb:6.1f}{row.calls:8d}{row.events:9d}{row.load_s:8.2f}"
            f"{row.import_s:9.2f}{row.scaffold_s:8.2f}{row.import_s / row.load_s:8.1f}x"
            f"{row.scaffold_s / row.load_s:9.1f}x{row.us(row.import_s):10.1f}"
            f"{row.us(row.scaffold_s):11.1f}{factor:>7}{row.rss_mb:8.0f}"
            f"{row.size_mb / max(row.import_s, 1e-9):9.1f}{flag}")
    return text + (f"  ({row.note})" if row.note else "")


def rows(args: argparse.Namespace, tmp: Path) -> Iterator[Row]:
    """The reference and every format asked for, built, measured and (unless kept) removed."""
    names = [args.only] if args.only else list(FORMATS)
    if not args.only or args.only == "replaykit":
        yield reference(tmp, args.calls, args.repeat)
        if not args.keep:
            (tmp / "replaykit.json").unlink()
    if not args.only or args.only == "inspect-ai":
        calls = min(args.calls, INSPECT_MAX_CALLS)
        trace = tmp / "inspect-ai.json"
        expected = write_inspect(trace, calls)
        yield bench("inspect-ai", trace, calls, (), args.repeat, expected)
        if not args.keep:
            trace.unlink()
    for name in names:
        if name in ("replaykit", "inspect-ai"):
            continue
        fmt = FORMATS[name]
        scaler = (fmt.scaler or Scaler)(fmt)
        calls = min(args.calls, int(args.max_mb * 1e6 // scaler.bytes_per_call()))
        at_two, per_call = events_per_call(scaler, tmp)
        trace = tmp / f"{name}{_suffix(scaler)}"
        scaler.write(trace, calls)
        row = bench(name, trace, calls, fmt.observed, args.repeat,
                    at_two + (calls - 2) * per_call)
        if not args.keep:
            trace.unlink()
        yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=150_000, help="tool calls per trace")
    parser.add_argument("--only", choices=["replaykit", "inspect-ai", *FORMATS],
                        help="one format only")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--max-mb", type=float, default=100.0,
                        help="fewer calls when a trace would be bigger than this")
    parser.add_argument("--keep", type=Path, help="write the traces here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        print(header(), flush=True)
        ref, wrong = None, []
        for row in rows(args, tmp):
            ref = ref or (row if row.name == "replaykit (ref)" else None)
            print(line(row, ref), flush=True)
            wrong += [row.name] if row.note else []
        if ref is not None:
            print(f"x ref: scaffold time per event over the reference's; SLOW: import or "
                  f"scaffold time per event above {SLOW:g}x the reference's")
        if wrong:
            raise SystemExit(f"traces that did not import as built: {', '.join(wrong)}")


if __name__ == "__main__":
    main()
