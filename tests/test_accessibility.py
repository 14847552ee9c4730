"""The public web pages pass axe-core (WCAG 2.0/2.1 A and AA) in a real browser, at 1280 px and on a 375 px
phone, and on the phone nothing pushes the page sideways and no chart text shrinks below 11 px.

Headless Chromium (Debian package ``chromium``), driven over the DevTools protocol, loads each page at the
width (a phone emulated at 375 px), injects axe-core (npm ``axe-core``; both installed by the README's test
command) and runs it.  Skipped only where Chromium is missing.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

PROBE = """
(async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']});
  const texts = [...document.querySelectorAll('svg text')].map(t => {
    const svg = t.ownerSVGElement, box = svg.viewBox.baseVal;
    const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
    return parseFloat(getComputedStyle(t).fontSize) * scale;
  });
  return JSON.stringify({
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})),
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
    smallestSvgText: texts.length ? Math.min(...texts) : null});
})()
"""


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on fd 3,
    replies on fd 4, NUL-separated JSON), so a phone's 375 px viewport can be emulated (a headless window
    cannot be narrower than 500 px) without any client library."""

    def __init__(self, profile: Path):
        import os
        self._to_chrome_r, self._to_chrome_w = os.pipe()
        self._from_chrome_r, self._from_chrome_w = os.pipe()
        cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--allow-file-access-from-files", "--remote-debugging-pipe",
               "about:blank"]
        r, w = self._to_chrome_r, self._from_chrome_w

        def pipes_on_3_and_4():       # in the child, before exec
            a, b = os.dup(r), os.dup(w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(cmd, preexec_fn=pipes_on_3_and_4, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(self._to_chrome_r)
        os.close(self._from_chrome_w)
        self._buf = b""
        self._id = 0
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def send(self, method, session=None, **params):
        import os
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome_w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self._buf:
                chunk = os.read(self._from_chrome_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def page(self, method, **params):
        return self.send(method, self.session, **params)

    def close(self):
        import os
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        os.close(self._to_chrome_w)
        os.close(self._from_chrome_r)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_axe(browser: Browser, page: Path, width: int) -> dict:
    assert AXE.exists(), "axe-core is missing: run the README's test command (npm install axe-core)"
    import time
    mobile = width < 500
    browser.page("Emulation.setDeviceMetricsOverride", width=width, height=812 if mobile else 900,
                 deviceScaleFactor=2 if mobile else 1, mobile=mobile)
    browser.page("Page.enable")
    browser.page("Page.navigate", url=page.as_uri())
    for _ in range(200):
        state = browser.page("Runtime.evaluate", expression="document.readyState", returnByValue=True)
        if state["result"].get("value") == "complete":
            break
        time.sleep(0.05)
    browser.page("Runtime.evaluate", expression=AXE.read_text(encoding="utf-8"))
    result = browser.page("Runtime.evaluate", expression=PROBE % json.dumps(TAGS), awaitPromise=True,
                          returnByValue=True)
    return json.loads(result["result"]["value"])


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    from addin.cli import main
    out = tmp_path_factory.mktemp("pages")
    assert main(["export", str(SAMPLE), "--out", str(out), "--format", "html"]) == 0
    assert main(["report", str(SAMPLE), "--out", str(out), "--format", "html"]) == 0
    found = {("report" if "評価報告書" in p.name else "summary"): p for p in out.glob("*.html")}
    city = tmp_path_factory.mktemp("city")      # years side by side: series tables and small charts
    assert main(["report", str(SAMPLE.parent / "sample_city_r6.xlsx"), "--out", str(city), "--format", "html"]) == 0
    found["series"] = next(city.glob("*.html"))
    assert main(["export", str(SAMPLE.parent / "sample_city_r6.xlsx"), "--out", str(city / "public"),
                 "--format", "html"]) == 0
    found["series_summary"] = next((city / "public").glob("*.html"))
    assert set(found) == {"summary", "report", "series", "series_summary"}
    return found


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("page", ["summary", "report", "series", "series_summary"])
def test_axe_finds_no_violation(browser, pages, page, width):
    result = run_axe(browser, pages[page], width)
    assert result["violations"] == []
    assert result["viewport"] == width
    # nothing pushes the page sideways (tables and the chart scroll inside their own regions)
    assert result["pageWidth"] <= width
    if result["smallestSvgText"] is not None:
        assert result["smallestSvgText"] >= 11


def test_the_check_sees_a_planted_violation_and_a_sideways_page(browser, pages, tmp_path):
    """The harness is not blind: the summary page with an image without alt text and a wide table."""
    page = pages["summary"].read_text(encoding="utf-8").replace(
        "</main>", '<img src="chart.png"><table><tr><td style="white-space:nowrap">' + "幅" * 200
        + "</td></tr></table></main>")
    planted = tmp_path / "planted.html"
    planted.write_text(page, encoding="utf-8")
    result = run_axe(browser, planted, 375)
    assert [v["id"] for v in result["violations"]] == ["image-alt"]
    assert result["pageWidth"] > 375
