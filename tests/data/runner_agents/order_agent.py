"""An order-status agent on the runner API (tests/test_fixture_divergence.py).

    python order_agent.py record OUT.json      # its production run: get_order("A-1001")
    python order_agent.py VARIANT              # a candidate inside a replay

Variants: ``same`` asks for the recorded order; ``other`` for another one ("Z-9999") and turns
the FixtureMissing into a plausible answer; ``by-order`` does the same with by_order=True;
``crash`` lets the FixtureMissing end the run; ``secret`` asks with a secret in the arguments.
"""

from __future__ import annotations

import sys
from typing import Any

from replaycase.errors import FixtureMissing
from replaycase.runner import Fixtures, Recorder

QUESTION = "Where is my order A-1001?"
SECRET = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"


def answer(order: Any) -> str:
    if isinstance(order, dict) and order.get("status"):
        return f"Your order {order.get('order_id')} is {order['status']}."
    return "Your order is on its way."  # plausible, whatever the tool said


def record(path: str) -> None:
    rec = Recorder("order-prod", input=QUESTION, agent="order-agent", clock=None)
    call = rec.tool_call("get_order", {"order_id": "A-1001"})
    rec.tool_result(call, {"order_id": "A-1001", "status": "lost"})
    rec.final_output("Your order A-1001 is lost.")
    rec.save(path)


def candidate(variant: str) -> None:
    fixtures = Fixtures.from_env(by_order=variant == "by-order")
    rec = Recorder("order-candidate", input=fixtures.input, agent="order-agent", clock=None)
    order_id = "A-1001" if variant == "same" else "Z-9999"
    args: dict[str, Any] = {"order_id": order_id}
    if variant == "secret":
        args["api_key"] = SECRET
    call = rec.tool_call("get_order", args)
    try:
        output = fixtures.tool_output("get_order", args).output
    except FixtureMissing as exc:
        if variant == "crash":
            raise
        rec.tool_result(call, f"FixtureMissing: {exc}", is_error=True)
        output = None
    else:
        rec.tool_result(call, output)
    rec.final_output(answer(output))
    rec.write_output()


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        candidate(sys.argv[1])
