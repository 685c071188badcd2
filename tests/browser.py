"""Superset dashboards looked at the way a lead collectivity sees them: in a real browser.

Debian's `chromium` (installed by deploy/local/tools/browser.sh, which `make test` runs)
driven by Playwright through its executable path; Playwright never downloads a browser.
The browser logs in through Superset's own login form, opens a dashboard, waits until
every chart has finished loading, and reports what is on screen: chart titles, chart
errors (the red alerts Superset draws in place of a chart, and failed chart-data
responses), empty charts ("Aucun résultat..."), charts not drawn, JavaScript exceptions,
and a full-page screenshot.

    with SupersetBrowser(url, "lead-auray", password) as browser:
        for board in browser.dashboards():
            look = browser.look(board["slug"] or board["id"], Path("shot.png"))

Selectors are Superset 6.1's own `data-test` attributes (kept for its Cypress/Playwright
suites): `chart-grid-component` (one per chart, with `data-test-chart-id`,
`data-test-viz-type`, `data-test-chart-name`), `slice-header` / `editable-title`,
`slice-container`, `loading-indicator`; errors are antd alerts (`role="alert"`), empty
results antd's `.ant-empty`. Superset only virtualises dashboards (charts rendered when
scrolled to) for browsers that are not automated (`navigator.webdriver`), so every chart
of the open tab renders here.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import Browser, BrowserContext, Playwright, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

VIEWPORT = {"width": 1600, "height": 1000}
# Noise that is not a chart's fault (Chromium reports it as an uncaught error).
IGNORED_PAGE_ERRORS = ("ResizeObserver loop",)

_CHARTS_SETTLED_JS = """
(expected) => {
  const charts = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
  if (charts.length < expected) return false;
  return charts.every(c => !c.querySelector('[data-test="loading-indicator"]')
    && (c.querySelector('[role="alert"]') || c.querySelector('[data-test="slice-container"] *')));
}
"""

_CHARTS_JS = """
() => [...document.querySelectorAll('[data-test="chart-grid-component"]')].map(c => {
  const alert = c.querySelector('[role="alert"], .ant-alert-error');
  const slice = c.querySelector('[data-test="slice-container"]');
  const empty = !!(slice && slice.querySelector('.ant-empty'));
  const title = c.querySelector('[data-test="slice-header"] [data-test="editable-title"]');
  const box = slice ? slice.getBoundingClientRect() : null;
  return {
    id: Number(c.getAttribute('data-test-chart-id')),
    viz_type: c.getAttribute('data-test-viz-type') || '',
    title: ((title && title.innerText) || c.getAttribute('data-test-chart-name') || '').trim(),
    error: alert ? alert.innerText.trim() : null,
    loading: !!c.querySelector('[data-test="loading-indicator"]'),
    empty: empty,
    drawn: !!(slice && !alert && !empty && box.width > 0 && box.height > 0
              && (slice.querySelector('canvas, svg, table, img') || slice.innerText.trim())),
  };
})
"""


class BrowserSetupError(RuntimeError):
    """The browser is missing, or Superset would not let the user in."""


def chromium_path() -> str:
    """The system browser (Debian's `chromium` package); never a Playwright download."""
    path = shutil.which("chromium")
    if not path:
        raise BrowserSetupError("no `chromium` on PATH: run deploy/local/tools/browser.sh (make test does)")
    return path


@dataclass(frozen=True)
class ChartLook:
    chart_id: int
    title: str
    viz_type: str
    error: str | None  # the alert shown in place of the chart, or the failed data response
    empty: bool  # drawn, but the query returned no row
    drawn: bool  # something visible was rendered (canvas, svg, table, text)


@dataclass(frozen=True)
class DashboardLook:
    url: str
    title: str
    locale: str  # the UI language Superset served (its bootstrap data)
    navbar: str  # the text of the top menu, as shown
    charts: tuple[ChartLook, ...]
    expected_chart_ids: tuple[int, ...]  # what the REST API says the dashboard holds
    page_errors: tuple[str, ...] = ()  # uncaught JavaScript exceptions
    screenshot: Path | None = None
    load_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.charts]

    @property
    def errors(self) -> list[str]:
        return [f"{c.title or c.chart_id}: {c.error}" for c in self.charts if c.error]

    @property
    def empty(self) -> list[str]:
        return [c.title or str(c.chart_id) for c in self.charts if c.empty]

    @property
    def not_drawn(self) -> list[str]:
        """Charts that are neither drawn nor explained by an error or an empty result,
        plus the charts of the dashboard that never appeared on the page."""
        seen = {c.chart_id for c in self.charts}
        missing = [f"chart {i} (not on the page)" for i in self.expected_chart_ids if i not in seen]
        return [c.title or str(c.chart_id) for c in self.charts if not (c.drawn or c.error or c.empty)] + missing


class SupersetBrowser:
    """One headless Chromium, one logged-in Superset session (one user)."""

    def __init__(self, superset_url: str, username: str, password: str, *, locale: str = "fr-FR",
                 timezone: str = "Europe/Paris", timeout_s: float = 90.0):
        self.url = superset_url.rstrip("/")
        self.username = username
        self._password = password
        self.locale = locale
        self.timezone = timezone
        self.timeout_ms = timeout_s * 1000
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.context: BrowserContext | None = None

    def __enter__(self) -> SupersetBrowser:
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=chromium_path(), headless=True)
            self.context = self._browser.new_context(viewport=VIEWPORT, locale=self.locale,
                                                     timezone_id=self.timezone)
            self.context.set_default_timeout(self.timeout_ms)
            # Only Superset itself: its pages also ask for web fonts on the internet, which a
            # test must neither wait for nor depend on (the bundled fallback fonts render).
            host = urlsplit(self.url).netloc
            self.context.route("**/*", lambda route: route.continue_()
                               if urlsplit(route.request.url).netloc == host else route.abort())
            self.login()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._browser:
            self._browser.close()
        if self._playwright:
            self._playwright.stop()
        self._browser = self._playwright = self.context = None

    def login(self) -> None:
        """Superset's own login form at /login/, as a person would fill it in."""
        page = self.context.new_page()
        try:
            page.goto(f"{self.url}/login/")
            page.fill("#username", self.username)
            page.fill("#password", self._password)
            page.click('[data-test="login-button"]')
            try:
                page.wait_for_url(lambda u: "/login" not in urlsplit(u).path, timeout=30_000)
            except PlaywrightError as exc:
                raise BrowserSetupError(f"Superset refused the login of {self.username}: "
                                        f"{page.inner_text('body')[:300]!r}") from exc
        finally:
            page.close()

    def api(self, path: str) -> dict:
        """GET a REST endpoint with the browser's own session (the logged-in user's rights)."""
        response = self.context.request.get(f"{self.url}{path}")
        if not response.ok:
            raise BrowserSetupError(f"GET {path} as {self.username}: HTTP {response.status} {response.text()[:200]}")
        return response.json()

    def dashboards(self) -> list[dict]:
        """The dashboards this user may open (id, slug, dashboard_title, ...)."""
        q = quote("(page_size:100,order_column:dashboard_title,order_direction:asc)")
        return self.api(f"/api/v1/dashboard/?q={q}")["result"]

    def look(self, dashboard: str | int, screenshot: Path | None = None) -> DashboardLook:
        """Open one dashboard (slug or id), wait for every chart, report what is shown."""
        meta = self.api(f"/api/v1/dashboard/{dashboard}")["result"]
        expected = tuple(sorted(c["id"] for c in self.api(f"/api/v1/dashboard/{dashboard}/charts")["result"]))
        page = self.context.new_page()
        page_errors: list[str] = []
        data_responses: list[Response] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.on("response", lambda r: data_responses.append(r) if _is_chart_data(r.url) else None)
        url = f"{self.url}/superset/dashboard/{dashboard}/"
        started = time.monotonic()
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector('[data-test="dashboard-content-wrapper"]')
            notes: list[str] = []
            try:  # every chart on the page, none still loading; then no request in flight
                page.wait_for_function(_CHARTS_SETTLED_JS, arg=len(expected), polling=250)
                page.wait_for_load_state("networkidle")
                page.wait_for_function(_CHARTS_SETTLED_JS, arg=len(expected), polling=250)
            except PlaywrightError:  # reported below as charts not drawn
                notes.append(f"charts still loading or missing after {self.timeout_ms / 1000:.0f} s")
            page.wait_for_timeout(1500)  # ECharts draws with a ~1 s animation
            load_seconds = time.monotonic() - started
            raw = page.evaluate(_CHARTS_JS)
            failed = _failed_data_responses(data_responses)
            charts = tuple(ChartLook(chart_id=c["id"], title=c["title"], viz_type=c["viz_type"],
                                     error=c["error"] or failed.get(c["id"]),
                                     empty=c["empty"] or _all_empty(data_responses, c["id"]),
                                     drawn=c["drawn"]) for c in raw)
            locale = page.evaluate(
                "() => { const el = document.querySelector('[data-bootstrap]');"
                " try { return JSON.parse(el.dataset.bootstrap).common.locale || ''; } catch (e) { return ''; } }")
            navbar = page.inner_text('[data-test="navbar-top"]') if page.query_selector(
                '[data-test="navbar-top"]') else ""
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            return DashboardLook(url=url, title=meta.get("dashboard_title", ""), locale=locale, navbar=navbar,
                                 charts=charts, expected_chart_ids=expected,
                                 page_errors=tuple(e for e in page_errors
                                                   if not e.startswith(IGNORED_PAGE_ERRORS)),
                                 screenshot=screenshot, load_seconds=round(load_seconds, 1), notes=tuple(notes))
        finally:
            page.close()


def look_at_dashboard(superset_url: str, username: str, password: str, slug: str | int,
                      screenshot: Path | None = None) -> DashboardLook:
    """Log in as `username` in a fresh browser and look at one dashboard."""
    with SupersetBrowser(superset_url, username, password) as browser:
        return browser.look(slug, screenshot)


def _is_chart_data(url: str) -> bool:
    path = urlsplit(url).path
    return path.startswith("/api/v1/chart/data") or path.startswith("/superset/explore_json")


def _slice_id(url: str) -> int | None:
    form_data = parse_qs(urlsplit(url).query).get("form_data", [""])[0]
    try:
        value = json.loads(form_data).get("slice_id") if form_data else None
    except (ValueError, AttributeError):
        return None
    return int(value) if value is not None else None


def _body(response: Response) -> dict | None:
    try:
        body = response.json()
    except (PlaywrightError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _failed_data_responses(responses: list[Response]) -> dict[int, str]:
    """Chart id -> message, for chart-data calls that failed (HTTP error or failed query)."""
    failed: dict[int, str] = {}
    for response in responses:
        chart_id = _slice_id(response.url)
        if chart_id is None:
            continue
        body = _body(response) or {}
        if response.status >= 400:
            errors = body.get("errors") or []
            message = (errors[0].get("message") if errors else None) or body.get("message") or ""
            failed[chart_id] = f"HTTP {response.status} {message}".strip()
            continue
        for result in body.get("result") or []:
            if isinstance(result, dict) and (result.get("status") == "failed" or result.get("error")):
                failed[chart_id] = str(result.get("error") or "query failed")
    return failed


def _all_empty(responses: list[Response], chart_id: int) -> bool:
    """True when every query of the chart's last successful data response returned no row."""
    for response in reversed(responses):
        if _slice_id(response.url) != chart_id or response.status >= 400:
            continue
        results = (_body(response) or {}).get("result") or []
        return bool(results) and all(isinstance(r, dict) and r.get("rowcount") == 0 for r in results)
    return False
