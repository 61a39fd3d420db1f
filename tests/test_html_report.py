"""The HTML report: self-contained, inert trace text, and driven in a real headless browser."""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from replaycase.case import load_case
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.report.html import write_html
from replaycase.report.view import build_view
from replaycase.report.view_models import SuiteView
from replaycase.results import ReplayResult, summarize
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
REPLAYKIT = DATA / "replaykit"
REPORT_DATA = DATA / "report"
DOCS = Path(__file__).parent.parent / "docs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
XSS_TEXT = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>")



def copy_cmd(path: Path) -> str:
    """A runner that writes a recorded output."""
    return f'cp {shlex.quote(str(path))} "$REPLAYCASE_OUTPUT_PATH"'


# case id -> (trace, runner command): one case per verdict, and one whose trace is hostile.
SUITE = {
    "loop-fixed": (REPLAYKIT / "billing-loop.json", copy_cmd(REPLAYKIT / "output-fixed.json")),
    "loop-buggy": (REPLAYKIT / "billing-loop.json", copy_cmd(REPLAYKIT / "output-buggy.json")),
    "loop-failing": (REPLAYKIT / "billing-loop.json",
                     copy_cmd(REPLAYKIT / "output-failing.json")),
    "loop-crash": (REPLAYKIT / "billing-loop.json", "echo 'runner blew up' >&2; exit 3"),
    "xss": (REPORT_DATA / "xss-trace.json", copy_cmd(REPORT_DATA / "xss-output.json")),
}
BY_NEED = ["loop-buggy", "loop-failing", "loop-crash", "loop-fixed", "xss"]
"""SUITE as the report lists it: reproduced, failing, runner error, then fixed."""


def build_suite(root: Path) -> list[ReplayResult]:
    """Scaffold each case of SUITE under root/cases and replay it; the results in order."""
    results = []
    for case_id, (trace, cmd) in SUITE.items():
        out = root / "cases" / case_id
        scaffold(trace, out, ScaffoldOptions(case_id=case_id))
        results.append(replay_case(load_case(out), ReplayOptions(
            runner_cmd=cmd, evidence_root=root / "runs", kill_grace_s=0.5)))
    return results


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SuiteView, str]:
    root = tmp_path_factory.mktemp("html")
    results = build_suite(root)
    view = build_view(results, summarize(results), bases=[root])
    report = write_html(view, root / "report" / "report.html")
    return report, view, report.read_text(encoding="utf-8")


def test_every_verdict_is_in_the_suite(suite: tuple[Path, SuiteView, str]) -> None:
    _, view, _ = suite
    assert {c.case_id: c.verdict for c in view.cases} == {
        "loop-fixed": "fixed", "loop-buggy": "reproduced", "loop-failing": "failing",
        "loop-crash": "runner_error", "xss": "fixed"}
    assert view.counts["fixed"] == 2 and view.counts["runner_error"] == 1
    assert view.tags == ["billing", "security"]


def test_file_is_self_contained(suite: tuple[Path, SuiteView, str]) -> None:
    _, _, html = suite
    assert "http://" not in html and "https://" not in html
    assert "//" not in re.sub(r"<(script|style)>.*?</\1>", "", html, flags=re.S).replace(
        "file://", "")
    assert not re.search(r"<(link|img|iframe|object|embed)\b(?![^>]*data:,)", html)
    assert "@import" not in html and "url(" not in html
    assert html.count("<script") == 1 and html.count("<style") == 1


def test_content_security_policy_pins_the_inline_blocks(
        suite: tuple[Path, SuiteView, str]) -> None:
    _, _, html = suite
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    text = policy.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in text
    for tag in ("script", "style"):
        [body] = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in text


def test_trace_text_is_escaped(suite: tuple[Path, SuiteView, str]) -> None:
    _, _, html = suite
    for payload in (*XSS_TEXT, "<img src=x onerror=alert(3)>", "<b>quickly</b>"):
        assert payload not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_evidence_links_are_relative_and_resolve(suite: tuple[Path, SuiteView, str]) -> None:
    report, _, html = suite
    links = re.findall(r'<a href="([^"#][^"]*)">', html)
    assert links, "no evidence link"
    names = {Path(unquote(link)).name for link in links}
    assert {"result.json", "summary.md", "runner-output.json", "stdout.log", "stderr.log",
            "candidate-run.json", "case.yaml", "source-trace.json"} <= names
    for link in links:
        assert not link.startswith("/") and ":" not in link
        assert (report.parent / unquote(link)).is_file(), link


def test_case_shows_divergence_tools_and_usage(suite: tuple[Path, SuiteView, str]) -> None:
    _, view, _ = suite
    case = next(c for c in view.cases if c.case_id == "loop-fixed")
    assert case.diff is not None and case.diff.divergence is not None
    assert case.divergence_line.startswith("compared event 5")
    assert case.source is not None and case.candidate is not None
    assert [e.seq for e in case.source.events if e.divergent] == [6]
    assert case.candidate.ends_divergent is False
    assert [(r.change, r.count) for r in case.tool_rows] == [("removed", 3), ("common", 2)]
    metrics = {m.name: m for m in case.metrics}
    assert metrics["tool calls"].a == "5" and metrics["tool calls"].b == "2"
    assert metrics["total tokens"].b == "15" and metrics["cost"].b == "unknown"
    crash = next(c for c in view.cases if c.case_id == "loop-crash")
    assert crash.diff is None and crash.candidate is None
    assert "runner produced no run" in " ".join(crash.notes)


# -- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page of the report, every request and dialog recorded; only the file itself loads."""

    def __init__(self, browser: Any, report: Path) -> None:
        self.url = report.resolve().as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._route)
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_rows(self) -> list[str]:
        rows = self.page.locator("#cases tbody tr")
        return [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())
                if rows.nth(i).is_visible()]

    def visible_sections(self) -> list[str]:
        sections = self.page.locator("main section.case")
        return [sections.nth(i).get_attribute("id") or "" for i in range(sections.count())
                if sections.nth(i).is_visible()]


@pytest.fixture
def page(browser: Any, suite: tuple[Path, SuiteView, str]) -> Iterator[Page]:
    opened = Page(browser, suite[0])
    yield opened
    opened.context.close()


def test_page_renders_every_case(page: Page, suite: tuple[Path, SuiteView, str]) -> None:
    assert page.visible_rows() == BY_NEED
    assert len(page.visible_sections()) == len(SUITE)
    assert page.page.locator("#f-count").inner_text() == "5 of 5 cases shown"
    assert page.page.locator(".ev.diverge").count() >= 3
    assert page.errors == []


def test_no_request_leaves_the_page(page: Page) -> None:
    page.page.locator("#case-5 details").first.click()
    page.page.wait_for_timeout(100)
    assert page.requests == [page.url]


def test_hostile_trace_text_shows_as_text_and_runs_nothing(page: Page) -> None:
    section = page.page.locator("#case-5")
    for details in section.locator("details").all():
        details.evaluate("node => { node.open = true; }")
    page.page.wait_for_timeout(100)
    text = section.inner_text()
    for payload in XSS_TEXT:
        assert payload in text
    assert "<img src=x onerror=alert(3)>" in text
    assert page.page.locator("img").count() == 0
    assert page.page.locator("script").count() == 1
    assert page.dialogs == [] and page.errors == []
    assert page.requests == [page.url]


def test_verdict_filter(page: Page) -> None:
    page.page.select_option("#f-verdict", "fixed")
    assert page.visible_rows() == ["loop-fixed", "xss"]
    assert page.visible_sections() == ["case-4", "case-5"]
    assert page.page.locator("#f-count").inner_text() == "2 of 5 cases shown"
    page.page.select_option("#f-verdict", "")
    page.page.locator("#counts button[data-verdict='runner_error']").click()
    assert page.visible_rows() == ["loop-crash"]
    assert page.page.locator("#f-verdict").input_value() == "runner_error"


def test_tag_filter_and_search(page: Page) -> None:
    page.page.select_option("#f-tag", "security")
    assert page.visible_rows() == ["xss"]
    page.page.select_option("#f-tag", "")
    page.page.fill("#f-search", "EXITED WITH CODE 3")
    assert page.visible_rows() == ["loop-crash"]
    page.page.fill("#f-search", "loop-")
    assert page.visible_rows() == BY_NEED[:4]
    page.page.fill("#f-search", "no such case anywhere")
    assert page.visible_rows() == []
    assert page.page.locator("#no-match").is_visible()
    page.page.fill("#f-search", "")
    assert len(page.visible_rows()) == len(SUITE)


def test_screenshot(page: Page, tmp_path: Path) -> None:
    """The page screenshots; the pictures in docs/ are of the bundled example's first screen
    (docs/report.md says how they are made), 1280x900."""
    shot = tmp_path / "report.png"
    page.page.screenshot(path=str(shot))
    assert _png_size(shot) == (1280, 900) and shot.stat().st_size > 20_000
    for name in ("report-screenshot.png", "report-screenshot-before.png"):
        assert _png_size(DOCS / name) == (1280, 900), name


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_an_evidence_error_is_shown_escaped(tmp_path: Path) -> None:
    result = ReplayResult(case_id="c", case_path="cases/c", verdict="fixed",
                          evidence_error="<b>result.json</b>: No space left on device")
    html = write_html(build_view([result], summarize([result]), bases=[tmp_path]),
                      tmp_path / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;result.json&lt;/b&gt;: No space left on device" in html
