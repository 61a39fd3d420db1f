"""Planted secrets never reach a case folder, in any file or encoding (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

from test_redact import (
    ANTHROPIC,
    AWS_ID,
    AWS_SECRET,
    BASIC,
    BEARER,
    CARD,
    DB_PASSWORD,
    EMAIL,
    GITHUB,
    GOOGLE,
    IBAN,
    JWT,
    OPENAI,
    PASSWORD,
    PEM,
    PHONE,
    SLACK,
    STRIPE,
    URL_PASSWORD,
    _encodings,
)

from replaycase.case.lint import lint_case
from replaycase.scaffolding.build import scaffold

PLANTED = {
    "openai": OPENAI, "anthropic": ANTHROPIC, "aws id": AWS_ID, "aws secret": AWS_SECRET,
    "github": GITHUB, "slack": SLACK, "google": GOOGLE, "stripe": STRIPE, "jwt": JWT,
    "bearer": BEARER, "basic": BASIC, "pem": PEM, "db password": DB_PASSWORD,
    "url password": URL_PASSWORD, "password": PASSWORD, "email": EMAIL, "phone": PHONE,
    "card": CARD, "iban": IBAN,
}


def _trace(path: Path) -> Path:
    deploy_args = json.dumps({"env": {"OPENAI_API_KEY": OPENAI, "aws_access_key_id": AWS_ID,
                                      "aws_secret_access_key": AWS_SECRET},
                              "database_url": f"postgres://admin:{DB_PASSWORD}@db:5432/app"})
    events = [
        {"type": "input_message",
         "content": f"I'm {EMAIL}, call me on {PHONE}; card {CARD}, IBAN {IBAN}."},
        {"type": "llm_call", "model": "gpt-4o-mini",
         "request": {"headers": {"Authorization": f"Bearer {BEARER}", "x-api-key": ANTHROPIC}},
         "response": f"Looking up {EMAIL}"},
        {"type": "tool_call", "tool_name": "deploy", "args": deploy_args, "call_id": "c1"},
        {"type": "tool_result", "tool_name": "deploy", "call_id": "c1", "is_error": True,
         "output": {"stderr": f"GITHUB_TOKEN={GITHUB}\nSLACK_BOT={SLACK}\n{PEM}",
                    "config": json.dumps({"password": PASSWORD, "google": GOOGLE})}},
        {"type": "tool_call", "tool_name": "deploy", "args": deploy_args, "call_id": "c2"},
        {"type": "tool_result", "tool_name": "deploy", "call_id": "c2", "is_error": True,
         "output": f"upstream https://svc:{URL_PASSWORD}@api.example.com token {JWT}"},
        {"type": "tool_call", "tool_name": "deploy", "args": deploy_args, "call_id": "c3"},
        {"type": "tool_result", "tool_name": "deploy", "call_id": "c3", "is_error": True,
         "output": f"charged with {STRIPE}; curl -H 'Authorization: Basic {BASIC}'"},
        {"type": "error", "message": f"DeployError: rejected for {EMAIL} (key {OPENAI})"},
    ]
    path.write_text(json.dumps({"run_id": "run-secrets", "status": "error",
                                "metadata": {"tags": ["billing"]}, "events": events}))
    return path


def test_no_planted_secret_survives_scaffold(tmp_path: Path) -> None:
    trace = _trace(tmp_path / "trace.json")
    out = tmp_path / "cases" / "leaky"
    [report] = scaffold(trace, out)
    files = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert set(files) >= {"case.yaml", "source-trace.json", "notes.md",
                          "fixtures/input.json", "fixtures/tool_calls.json",
                          "fixtures/llm_calls.json"}
    for name, secret in PLANTED.items():
        for form in _encodings(secret):
            for file, text in files.items():
                assert form not in text, f"{name} found in {file}"
    # The same secret is one placeholder wherever it appears; different ones are numbered.
    source = files["source-trace.json"]
    assert source.count("<redacted:email:1>") >= 3
    assert "<redacted:email:2>" not in source
    assert report.redaction and report.redaction.get("email") == 1
    assert sum(report.redaction.values()) >= 10
    assert "Redaction" in files["notes.md"] and "email: 1" in files["notes.md"]
    # The folder is clean for lint; the loop on deploy is still found (identical args survive
    # redaction because the same secret maps to the same placeholder).
    assert lint_case(out).clean, lint_case(out).problems
    keys = [next(iter(entry)) for entry in report.observed]
    assert "repeated_tool_call" in keys
