"""The billing agent's tool, a plain function (frozen as ``billing_tools:lookup_billing``).

TOOL_MODE picks what the real implementation does: ``fails`` (production on the day of the
incident: the billing API times out), ``works`` (today: it answers), ``network`` (it reaches
for the live billing API).
"""

import os
import socket


def lookup_billing(customer_id: str) -> dict:
    mode = os.environ.get("TOOL_MODE", "fails")
    if mode == "fails":
        raise TimeoutError("billing-api did not respond within 10s")
    if mode == "network":
        with socket.create_connection(("api.example.com", 443), timeout=5):
            pass
    return {"customer_id": customer_id, "plan": "Pro", "charges": [49.99]}
