"""Secret redaction at scaffold and the secret scan lint uses (DESIGN 7)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.errors import UsageError
from replaycase.redact import Redactor, scan, scan_text
from replaycase.redact.scan import find_spans

TRACES = Path(__file__).parent / "data" / "traces"

# Fake secrets in the shapes real ones take (none of them is live).
OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
ANTHROPIC = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCdEf"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
SLACK = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv"
GOOGLE = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
BEARER = "tok9f8e7d6c5b4a3F2E1D0"
BASIC = base64.b64encode(b"svc-billing:Tr0ub4dor&3").decode()
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Yg7QmZ9kq3L0fS2bTnR1vUw\n"
       "Zm9vYmFyYmF6cXV4cXV1eA==\n-----END RSA PRIVATE KEY-----")
DB_PASSWORD = "s3cr3t-PW99"
URL_PASSWORD = "Wh1sp3r-Pa55"
PASSWORD = 'p@ss"w0rd\\9!'
EMAIL = "jane.doe@example.com"
PHONE = "+1 (415) 555-0123"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"

PLANTED = [OPENAI, ANTHROPIC, AWS_ID, AWS_SECRET, GITHUB, SLACK, GOOGLE, STRIPE, JWT, BEARER,
           BASIC, PEM, DB_PASSWORD, URL_PASSWORD, PASSWORD, EMAIL, PHONE, CARD, IBAN]


def _trace() -> dict:
    """A trace-like structure with every kind of secret, nested and JSON-encoded."""
    deploy_args = {"env": {"OPENAI_API_KEY": OPENAI, "aws_secret_access_key": AWS_SECRET,
                           "aws_access_key_id": AWS_ID},
                   "database_url": f"postgres://admin:{DB_PASSWORD}@db.internal.example:5432/app"}
    inner = json.dumps({"password": PASSWORD, "iban": IBAN, "customer_id": "C-10442"})
    return {
        "run_id": "run-7f3a91",
        "status": "error",
        "events": [
            {"seq": 1, "type": "input_message", "ts": "2026-03-01T10:00:00Z",
             "content": f"Hi, I'm {EMAIL}, call me on {PHONE}. My card is {CARD}."},
            {"seq": 2, "type": "llm_call", "model": "gpt-4o-mini",
             "request": {"headers": {"Authorization": f"Bearer {BEARER}", "x-api-key": ANTHROPIC}},
             "usage": {"input_tokens": 1024, "output_tokens": 512, "total_tokens": 1536}},
            {"seq": 3, "type": "tool_call", "tool_name": "deploy",
             "tool_args": json.dumps(deploy_args)},
            {"seq": 4, "type": "tool_result", "tool_name": "lookup_billing",
             "tool_output": json.dumps({"result": inner, "invoice": "INV-2024-0312"})},
            {"seq": 5, "type": "tool_result", "tool_name": "read_env",
             "tool_output": f"GITHUB_TOKEN={GITHUB}\nSLACK_BOT={SLACK}\n"
                            f"upstream: https:\\/\\/svc:{URL_PASSWORD}@api.example.com\\/v1"},
            {"seq": 6, "type": "tool_result", "metadata": {"key_file": json.dumps(PEM)[1:-1]}},
            {"seq": 7, "type": "tool_result",
             "metadata": {"pem": PEM, "maps": [f"key={GOOGLE}", {"id_token": [JWT]}],
                          "note": f"charged with {STRIPE}, echo {EMAIL}"}},
            {"seq": 8, "type": "output_message",
             "content": f"curl -H 'Authorization: Basic {BASIC}' https://api.example.com"},
        ],
    }


def _encodings(secret: str) -> set[str]:
    once = json.dumps(secret)[1:-1]
    return {secret, once, json.dumps(once)[1:-1], once.replace("/", "\\/")}


def test_no_planted_secret_survives_in_any_encoding() -> None:
    redacted = Redactor().redact(_trace())
    dumped = json.dumps(redacted)
    for secret in PLANTED:
        for form in _encodings(secret):
            assert form not in dumped, secret
    assert "w0rd" not in dumped and "MIIEowIBAAKCAQEA" not in dumped
    # ordinary values are untouched, numbers stay numbers
    assert redacted["events"][1]["usage"] == {"input_tokens": 1024, "output_tokens": 512,
                                              "total_tokens": 1536}
    for kept in ("2026-03-01T10:00:00Z", "INV-2024-0312", "C-10442", "gpt-4o-mini",
                 "db.internal.example:5432", "api.example.com", "OPENAI_API_KEY"):
        assert kept in dumped


def test_redacted_trace_scans_clean_and_lists_kinds() -> None:
    redactor = Redactor()
    redacted = redactor.redact(_trace())
    assert scan_text(json.dumps(redacted, indent=2)) == []
    report = redactor.report()
    assert list(report) == sorted(report)
    assert report == {
        "api_key": 2, "aws_access_key": 1, "aws_secret_key": 1, "bearer": 2, "card": 1,
        "email": 1, "github_token": 1, "google_api_key": 1, "iban": 1, "jwt": 1, "password": 1,
        "phone": 1, "private_key": 1, "slack_token": 1, "stripe_key": 1, "url_credentials": 2,
    }
    assert not any(secret in json.dumps(report) for secret in PLANTED)


def test_same_value_same_placeholder_across_calls() -> None:
    redactor = Redactor()
    other = "ops@example.org"
    out = redactor.redact({"a": EMAIL, "b": [f"mail {EMAIL}"], "c": other})
    assert out == {"a": "<redacted:email:1>", "b": ["mail <redacted:email:1>"],
                   "c": "<redacted:email:2>"}
    assert redactor.redact_text(f"{other} then {EMAIL}") == (
        "<redacted:email:2> then <redacted:email:1>")
    # the JSON-escaped copy of a value is the same value
    assert redactor.redact_text(json.dumps(PEM)) == '"<redacted:private_key:1>"'
    assert redactor.redact_text(PEM) == "<redacted:private_key:1>"
    assert redactor.report() == {"email": 2, "private_key": 1}


def test_placeholders_are_deterministic() -> None:
    assert Redactor().redact(_trace()) == Redactor().redact(_trace())


def test_sensitive_keys_are_replaced_whole_and_keys_kept() -> None:
    data = {"password": "abc", "db_password": "x1!", "X-Api-Key": "k-42",
            "clientSecret": "shh-123456", "headers": {"authorization": "Token abc123"},
            "secrets": {"stripe": "whatever-value"},
            "max_tokens": 1024, "total_tokens": "55", "token_type": "Bearer",
            "password_ok": True, "api_key": None, "access_token": "$ACCESS_TOKEN"}
    out = Redactor().redact(data)
    assert list(out) == list(data)
    assert out["password"] == "<redacted:password:1>"
    assert out["db_password"] == "<redacted:password:2>"
    assert out["X-Api-Key"] == "<redacted:api_key:1>"
    assert out["clientSecret"] == "<redacted:secret:1>"
    assert out["headers"] == {"authorization": "<redacted:bearer:1>"}
    assert out["secrets"] == {"stripe": "<redacted:secret:2>"}
    for untouched in ("max_tokens", "total_tokens", "token_type", "password_ok", "api_key",
                      "access_token"):
        assert out[untouched] == data[untouched]


def test_a_value_learned_from_its_key_is_replaced_everywhere() -> None:
    secret = "Zq8-long-custom-secret"
    data = {"log": f"login with {secret} ok", "client_secret": secret,
            "dump": json.dumps({"echo": secret})}
    out = Redactor().redact(data)
    assert out == {"log": "login with <redacted:secret:1> ok",
                   "client_secret": "<redacted:secret:1>",
                   "dump": '{"echo": "<redacted:secret:1>"}'}


def test_key_value_text_forms() -> None:
    redactor = Redactor()
    text = ("password=hunter22&user=bob\n"
            "DB_PASSWORD: 'c0rrect horse'\n"
            '{\\"api_key\\": \\"abcd-1234-efgh\\"}\n'
            "x-auth-token: 0a1b2c3d4e")
    assert redactor.redact_text(text) == (
        "password=<redacted:password:1>&user=bob\n"
        "DB_PASSWORD: '<redacted:password:2>'\n"
        '{\\"api_key\\": \\"<redacted:api_key:1>\\"}\n'
        "x-auth-token: <redacted:secret:1>")


NEGATIVES = [
    "2024-03-12T10:30:45Z", "2026-03-01T10:00:00.123456+00:00", "12:30:45",
    "550e8400-e29b-41d4-a716-446655440000", "v1.2.3", "version 10.4.12", "INV-2024-0312",
    "$49.99", "total $1,234,567.89", "C-10442", "RF-88120", "req_7f3a91", "call_00001234",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709", "1735689600000000000", "42", "4999",
    "192.168.100.200", "01-02-2024", "2024/03/12", "3.14159265358979", "+05:30",
    "order 12345678901234", "icon@2x.png", "pip install foo==1.2.3", "max_tokens: 1024",
    '"total_tokens": 523', "token_type: Bearer", "Bearer authentication is used",
    "basic information", "password: ***", '"api_key": null', "api_key=$OPENAI_API_KEY",
    "the task-management tool", "Your current balance is $129.00, all on invoice INV-4102, "
    "which is due on 1 April 2026.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert Redactor().redact_text(text) == text
    assert scan_text(text) == []


@pytest.mark.parametrize("text", ["4111 1111 1111 1112", "4111111111111112",
                                  "5555-5555-5555-4445", "DE89 3704 0044 0532 0130 01",
                                  "GB82WEST12345698765433", "+1 23", "0000 0000 0000 0000"])
def test_checksums_guard_cards_ibans_and_phones(text: str) -> None:
    assert Redactor().redact_text(text) == text


@pytest.mark.parametrize(("text", "kind"), [
    ("5555555555554444", "card"), ("3782-822463-10005", "card"),
    ("GB82WEST12345698765432", "iban"), ("NL91 ABNA 0417 1643 00", "iban"),
    ("+44 20 7946 0958", "phone"), ("(415) 555-0199", "phone"), ("020 7946 0958", "phone"),
    ("+14155550123", "phone"), ("jane%40example.org", "email"),
])
def test_more_shapes_are_found(text: str, kind: str) -> None:
    assert Redactor().redact_text(f"see {text}.") == f"see <redacted:{kind}:1>."


def test_numbers_that_are_card_numbers() -> None:
    out = Redactor().redact({"card": 4111111111111111, "n": 4111111111111112, "seq": 7})
    assert out == {"card": "<redacted:card:1>", "n": 4111111111111112, "seq": 7}


def test_slack_webhook_keeps_its_host() -> None:
    url = "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/a1B2c3D4e5F6g7H8i9J0k1L2"
    assert Redactor().redact_text(url) == (
        "https://hooks.slack.com/services/<redacted:slack_token:1>")


def test_user_patterns() -> None:
    redactor = Redactor([r"CUST-\d{6}", r"order=(\w+)"])
    assert redactor.redact_text("CUST-123456 order=ab12 CUST-123456") == (
        "<redacted:user_pattern:1> order=<redacted:user_pattern:2> <redacted:user_pattern:1>")
    assert scan_text("ok\nref CUST-654321", [r"CUST-\d{6}"])[0].line == 2


@pytest.mark.parametrize("pattern", ["(unclosed", "a{2,1}", "*"])
def test_invalid_user_pattern_is_a_usage_error(pattern: str) -> None:
    with pytest.raises(UsageError) as info:
        Redactor([pattern])
    assert "\n" not in str(info.value) and repr(pattern) in str(info.value)
    with pytest.raises(UsageError):
        scan_text("text", [pattern])


def test_scan_finds_each_secret_with_its_line_and_kind() -> None:
    lines = [
        "invoice INV-2024-0312 for C-10442 at 2026-03-01T10:00:00Z",
        f"openai {OPENAI}", f"anthropic: {ANTHROPIC}", f"aws {AWS_ID}",
        f"aws_secret_access_key = {AWS_SECRET}", f"gh {GITHUB}", f"slack {SLACK}",
        f"maps {GOOGLE}", f"stripe {STRIPE}", f"jwt {JWT}", f"Authorization: Bearer {BEARER}",
        f"Authorization: Basic {BASIC}", f"db postgres://admin:{DB_PASSWORD}@db:5432/app",
        '{"password": "hunter22"}', f"mail {EMAIL}", f"call {PHONE}", f"card {CARD}",
        f"iban {IBAN}", PEM, "done",
    ]
    findings = scan_text("\n".join(lines))
    assert [(f.kind, f.line) for f in findings] == [
        ("api_key", 2), ("api_key", 3), ("aws_access_key", 4), ("aws_secret_key", 5),
        ("github_token", 6), ("slack_token", 7), ("google_api_key", 8), ("stripe_key", 9),
        ("jwt", 10), ("bearer", 11), ("bearer", 12), ("url_credentials", 13),
        ("password", 14), ("email", 15), ("phone", 16), ("card", 17), ("iban", 18),
        ("private_key", 19),
    ]
    assert findings[0].column == len("openai ") + 1
    assert findings[-1].column == 1


def test_scan_skips_redacted_text_and_the_reference_corpus() -> None:
    redacted = Redactor().redact_text("\n".join(PLANTED))
    assert "<redacted:" in redacted and scan_text(redacted) == []
    for path in sorted(TRACES.rglob("*.json*")):
        text = path.read_text(encoding="utf-8")
        if path.parent.name in COPIED_SESSIONS:
            continue
        assert scan_text(text) == [], path.name
        assert Redactor().redact_text(text) == text, path.name


COPIED_SESSIONS = ("claude-code", "codex-cli")
"""Real coding-agent sessions copied from public repositories: they hold the addresses their
authors committed (an issue owner's email, a ``git@github.com:`` remote)."""


def test_the_addresses_in_copied_sessions_are_redacted() -> None:
    text = (TRACES / "claude-code" / "subagent.trimmed.jsonl").read_text(encoding="utf-8")
    assert "marco.rotili@handgemacht.ai" in text
    redacted = Redactor().redact_text(text)
    assert "marco.rotili@handgemacht.ai" not in redacted and scan_text(redacted) == []


def test_disabled_redactor_copies_without_change() -> None:
    data = _trace()
    redactor = Redactor(enabled=False)
    out = redactor.redact(data)
    assert out == data and out is not data and out["events"] is not data["events"]
    assert redactor.redact_text(EMAIL) == EMAIL and redactor.report() == {}


_PIECES = st.sampled_from([
    *PLANTED, "password=", '"token": "', "Bearer ", "Authorization: ", "<redacted:email:1>", "+",
    "@", ":", "\\n", "\\\"", "4111", "://", "DE89", "0", "-", " ", "\n", "=", "'", "x"])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_redaction_is_idempotent(text: str) -> None:
    redactor = Redactor()
    once = redactor.redact_text(text)
    assert redactor.redact_text(once) == once
    assert Redactor().redact_text(once) == once
    assert Redactor().redact({"k": [once]}) == {"k": [once]}
    # what scaffold writes, lint scans clean
    assert scan_text(json.dumps({"k": once})) == []


_KEYS = st.one_of(st.sampled_from(["password", "api_key", "token", "max_tokens", "secrets",
                                   "x-api-key", "Authorization", "note"]), st.text(max_size=6))
_TREES = st.recursive(
    st.one_of(_TEXT, st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3),
                            inner.map(json.dumps)),
    max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(_TREES)
def test_structure_redaction_is_idempotent_and_scans_clean(tree: object) -> None:
    once = Redactor().redact(tree)
    assert Redactor().redact(once) == once
    assert scan_text(json.dumps(once, indent=2)) == []


_DIGITS = st.lists(st.one_of(st.sampled_from([
    CARD, IBAN, PHONE, "(415) 555-0123", "415-555-0123", "415.555.0123", "020 7946 0958",
    "4111-1111-1111-1111", "DE89370400440532013000", AWS_ID, GITHUB, EMAIL, "0", "12", "(", ")",
    " ", "-", ".", "+", "\\n", "\u0663", "\uff15", "GB", "x"]),
    st.text(alphabet="0123456789 -.()+ABZaxz\u0663", max_size=10)), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(_DIGITS)
def test_big_text_prefilters_change_no_result(text: str) -> None:
    """Big texts take shortcuts (marker probes, shadow tests): taken on short texts too,
    they must find exactly the same spans."""
    plain = find_spans(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "_BIG_TEXT", 0)
        assert find_spans(text) == plain


@pytest.mark.parametrize("secret", [CARD, IBAN, "(415) 555-0123", "415-555-0123",
                                    "415.555.0123", "020 7946 0958", AWS_ID, GITHUB])
def test_a_secret_deep_in_a_big_text(secret: str) -> None:
    filler = '{"invoice": "INV-0000123", "amount": 49.99, "page": 7}\n' * 20_000
    for cut in (len(secret) // 2, -3):
        head = filler[:(1 << 20) - cut - 1] + "\n"
        text = f"{head}{secret}\n{filler}"
        spans = find_spans(text)
        assert [text[span.start:span.end] for span in spans] == [secret], cut
        assert spans[0].start == len(head)
