"""Write a real Inspect AI eval log whose sample fails its score, offline.

The built-in `mockllm/model` provider answers from a script (no network): the agent looks
the invoice up with a real @tool, then answers without escalating, so the `includes()`
scorer (target "escalated") scores it I (incorrect). A second sample answers correctly (C).
The log is written twice: `log_format="json"` (read by replaycase) and `"eval"` (the zip
format, which replaycase refuses with the `inspect log convert` hint).

Usage:
    python -m venv venv-inspect && venv-inspect/bin/pip install inspect_ai
    venv-inspect/bin/python gen_inspect_score_fail.py OUTDIR
"""

import json
import os
import shutil
import sys
import tempfile

from inspect_ai import Task, eval, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate, system_message, use_tools
from inspect_ai.tool import tool

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
MODEL = "mockllm/model"


@tool
def lookup_billing():
    async def execute(customer_id: str, invoice_id: str = ""):
        """Read-only account / invoice lookup.

        Args:
            customer_id: Customer id, e.g. C-10442.
            invoice_id: Optional invoice id, e.g. INV-2291.
        """
        return json.dumps({"customer_id": customer_id, "invoice_id": invoice_id,
                           "status": "disputed", "amount_cents": 4999})

    return execute


def scripted(messages, tools, tool_choice, config):
    output = _scripted(messages)
    # Explicit usage: mockllm would otherwise download a tiktoken encoding.
    output.usage = ModelUsage(input_tokens=100 + 30 * len(messages), output_tokens=20,
                              total_tokens=120 + 30 * len(messages))
    return output


def _scripted(messages):
    user = next(m.text for m in messages if m.role == "user")
    if not any(m.role == "tool" for m in messages):
        return ModelOutput.for_tool_call(
            MODEL, "lookup_billing", {"customer_id": "C-10442", "invoice_id": "INV-2291"},
            tool_call_id="call_lookup_01")
    if "dispute" in user:
        return ModelOutput.from_content(
            MODEL, "Invoice INV-2291 is disputed. There is nothing more I can do, sorry.")
    return ModelOutput.from_content(
        MODEL, "Invoice INV-2291 shows $49.99; I have escalated the duplicate charge.")


@task
def billing_disputes():
    return Task(
        dataset=[
            Sample(id="dispute-not-escalated", target="escalated",
                   input="Invoice INV-2291 (customer C-10442) is in dispute, please help."),
            Sample(id="duplicate-escalated", target="escalated",
                   input="I was charged twice on INV-2291 (customer C-10442)."),
        ],
        solver=[
            system_message("You are the Acme Cloud billing support agent. Escalate disputes "
                           "to the billing team."),
            use_tools([lookup_billing()]),
            generate(),
        ],
        scorer=includes(),
    )


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for fmt in ("json", "eval"):
        log_dir = tempfile.mkdtemp(prefix="inspect-logs-")
        [log] = eval(billing_disputes(), model=get_model(MODEL, custom_outputs=scripted),
                     log_dir=log_dir, log_format=fmt, display="none", max_samples=1)
        dst = os.path.join(OUT, f"billing-disputes-score-fail.{fmt}")
        shutil.copyfile(log.location, dst)
        print("wrote", dst, log.status)
