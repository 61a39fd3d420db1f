"""A small billing support agent driven by a scripted model: replaycase's dogfooded example.

No network and no real LLM: ``decide`` is plain rule-based Python that reads the ticket and
the tool results so far and either asks for one tool call or answers. One code path serves
both versions; a ``Policy`` holds what differs, so the fix is a visible diff of behaviour:

    BUGGY (1.3.0, what production ran)      FIXED (1.4.0)
    survives only tool timeouts             survives any tool error
    retries a timeout without limit         retries a timeout once, then escalates
    refunds a charge it was asked about     explains the charge; refunds only on request
    searches until an article fits exactly  compares the plans after two searches

Two tool worlds: ``ProductionWorld`` (deterministic data and failures, on a virtual clock) and
``ReplayWorld`` (the recorded outputs of a replaycase case, recorded errors raised again).
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from replaycase.runner import Fixtures, Recorder

AGENT = "support_agent"
MODEL = "scripted-support-1"
MAX_TURNS = 8
"""Model turns before the agent gives up (MaxTurnsExceeded)."""
SYSTEM_PROMPT = ("You are Acme's billing support agent. Use lookup_billing for account data, "
                 "search_kb for help-center articles, and issue_refund only when the customer "
                 "asks for a refund.")
TOOLS = ("lookup_billing", "search_kb", "issue_refund")
"""The tools the agent offers the model."""
MAX_IDENTICAL_CALLS = 6
"""Identical tool calls (same name and args) allowed; asking for one more raises ToolLoopError."""

ToolFn = Callable[[str, dict[str, Any]], Any]
"""A tool world: (tool name, args) -> output; raises when the tool fails."""


@dataclass(frozen=True)
class Policy:
    """What differs between the two versions of the agent."""

    name: str
    version: str
    survives: tuple[type[Exception], ...]
    """Tool errors the agent keeps going after; any other one ends the run."""
    timeout_retries: int | None
    """Retries of a timed-out call (None: no limit)."""
    refunds_charges_asked_about: bool
    """Treats "explain this charge" as "refund this charge"."""
    answer_after_searches: int | None
    """Plan comparison: answer after this many searches (None: until an article fits exactly)."""


BUGGY = Policy("buggy", "1.3.0", (TimeoutError,), None, True, None)
FIXED = Policy("fixed", "1.4.0", (Exception,), 1, False, 2)
POLICIES = {p.name: p for p in (BUGGY, FIXED)}


class AgentError(Exception):
    """A run the agent itself stopped."""


class ToolLoopError(AgentError):
    """The same tool call was asked for too many times."""


class MaxTurnsExceeded(AgentError):
    """The model used every turn without answering."""


@dataclass
class Observation:
    """One tool result as the model sees it (errors as "TypeName: message")."""

    tool_name: str
    tool_args: dict[str, Any]
    output: Any
    is_error: bool = False


@dataclass
class Decision:
    """One model turn: an answer, or one tool call."""

    answer: str | None = None
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


# --- the scripted model -------------------------------------------------------------------

CARD_STEPS = ("go to Settings > Billing > Payment method, choose Replace card, enter the new "
              "card details and save. The new card is charged from your next invoice.")
_CUSTOMER = re.compile(r"\bC-\d+\b")
_CUSTOMER_NAMED = re.compile(r"customer id(?: is)?:? (\S+?)[.,;]?(?:\s|$)", re.IGNORECASE)
_INVOICE = re.compile(r"\bINV-[\w-]+\b")
_AMOUNT = re.compile(r"\$(\d+(?:\.\d{2})?)")
_PLACEHOLDER = re.compile(r"<redacted:[a-z_]+:\d+>")
_SEATS = re.compile(r"(\d+)[- ](?:person|people|user|seat)", re.IGNORECASE)


def decide(question: str, observations: list[Observation], policy: Policy) -> Decision:
    """The next step for this ticket, given the tool results so far."""
    q = _PLACEHOLDER.sub(" ", question).lower()  # "<redacted:card:1>" is not about cards
    if "refund policy" in q:
        return _refund_policy(observations)
    if "card" in q or "payment method" in q:
        return _change_card(observations)
    if "compare" in q or " vs " in q:
        return _compare_plans(question, observations, policy)
    if "charge" in q or "invoice" in q:
        return _charge(question, observations, policy)
    return Decision(answer="Thanks for reaching out: I've passed your question to our support "
                           "team, who will reply by email within one business day.")


def _of(observations: list[Observation], tool: str) -> list[Observation]:
    return [o for o in observations if o.tool_name == tool]


def _snippets(observation: Observation) -> list[str]:
    output = observation.output if isinstance(observation.output, list) else []
    return [str(a.get("snippet", "")) for a in output if isinstance(a, dict)]


def _refund_policy(observations: list[Observation]) -> Decision:
    searches = _of(observations, "search_kb")
    if not searches:
        return Decision(tool="search_kb", args={"query": "refund policy"})
    found = [] if searches[-1].is_error else _snippets(searches[-1])
    if not found:
        return Decision(answer="Sorry, I can't reach our help center right now; a colleague "
                               "will send you the refund policy by email.")
    return Decision(answer=f"Here is our refund policy: {found[0]}")


def _change_card(observations: list[Observation]) -> Decision:
    searches = _of(observations, "search_kb")
    if not searches:
        return Decision(tool="search_kb", args={"query": "change card on account"})
    found = [] if searches[-1].is_error else _snippets(searches[-1])
    if found:
        return Decision(answer=f"{found[0]} In short: {CARD_STEPS}")
    return Decision(answer="Sorry, our help center is unavailable right now, so here are the "
                           f"standard steps: {CARD_STEPS}")


def _plan_queries(seats: str) -> list[str]:
    team = f"{seats} users" if seats else "my team"
    return ["Pro plan features and pricing", "Team plan features and pricing",
            f"Pro plan for {team}", f"Team plan for {team}", f"pricing for {team}",
            f"volume discount for {team}", f"plan comparison for {team}",
            f"which plan fits {team}", f"seat limits for {team}", f"upgrade options for {team}"]


def _compare_plans(question: str, observations: list[Observation], policy: Policy) -> Decision:
    seats_match = _SEATS.search(question)
    seats = seats_match.group(1) if seats_match else ""
    searches = _of(observations, "search_kb")
    snippets = [s for o in searches if not o.is_error for s in _snippets(o)]
    if policy.answer_after_searches is None:
        done = bool(seats) and any(f"{seats} users" in s for s in snippets)
    else:
        done = len(searches) >= policy.answer_after_searches
    if done:
        return Decision(answer=_comparison(snippets, seats))
    queries = _plan_queries(seats)
    query = queries[len(searches)] if len(searches) < len(queries) else \
        f"plans for {seats or 'my team'} (search {len(searches) + 1})"
    return Decision(tool="search_kb", args={"query": query})


def _comparison(snippets: list[str], seats: str) -> str:
    pro = next((s for s in snippets if s.startswith("Pro ")), None)
    team = next((s for s in snippets if s.startswith("Team ")), None)
    if pro is None or team is None:
        return ("Sorry, I couldn't find both plans in our help center; a colleague will send "
                "you a comparison by email.")
    text = f"Pro: {pro} Team: {team}"
    limit = re.search(r"up to (\d+) users", pro)
    price = re.search(r"\$(\d+) per user", team)
    if seats and limit and price and int(seats) > int(limit.group(1)):
        total = int(seats) * int(price.group(1))
        text += (f" For a {seats}-person company Pro is too small (up to {limit.group(1)} "
                 f"users), so Team is the plan to choose: {seats} x ${price.group(1)} = "
                 f"${total} per month.")
    return text


def _charge(question: str, observations: list[Observation], policy: Policy) -> Decision:
    customer = _customer_id(question)
    if customer is None:
        return Decision(answer="Could you send me your customer id, so I can look at the "
                               "charges on your account?")
    lookups = _of(observations, "lookup_billing")
    if not lookups:
        return Decision(tool="lookup_billing", args={"customer_id": customer})
    last = lookups[-1]
    if last.is_error:
        timeouts = sum(1 for o in lookups if str(o.output).startswith("TimeoutError"))
        retry = str(last.output).startswith("TimeoutError") and (
            policy.timeout_retries is None or timeouts <= policy.timeout_retries)
        if retry:
            return Decision(tool="lookup_billing", args=dict(last.tool_args))
        return Decision(answer="I'm sorry: our billing system is not responding right now, so I "
                               "can't look up your charges. I've escalated your ticket to a "
                               "billing specialist, who will reply by email within one "
                               "business day.")
    invoices = [i for i in last.output if isinstance(i, dict)] \
        if isinstance(last.output, list) else []
    invoice = _asked_about(question, invoices)
    refunds = _of(observations, "issue_refund")
    if refunds:
        if refunds[-1].is_error:
            return Decision(answer="Sorry, I couldn't issue the refund; a billing specialist "
                                   "will follow up by email.")
        done = refunds[-1].output if isinstance(refunds[-1].output, dict) else {}
        return Decision(answer=f"I've refunded ${refunds[-1].tool_args.get('amount', 0):.2f} "
                               f"for invoice {refunds[-1].tool_args.get('invoice_id')} (refund "
                               f"{done.get('refund_id', 'pending')}). It will show on your "
                               "statement within 5 to 10 business days.")
    if invoice is not None and policy.refunds_charges_asked_about:
        return Decision(tool="issue_refund", args={"invoice_id": invoice.get("invoice_id"),
                                                   "amount": invoice.get("amount")})
    return Decision(answer=_explain(invoice, invoices))


def _customer_id(question: str) -> str | None:
    """The customer id in the ticket (possibly a redaction placeholder)."""
    plain = _CUSTOMER.search(question)
    if plain:
        return plain.group(0)
    named = _CUSTOMER_NAMED.search(question)
    return named.group(1) if named else None


def _asked_about(question: str, invoices: list[dict[str, Any]]) -> dict[str, Any] | None:
    wanted = _INVOICE.search(question)
    amount = _AMOUNT.search(question)
    for invoice in invoices:
        if wanted and invoice.get("invoice_id") == wanted.group(0):
            return invoice
    if amount is None:
        return None
    return next((i for i in invoices if f"{i.get('amount', 0):.2f}" == amount.group(1)), None)


def _explain(invoice: dict[str, Any] | None, invoices: list[dict[str, Any]]) -> str:
    if invoice is not None:
        return (f"The ${invoice.get('amount', 0):.2f} charge on invoice "
                f"{invoice.get('invoice_id')} ({invoice.get('date')}) is for: "
                f"{invoice.get('description')}. It is a one-off charge, not a change to your "
                "monthly price.")
    listed = "; ".join(f"{i.get('invoice_id')} on {i.get('date')}: ${i.get('amount', 0):.2f} "
                       f"for {i.get('description')}" for i in invoices)
    return f"Here are the recent charges on your account: {listed or 'none'}."


# --- the agent ----------------------------------------------------------------------------

def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _canonical(args: Any) -> str:
    return json.dumps(args, sort_keys=True, default=str)


class SupportAgent:
    """Runs one ticket: model turns, tool calls, guards; every step goes to the recorder."""

    def __init__(self, policy: Policy, call_tool: ToolFn, recorder: Recorder,
                 wait: Callable[[float], None] | None = None) -> None:
        self.policy = policy
        self.call_tool = call_tool
        self.rec = recorder
        self.wait = wait or (lambda ms: None)
        self.messages: list[dict[str, Any]] = []
        """The conversation the model is sent, as OpenAI chat messages."""

    def run(self, question: str) -> str | None:
        """Answer the ticket; a fatal error is recorded (as "TypeName: message"), not raised."""
        try:
            answer = self._loop(question)
        except Exception as exc:
            self.rec.error(f"{type(exc).__name__}: {exc}", type(exc).__name__)
            return None
        self.rec.final_output(answer)
        return answer

    def _loop(self, question: str) -> str:
        observations: list[Observation] = []
        self.messages = [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": question}]
        for turn in range(1, MAX_TURNS + 1):
            decision = decide(question, observations, self.policy)
            self._record_turn(turn, question, observations, decision)
            if decision.answer is not None:
                return decision.answer
            self._use_tool(decision, f"call-{turn}", observations)
        raise MaxTurnsExceeded(f"agent stopped after {MAX_TURNS} turns without an answer")

    def _record_turn(self, turn: int, question: str, observations: list[Observation],
                     decision: Decision) -> None:
        prompt = f"{self.policy.version} {question} {_canonical([vars(o) for o in observations])}"
        completion = decision.answer or _canonical({"tool": decision.tool, "args": decision.args})
        usage = {"input_tokens": _tokens(prompt), "output_tokens": _tokens(completion)}
        latency = 250 + 15 * usage["output_tokens"]
        calls = [] if decision.tool is None else [
            {"tool_name": decision.tool, "tool_args": decision.args, "call_id": f"call-{turn}"}]
        self.rec.llm_call(model=MODEL, response=decision.answer, tool_calls=calls, usage=usage,
                          request=f"turn {turn}: ticket {question!r} with "
                                  f"{len(observations)} tool result(s)",
                          latency_ms=latency, messages=self.messages, tools=TOOLS,
                          output_text=decision.answer or "")
        self.messages.append({"role": "assistant", "content": decision.answer, "tool_calls": [
            {"id": c["call_id"], "type": "function", "function": {
                "name": c["tool_name"], "arguments": _canonical(c["tool_args"])}}
            for c in calls]})
        self.wait(latency)

    def _use_tool(self, decision: Decision, call_id: str,
                  observations: list[Observation]) -> None:
        name, args = str(decision.tool), decision.args
        same = sum(1 for o in observations
                   if o.tool_name == name and _canonical(o.tool_args) == _canonical(args))
        if same >= MAX_IDENTICAL_CALLS:
            raise ToolLoopError(f"{name} called {same} times with identical arguments; "
                                "loop guard stopped the run")
        self.rec.tool_call(name, args, call_id=call_id)
        try:
            output = self.call_tool(name, args)
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            self.rec.tool_result(call_id, text, is_error=True)
            self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
            if not isinstance(exc, self.policy.survives):
                raise
            observations.append(Observation(name, args, text, is_error=True))
            return
        self.rec.tool_result(call_id, output)
        self.messages.append({"role": "tool", "tool_call_id": call_id,
                              "content": _canonical(output)})
        observations.append(Observation(name, args, output))


# --- the tool worlds ----------------------------------------------------------------------

class VirtualClock:
    """A deterministic clock for recorded runs: ISO times that move only when told to."""

    def __init__(self, start: str = "2026-03-12T10:00:00Z") -> None:
        self._now = datetime.fromisoformat(start.replace("Z", "+00:00"))

    def __call__(self) -> str:
        return self._now.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def advance(self, ms: float) -> None:
        self._now += timedelta(milliseconds=ms)


KB = [
    ("kb-101", "Refund policy", "Annual plans are refunded in full within 30 days of purchase; "
     "monthly plans are not refunded, but you can cancel any time and keep access until the "
     "end of the billing period. Duplicate charges are always refunded."),
    ("kb-205", "Pro plan", "Pro costs $29 per user per month, for teams of up to 10 users, "
     "with unlimited projects, integrations and email support."),
    ("kb-206", "Team plan", "Team costs $25 per user per month, for 5 to 200 users, with "
     "everything in Pro plus SSO, shared workspaces, admin roles and priority support."),
    ("kb-310", "Billing FAQ", "Invoices are issued on the 1st of each month; seats added "
     "mid-cycle are billed, prorated, on a separate invoice."),
]
_STOPWORDS = {"and", "the", "for", "how", "what", "can", "you", "our"}
INVOICES = {
    "C-20077": [
        {"invoice_id": "INV-2024-0301", "amount": 116.0, "description": "Pro plan, 4 users, "
         "March 2026", "date": "2026-03-01"},
        {"invoice_id": "INV-2024-0312", "amount": 12.0, "description": "1 extra Pro seat added "
         "on 9 March, prorated to the end of the billing period", "date": "2026-03-09"},
    ],
}


class ProductionWorld:
    """The production tools: deterministic data and failures, timed on a virtual clock."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock or VirtualClock()

    def __call__(self, name: str, args: dict[str, Any]) -> Any:
        tools: dict[str, Callable[..., Any]] = {"lookup_billing": self.lookup_billing,
                                                "search_kb": self.search_kb,
                                                "issue_refund": self.issue_refund}
        if name not in tools:
            raise ValueError(f"unknown tool {name}")
        return tools[name](**args)

    def lookup_billing(self, customer_id: str) -> list[dict[str, Any]]:
        if customer_id == "C-10442":
            self.clock.advance(10_000)
            raise TimeoutError("billing-api did not respond within 10s")
        self.clock.advance(180)
        default = [{"invoice_id": "INV-2024-0300", "amount": 49.99,
                    "description": "Pro plan, March 2026", "date": "2026-03-01"}]
        return [dict(i) for i in INVOICES.get(customer_id, default)]

    def search_kb(self, query: str) -> list[dict[str, str]]:
        self.clock.advance(90)
        words = set(re.findall(r"[a-z]{3,}", query.lower())) - _STOPWORDS
        if "card" in words and words & {"change", "update", "replace"}:
            raise ConnectionError("kb-service unavailable (503)")
        scored = [(-len(words & set(re.findall(r"[a-z]{3,}", f"{t} {s}".lower()))), a, t, s)
                  for a, t, s in KB]
        return [{"article_id": a, "title": t, "snippet": s}
                for score, a, t, s in sorted(scored) if score < 0][:2]

    def issue_refund(self, invoice_id: str, amount: float) -> dict[str, Any]:
        self.clock.advance(420)
        return {"refund_id": f"RF-{str(invoice_id)[-4:]}-{round(float(amount) * 100)}",
                "invoice_id": invoice_id, "amount": amount, "status": "issued"}


def recorded_exception(output: Any) -> Exception:
    """The exception a recorded tool error stands for ("TimeoutError: ..." -> TimeoutError)."""
    text = output if isinstance(output, str) else json.dumps(output, default=str)
    name, sep, message = text.partition(": ")
    cls = getattr(builtins, name, None) if sep and name.isidentifier() else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # an exception type that wants other arguments
            pass
    return RuntimeError(text)


class ReplayWorld:
    """The tools of a replay: recorded outputs from the case's fixtures, errors raised again.

    A call the fixtures do not hold (a tool never recorded, or other arguments) raises
    ``FixtureMissing``, which reaches the agent as any other tool error would; the replay
    makes the case ``diverged`` whatever the agent does with it.
    """

    def __init__(self, fixtures: Fixtures) -> None:
        self.fixtures = fixtures

    def __call__(self, name: str, args: dict[str, Any]) -> Any:
        recorded = self.fixtures.tool_output(name, args)
        if recorded.is_error:
            raise recorded_exception(recorded.output)
        return recorded.output


def run_production(question: str, policy: Policy, *, run_id: str,
                   start: str = "2026-03-12T10:00:00Z") -> Recorder:
    """Run one ticket in the production world on a virtual clock; the recorder holds the run."""
    clock = VirtualClock(start)
    recorder = Recorder(run_id, input=question, agent=AGENT, version=policy.version, model=MODEL,
                        tags=["support", "production"], clock=clock)
    SupportAgent(policy, ProductionWorld(clock), recorder, wait=clock.advance).run(question)
    return recorder
