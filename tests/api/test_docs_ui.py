"""The API docs in a real browser: headless Chromium, allowed to reach nothing but loopback,
renders Swagger UI (/api/docs/) and Redoc (/api/redoc/) from a live gunicorn, with every
operation of the schema on the page. Their assets come from drf-spectacular-sidecar, served
by WhiteNoise from the app itself."""

from __future__ import annotations

import functools
import re
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest_plugins = ["tests.api.live"]

CHROMIUM = Path("/usr/bin/chromium")
SIDECAR = "/static/drf_spectacular_sidecar/"
# Neither page names any outside address (the project's Redoc template drops drf-spectacular's
# web fonts).
KNOWN_EXTERNAL: set[str] = set()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (.ci/run installs the Debian package chromium)"
    ),
]


def render(url: str, profile: Path, budget_ms: int = 15000) -> str:
    """The DOM of ``url`` after its scripts ran, from headless Chromium that can reach only
    loopback: a dead proxy for everything else and no name resolution but 127.0.0.1."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--proxy-server=http://127.0.0.1:1",
        "--proxy-bypass-list=127.0.0.1;localhost",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


class _Assets(HTMLParser):
    """Addresses of the scripts, stylesheets and icons a page loads."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and attrs.get("rel") in {"stylesheet", "icon", "preconnect"}:
            self.urls.append(attrs["href"])


def assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def operation_ids(live_gunicorn) -> set[str]:
    schema = live_gunicorn.get("/api/schema/?format=json")
    assert schema.status == 200
    return {
        operation["operationId"]
        for item in schema.json()["paths"].values()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_are_public_and_load_assets_from_the_sidecar(live_gunicorn, page):
    reply = live_gunicorn.get(page)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    html = reply.body.decode()
    urls = assets(html)
    local = [url for url in urls if url.startswith("/")]
    external = {url for url in urls if not url.startswith("/")}
    assert local, html
    assert all(url.startswith(SIDECAR) for url in local), local
    assert {re.match(r"https://[^/]+", url).group(0) for url in external} <= KNOWN_EXTERNAL
    for url in local:
        asset = live_gunicorn.get(url)
        assert asset.status == 200, url
        assert asset.body, url
        kind = {"js": "javascript", "css": "text/css", "png": "image/png"}[url.rsplit(".", 1)[-1]]
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
    scripts = " ".join(local)
    bundle = "swagger-ui-dist/swagger-ui-bundle.js" if page == "/api/docs/" else "redoc/bundles/redoc.standalone.js"
    assert SIDECAR + bundle in scripts


def test_swagger_ui_shows_every_operation(live_gunicorn, operation_ids, tmp_path):
    dom = render(live_gunicorn.url + "/api/docs/", tmp_path / "profile")
    assert "Failed to load API definition" not in dom
    assert 'class="swagger-ui' in dom
    # One expandable block per operation, each tagged with its method.
    blocks = re.findall(r'class="opblock opblock-(get|post|put|patch|delete)', dom)
    assert len(blocks) == len(operation_ids)
    assert 'data-path="/api/v1/people/"' in dom
    assert "人员列表 List people" in dom
    assert "获取令牌 Get a token" in dom
    # Operations are grouped under one tag per resource.
    tags = set(re.findall(r'data-tag="([^"]+)"', dom))
    assert {"people", "posts", "divisions", "auth"} <= tags


def test_redoc_shows_every_operation(live_gunicorn, operation_ids, tmp_path):
    dom = render(live_gunicorn.url + "/api/redoc/", tmp_path / "profile")
    assert "Something went wrong" not in dom
    # Redoc gives each operation a section named after its operationId.
    assert set(re.findall(r'id="operation/([A-Za-z0-9_]+)"', dom)) == operation_ids
    assert "人员列表 List people" in dom
    assert "within" in dom and "430104000000" in dom  # the people filter with its example


PROBE = """<html><body><p id="out">pending</p><script>
const probe = (url) => fetch(url, {mode: "no-cors", cache: "no-store"}).then(() => "reached", () => "blocked");
Promise.all([probe("%(app)s/api/schema/"), probe("http://example.com/"), probe("https://1.1.1.1/")])
  .then((answers) => { document.getElementById("out").textContent = answers.join(","); });
</script></body></html>"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def probe_page(live_gunicorn, tmp_path) -> Iterator[str]:
    """A page on a second loopback server that fetches the app and two outside addresses."""
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "index.html").write_text(PROBE % {"app": live_gunicorn.url})
    handler = functools.partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_the_browser_reaches_nothing_but_loopback(probe_page, tmp_path):
    """The flags hold: from a loopback page, the app answers and outside addresses do not
    (so the pages above rendered from the app alone)."""
    dom = render(probe_page, tmp_path / "profile", budget_ms=5000)
    assert re.search(r'<p id="out">([^<]*)</p>', dom).group(1) == "reached,blocked,blocked"
