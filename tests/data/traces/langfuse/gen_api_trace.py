"""Write ``openai-agents-2025-09-30.api.json``: the UI (tRPC) export of the same name as the
public API returns it (``GET /api/public/traces/{id}``, ``TraceWithFullDetails``), built and
serialized by the ``langfuse`` SDK's own API models (langfuse 3.x: ``langfuse.api``).

Nothing is written by hand: each field is copied from the export, the JSON text the export
holds (``input``, ``output``, ``metadata``) decoded to the JSON value the API returns.

    python -m venv /tmp/lf && /tmp/lf/bin/pip install "langfuse==3.14.6"
    /tmp/lf/bin/python tests/data/traces/langfuse/gen_api_trace.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langfuse.api import ObservationsView, TraceWithFullDetails, Usage
from langfuse.api.resources.commons.types.score_v_1 import ScoreV1_Numeric

HERE = Path(__file__).parent
SOURCE = HERE / "openai-agents-2025-09-30.trace.json"
TARGET = HERE / "openai-agents-2025-09-30.api.json"


def value(text: Any) -> Any:
    """The JSON value the export keeps as JSON text (a text that is not JSON as it is)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def observation(raw: dict[str, Any]) -> ObservationsView:
    details = raw.get("usageDetails") or {}
    return ObservationsView(
        id=raw["id"], traceId=raw["traceId"], type=raw["type"], name=raw["name"],
        startTime=raw["startTime"], endTime=raw["endTime"],
        completionStartTime=raw["completionStartTime"], model=raw["model"],
        modelParameters=value(raw["modelParameters"]), input=value(raw["input"]),
        output=value(raw["output"]), metadata=value(raw["metadata"]),
        version=raw["version"], level=raw["level"], statusMessage=raw["statusMessage"],
        parentObservationId=raw["parentObservationId"], promptId=raw["promptId"],
        usage=Usage(input=details.get("input", 0), output=details.get("output", 0),
                    total=details.get("total", 0), unit="TOKENS"),
        usageDetails=details, costDetails=raw.get("costDetails") or {},
        environment=raw["environment"], promptName=raw["promptName"],
        promptVersion=raw["promptVersion"], modelId=raw["internalModelId"],
        calculatedInputCost=raw["inputCost"], calculatedOutputCost=raw["outputCost"],
        calculatedTotalCost=raw["totalCost"], latency=raw["latency"],
        timeToFirstToken=raw["timeToFirstToken"])


def score(raw: dict[str, Any]) -> ScoreV1_Numeric:
    return ScoreV1_Numeric(
        id=raw["id"], traceId=raw["traceId"], name=raw["name"], value=raw["value"],
        source=raw["source"], observationId=raw["observationId"],
        timestamp=raw["timestamp"], createdAt=raw["createdAt"], updatedAt=raw["updatedAt"],
        authorUserId=raw["authorUserId"], comment=raw["comment"],
        metadata=value(raw["metadata"]), configId=raw["configId"], queueId=raw["queueId"],
        environment=raw["environment"], dataType=raw["dataType"])


def main() -> None:
    export = json.loads(SOURCE.read_text(encoding="utf-8"))
    trace = export["trace"]
    full = TraceWithFullDetails(
        id=trace["id"], timestamp=trace["timestamp"], name=trace["name"],
        input=value(trace["input"]), output=value(trace["output"]),
        sessionId=trace["sessionId"], release=trace["release"], version=trace["version"],
        userId=trace["userId"], metadata=value(trace["metadata"]), tags=trace["tags"],
        public=trace["public"], environment=trace["environment"],
        htmlPath=f"/project/{trace['projectId']}/traces/{trace['id']}",
        latency=trace["latency"],
        totalCost=sum(o["totalCost"] or 0 for o in export["observations"]),
        observations=[observation(o) for o in export["observations"]],
        scores=[score(s) for s in trace["scores"] if s["dataType"] == "NUMERIC"])
    text = json.dumps(json.loads(full.json()), indent=2, ensure_ascii=False)
    TARGET.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
