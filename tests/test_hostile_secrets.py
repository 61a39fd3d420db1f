"""Hostile inputs for redaction and lint's secret scan (issue 12, secrets)."""

from __future__ import annotations

import pytest
from test_redact import AWS_ID, GITHUB, GOOGLE, JWT, OPENAI, SLACK, STRIPE

from replaycase.scaffold.redact import Redactor
from replaycase.secrets import scan_text

# every key shape the detectors know, with its kind
KEYS = {"api_key": OPENAI, "aws_access_key": AWS_ID, "github_token": GITHUB,
        "slack_token": SLACK, "google_api_key": GOOGLE, "stripe_key": STRIPE, "jwt": JWT,
        "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
        "anthropic": "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCdEf",
        "slack_app": "xapp-1-A0123456789-abcdefghij"}
GLUES = ["run-", "lookup_", "id.", "path/", "key:", ""]


@pytest.mark.parametrize("glue", GLUES)
@pytest.mark.parametrize("name", sorted(KEYS))
def test_a_key_glued_to_an_id_is_found(name: str, glue: str) -> None:
    key = KEYS[name]
    text = f"see {glue}{key} now"
    redacted = Redactor().redact_text(text)
    assert key not in redacted and redacted.startswith(f"see {glue}<redacted:")
    assert [f.column for f in scan_text(text)] == [5 + len(glue)]
    assert scan_text(redacted) == []


@pytest.mark.parametrize("glue", ["-", "_"])
def test_a_key_glued_at_the_start_of_the_text_is_found(glue: str) -> None:
    for key in KEYS.values():
        assert key not in Redactor().redact_text(f"{glue}{key}")


@pytest.mark.parametrize("text", [
    "task-skeleton", "disk-space", "the risk-sk-assessment-step-number-one", "ask-skip-a1",
    "x-axis-oxbow", "box-xoxo", "the eyJ-less header", "desk_sk-fine", "mask_ghp_short",
    "my_AKIA_not_a_key", "Skeleton_key-holder", "id_AIzaShort",
])
def test_words_with_a_prefix_inside_are_not_keys(text: str) -> None:
    assert scan_text(text) == []
    assert Redactor().redact_text(text) == text


def test_a_glued_key_in_a_big_text_is_found() -> None:
    text = ("ordinary words, " * 400) + f"run-{OPENAI} lookup_{GITHUB} id_{AWS_ID}"
    assert [f.kind for f in scan_text(text)] == ["api_key", "github_token", "aws_access_key"]
