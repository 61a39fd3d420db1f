"""The HTML report: one self-contained file that opens from ``file://`` and requests nothing.

CSS and JavaScript are inlined from ``templates/report.css`` and ``templates/report.js``; a
Content-Security-Policy allows exactly those two blocks (by hash) and nothing else: no
network, no other script, no inline event handler. The page is rendered with autoescaping,
so trace text is shown as text even without the policy.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from markupsafe import Markup

from .._safe_files import write_output
from .._templating import environment
from .view_models import SuiteView, href

TEMPLATE = "report.html.j2"


def _static(name: str) -> str:
    env = environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_policy(css: str, js: str) -> str:
    """The page's Content-Security-Policy: its own style and script, nothing else."""
    return (f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(js)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def render_html(view: SuiteView, out_dir: Path) -> str:
    """The report as HTML text; evidence links are relative to ``out_dir``."""
    css, js = _static("report.css"), _static("report.js")
    return environment().get_template(TEMPLATE).render(
        view=view, css=Markup(css), js=Markup(js), csp=content_policy(css, js),
        href=lambda path: href(path, out_dir))


def write_html(view: SuiteView, path: Path) -> Path:
    """Write the report to ``path`` (atomically); returns the path."""
    path = Path(path)
    write_output(path, render_html(view, path.parent))
    return path
