"""Write the refund-review replayt logs beside this script with the real replayt package.

    pip install replayt==0.4.25 && python tests/data/traces/replayt/generate_refund_review.py

Offline: the model is replayt's ``MockLLMClient`` (scripted answers), the tool a plain
function. Three runs of one workflow ``refund_review`` (billing domain of the corpus):

- ``refund-review-completed.jsonl``: looks up the invoice, drafts a reply with the model and
  completes; like every replayt workflow it logs no final-output record (the reply stays in
  the run's context), so the answer is not in the log.
- ``refund-review-paused.jsonl``: the amount needs a person's approval: ``run_paused``.
- ``refund-review-step-error.jsonl``: the billing lookup raises; replayt logs ``step_error``
  then ``run_failed`` with the same error, and ``run_completed`` ``failed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from replayt import LogMode, Runner, Workflow
from replayt.persistence import JSONLStore
from replayt.testing import MockLLMClient

HERE = Path(__file__).parent
MODEL = "gpt-4o-mini"


class BillingAPIError(RuntimeError):
    """What the billing service raises."""


def lookup_billing(customer_id: str, invoice_id: str) -> dict[str, Any]:
    if invoice_id == "INV-5003":
        raise BillingAPIError("503 Service Unavailable from billing-api (request req_51c0)")
    return {"customer_id": customer_id, "invoice_id": invoice_id, "amount_cents": 12900
            if invoice_id == "INV-5001" else 4999, "status": "paid"}


def workflow() -> Workflow:
    wf = Workflow("refund_review", version="2.0.1", llm_defaults={"model": MODEL})
    wf.set_initial("lookup")

    @wf.step("lookup")
    def lookup(ctx: Any) -> str:
        ctx.tools.register(lookup_billing)
        request = ctx.get("request")
        invoice = ctx.tools.call("lookup_billing", {"customer_id": request["customer_id"],
                                                    "invoice_id": request["invoice_id"]},
                                 tool_call_id="call_lookup_1")
        ctx.set("invoice", invoice)
        return "review" if invoice["amount_cents"] > 10000 else "draft"

    @wf.step("review")
    def review(ctx: Any) -> str:
        if ctx.is_approved("refund"):
            return "draft"
        ctx.request_approval("refund", summary="refund over $100 needs a person's approval",
                             details={"invoice": ctx.get("invoice")})
        return "draft"

    @wf.step("draft")
    def draft(ctx: Any) -> None:
        reply = ctx.llm.complete_text(messages=[
            {"role": "system", "content": "You are Acme Cloud's billing support agent."},
            {"role": "user", "content": f"Draft a refund confirmation for {ctx.get('invoice')}"},
        ])
        ctx.set("reply", reply)
        return None

    return wf


def run(name: str, request: dict[str, Any], answers: list[str]) -> None:
    path = HERE / f"{name}.jsonl"
    path.unlink(missing_ok=True)
    mock = MockLLMClient()
    for answer in answers:
        mock.enqueue(answer, usage={"prompt_tokens": 41, "completion_tokens": 19})
    store = JSONLStore(HERE)
    runner = Runner(workflow(), store, log_mode=LogMode.full, llm_client=mock)
    try:
        runner.run(inputs={"request": request}, run_id=name, tags={"channel": "email"})
    finally:
        runner.close()


def main() -> None:
    run("refund-review-completed", {"customer_id": "C-30117", "invoice_id": "INV-5002"},
        ["Your refund of $49.99 for invoice INV-5002 is on its way."])
    run("refund-review-paused", {"customer_id": "C-30117", "invoice_id": "INV-5001"}, [])
    run("refund-review-step-error", {"customer_id": "C-30117", "invoice_id": "INV-5003"}, [])


if __name__ == "__main__":
    main()
