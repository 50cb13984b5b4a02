"""The HTTP layer's hardening: security headers on every answer, a CSP the pages keep (no inline script),
trusted Host names, and request body limits (declared and streamed)."""

import json
import re
import select
import socket
import sqlite3
import threading
import tomllib
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ecotone.api import create_app
from ecotone.api.hardening import SECURITY_HEADERS, install_hardening, trusted_host_list
from ecotone.settings import Settings
from conftest import REPO, bearer, live_server

PROBLEM = "application/problem+json"
PACKAGE = REPO / "src" / "ecotone"
WEB = PACKAGE / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
BODY_LIMIT, UPLOAD_LIMIT = 4096, 65536
SETTINGS = {"ECOTONE_MAX_BODY_BYTES": str(BODY_LIMIT), "ECOTONE_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
            "ECOTONE_TRUSTED_HOSTS": "127.0.0.1, localhost,[::1]"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The application on an empty atlas, hardened from the settings (small limits, so tests stay light)."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in SETTINGS.items():
            env.setenv(name, value)
        app = create_app(str(tmp_path_factory.mktemp("hardening") / "atlas.db"))
        if getattr(app.state, "hardening", None) is None:  # as long as create_app does not install it itself
            install_hardening(app)

    @app.get("/test-only/unhandled", include_in_schema=False)
    def unhandled():
        raise RuntimeError("an error no handler knows")

    yield app
    app.state.atlas.close()


@pytest.fixture(scope="module")
def admin(app):
    """The header an administrator's API token signs requests with."""
    return bearer(app.state.atlas)


@pytest.fixture
def client(app):
    """A visitor's client on loopback."""
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def _assert_hardened(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (response.request.url, name)


def _csp(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/", 200), ("GET", "/hubs", 200), ("GET", "/docs", 200), ("GET", "/hubs/999999", 404),
    ("GET", "/api/v1/hubs", 200), ("GET", "/api/v1/openapi.json", 200), ("GET", "/api/v1/hubs/999999", 404),
    ("GET", "/no/such/page", 404), ("DELETE", "/api/v1/hubs", 405), ("POST", "/api/v1/hubs", 422),
    ("GET", "/static/app.js", 200), ("GET", "/static/pages/hub.js", 200), ("GET", "/static/vendor/vega.min.js", 200),
    ("GET", "/static/vendor/vega-interpreter.min.js", 200), ("GET", "/static/no-such-file.js", 404),
    ("GET", "/test-only/unhandled", 500),
])
def test_every_answer_carries_the_security_headers(client, method, path, status):
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status, response.text
    _assert_hardened(response)


def test_the_application_factory_hardens_what_it_makes(tmp_path):
    made = create_app(str(tmp_path / "atlas.db"))
    try:
        settings = Settings()
        assert getattr(made.state, "hardening", None) == {
            "trusted_hosts": trusted_host_list(settings.trusted_hosts), "max_body": settings.max_body_bytes,
            "max_upload": settings.max_upload_bytes}, "create_app should call install_hardening"
    finally:
        made.state.atlas.close()


def test_answers_from_the_response_cache_carry_them_once(client):
    for _ in range(3):
        _assert_hardened(client.get("/api/v1/hubs"))


def test_the_policy_allows_only_our_own_script_files(client):
    csp = _csp(client.get("/"))
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host or scheme
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert csp["worker-src"] == ["'self'", "blob:"]  # ForceAtlas2's worker comes from a Blob URL
    assert csp["connect-src"] == ["'self'"]
    for directive, sources in csp.items():
        assert "'unsafe-eval'" not in sources and "*" not in sources, directive


class _Scripts(HTMLParser):
    """The <script> elements of a page (attributes and text) and any inline handler or javascript: URL."""

    def __init__(self):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.inline_code: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.inline_code.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._open = attributes
            self.scripts.append((attributes, ""))

    def handle_data(self, data):
        if self._open is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def _parse(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_holds_executable_inline_script(template):
    page = _parse(template.read_text(encoding="utf-8"))
    assert not page.inline_code, page.inline_code
    for attributes, text in page.scripts:
        if "src" in attributes:
            assert not text.strip(), attributes
            src = attributes["src"]
            assert src.startswith("/static/") and (WEB / src.removeprefix("/")).is_file(), src
        else:
            # data only, never run, and escaped by tojson so that it cannot close its element
            assert attributes.get("type") == "application/json", (template.name, attributes)
            assert re.fullmatch(r"\{\{.*\|\s*tojson\s*\}\}", text.strip(), flags=re.S), (template.name, text)


def test_pages_as_served_hold_no_inline_script_and_pass_their_data_as_json(client):
    for path in ("/", "/hubs", "/stakeholders", "/partnerships", "/event", "/scenarios", "/import", "/docs"):
        page = _parse(client.get(path).text)
        for attributes, text in page.scripts:
            assert "src" in attributes or attributes.get("type") == "application/json", (path, attributes)
            if "src" not in attributes:
                json.loads(text)
    hubs = _parse(client.get("/hubs").text)
    (data,) = [text for attributes, text in hubs.scripts if attributes.get("id") == "page-data"]
    assert isinstance(json.loads(data)["hubs"], list)


def test_charts_evaluate_vega_expressions_with_the_vendored_interpreter():
    vendor = WEB / "static" / "vendor"
    assert "vega.expressionInterpreter=" in (vendor / "vega-interpreter.min.js").read_text(encoding="utf-8")
    assert (vendor / "licenses" / "vega-interpreter.txt").is_file()
    assert "| `vega-interpreter.min.js` | vega-interpreter 2." in (vendor / "README.md").read_text(encoding="utf-8")
    app_js = (WEB / "static" / "app.js").read_text(encoding="utf-8")
    assert "ast: true" in app_js and "expr: vega.expressionInterpreter" in app_js
    for template in TEMPLATES:
        sources = [a.get("src") for a, _ in _parse(template.read_text(encoding="utf-8")).scripts]
        if "/static/vendor/vega-embed.min.js" in sources:
            vega, interpreter = sources.index("/static/vendor/vega.min.js"), \
                sources.index("/static/vendor/vega-interpreter.min.js")
            assert vega < interpreter < sources.index("/static/vendor/vega-embed.min.js"), template.name


def test_every_web_file_is_installed():
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["ecotone"]
    installed = {p for pattern in patterns for p in PACKAGE.glob(pattern)}
    files = {p for p in WEB.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert files - installed == set()


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1.attacker.example", "testserver", "192.168.1.20",
                                  "localhost.", "bad host"])
def test_an_untrusted_host_gets_a_problem(client, host):
    response = client.get("/api/v1/hubs", headers={"host": host})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == 400 and body["title"]
    assert "ECOTONE_TRUSTED_HOSTS" in body["detail"]
    _assert_hardened(response)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000"])
def test_loopback_names_are_trusted(client, host):
    assert client.get("/api/v1/hubs", headers={"host": host}).status_code == 200


def test_health_answers_a_monitor_whatever_host_it_names(client):
    # a monitor on the machine asks http://127.0.0.1:8000/health of a server named atlas.example.org only
    assert client.get("/health", headers={"host": "attacker.example"}).status_code == 200
    assert client.get("/health/", headers={"host": "attacker.example"}).status_code == 400  # the path alone
    assert client.get("/api/v1/hubs", headers={"host": "attacker.example"}).status_code == 400


def test_trusted_hosts_come_from_the_setting_or_the_call(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOTONE_TRUSTED_HOSTS", "hub.example.org,*.hub.example.org")
    assert Settings().trusted_hosts == "hub.example.org,*.hub.example.org"
    for hosts, name, status in ((None, "maps.hub.example.org", 200), (None, "127.0.0.1", 400),
                                (["atlas.example"], "atlas.example", 200), ("atlas.example", "hub.example.org", 400)):
        app = FastAPI()
        install_hardening(app, trusted_hosts=hosts)
        assert TestClient(app).get("/openapi.json", headers={"host": name}).status_code == status, (hosts, name)
        with pytest.raises(RuntimeError):
            install_hardening(app)


def _assert_too_large(response, setting, limit):
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 413 and body["limit"] == limit and body["setting"] == setting
    assert setting in body["detail"] and f"{limit} bytes" in body["detail"]
    _assert_hardened(response)
    return body


def _chunks(data: bytes, size: int = 1024):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_an_oversized_json_body_gets_413_and_writes_nothing(client, admin):
    client.headers.update(admin)  # who may write
    hubs = client.get("/api/v1/hubs").json()["count"]
    hub = {"name": "Big Hub", "description": "x" * BODY_LIMIT}
    body = _assert_too_large(client.post("/api/v1/hubs", json=hub), "ECOTONE_MAX_BODY_BYTES", BODY_LIMIT)
    assert "Send fewer records" in body["detail"]
    streamed = client.post("/api/v1/hubs", content=_chunks(json.dumps(hub).encode()),
                           headers={"content-type": "application/json"})
    assert "content-length" not in streamed.request.headers  # chunked: counted as it is read
    _assert_too_large(streamed, "ECOTONE_MAX_BODY_BYTES", BODY_LIMIT)
    assert client.get("/api/v1/hubs").json()["count"] == hubs
    small = client.post("/api/v1/hubs", json={"name": "Small Hub", "description": "x" * (BODY_LIMIT // 2)})
    assert small.status_code == 201, small.text


def _multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "ecotone-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_oversized_upload_gets_413_naming_its_setting(client, admin):
    client.headers.update(admin)  # refused for its size before anyone asks who sends it
    actors = client.get("/api/v1/organizations").json()["count"]
    rows = b"Label,Type\n" + b"".join(b"Startup %d,startup\n" % i for i in range(UPLOAD_LIMIT // 10))
    assert len(rows) > UPLOAD_LIMIT
    declared = client.post("/api/v1/imports/kumu", files={"files": ("elements.csv", rows, "text/csv")})
    body = _assert_too_large(declared, "ECOTONE_MAX_UPLOAD_BYTES", UPLOAD_LIMIT)
    assert "Split the file or raise ECOTONE_MAX_UPLOAD_BYTES" in body["detail"]
    data, content_type = _multipart("files", "elements.csv", rows)
    streamed = client.post("/api/v1/imports/kumu", content=_chunks(data, 8192), headers={"content-type": content_type})
    assert "content-length" not in streamed.request.headers
    _assert_too_large(streamed, "ECOTONE_MAX_UPLOAD_BYTES", UPLOAD_LIMIT)
    assert client.get("/api/v1/organizations").json()["count"] == actors
    for path in ("/api/v1/events", "/api/v1/partnerships/1/ratings"):
        _assert_too_large(client.post(path, files={"file": ("big.bin", rows)}), "ECOTONE_MAX_UPLOAD_BYTES",
                          UPLOAD_LIMIT)


def test_uploads_may_be_larger_than_json_bodies(client, admin):
    client.headers.update(admin)
    rows = b"Label,Type\n" + b"".join(b"Startup %d,startup\n" % i for i in range(BODY_LIMIT // 10))
    assert BODY_LIMIT < len(rows) < UPLOAD_LIMIT
    preview = client.post("/api/v1/imports/kumu", files={"files": ("elements.csv", rows, "text/csv")},
                          data={"dry_run": "true"})
    assert preview.status_code == 200, preview.text
    for path in ("/api/v1/events", "/api/v1/partnerships/999999/ratings"):
        assert client.post(path, files={"file": ("small.xlsx", rows)}).status_code != 413, path
    assert client.post("/api/v1/hubs", content=rows, headers={"content-type": "text/csv"}).status_code == 413


@pytest.fixture
def server(app):
    """The hardened application on a free loopback port, served by uvicorn; yields the port."""
    with live_server(app) as url:
        yield int(url.rsplit(":", 1)[1])


def _send_chunked(port: int, path: str, total: int, content_type: str = "application/json",
                  head: bytes = b"") -> tuple[bytes, int]:
    """POST ``head`` then up to ``total`` bytes to ``path`` in 4 KiB chunks, stopping once the server answers:
    its answer, and how many bytes were sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        chunks = [head] if head else []
        try:
            while sent < total and not select.select([conn], [], [], 0.01)[0]:
                chunk = chunks.pop() if chunks else b"x" * 4096
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            part = conn.recv(65536)
            if not part:
                break
            answer += part
    return answer, sent


def test_a_real_server_stops_reading_a_streamed_body_at_the_limit(server):
    total = 64 * UPLOAD_LIMIT
    answer, sent = _send_chunked(server, "/api/v1/hubs", total)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"ECOTONE_MAX_BODY_BYTES" in answer and b"content-security-policy" in answer.lower()
    assert sent < total  # answered while the client was still sending: the body was never read whole
    head, content_type = _multipart("files", "elements.csv", b"")
    head = head[:head.index(b"\r\n\r\n") + 4] + b"Label,Type\n"  # a file that never ends
    answer, sent = _send_chunked(server, "/api/v1/imports/kumu", total, content_type, head)
    assert answer.startswith(b"HTTP/1.1 413") and b"ECOTONE_MAX_UPLOAD_BYTES" in answer, answer[:200]
    assert sent < total


# -- an atlas busy with another writer: a 503 with Retry-After at worst, never a 500 -----------------------------

class _WriteLock:
    """Another connection holding SQLite's write lock (a real ``BEGIN IMMEDIATE``, as an import's transaction
    does) from a thread of its own until :meth:`release`; it writes a row meanwhile and commits it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.held, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE hubs SET description = 'written by the lock holder'")
        self.held.set()
        self.done.wait(60)
        conn.execute("COMMIT")
        conn.close()

    def __enter__(self) -> "_WriteLock":
        self.thread.start()
        assert self.held.wait(10)
        return self

    def release(self) -> None:
        self.done.set()
        self.thread.join(10)

    def __exit__(self, *exc) -> None:
        self.release()


@pytest.fixture
def busy_app(tmp_path, monkeypatch):
    """A fresh SQLite atlas with one organisation, served with the busy timeout of ``ECOTONE_SQLITE_BUSY_TIMEOUT``
    as the test sets it before calling; yields (app, path, admin header, organisation id)."""
    from ecotone.domain import Hub, Organization
    from conftest import sqlite_path

    made = []

    def make(timeout: str):
        monkeypatch.setenv("ECOTONE_SQLITE_BUSY_TIMEOUT", timeout)
        path = sqlite_path(tmp_path / "busy.db")
        app = create_app(path)
        atlas = app.state.atlas
        hub = atlas.add(Hub(name="Barcelona Health Hub"))
        org = atlas.add(Organization(name="Medlumics", type="startup", hub_id=hub.id))
        made.append(app)
        return app, path, bearer(atlas), org.id

    yield make
    for app in made:
        app.state.atlas.close()


def test_a_write_lock_held_past_the_busy_timeout_is_a_503_with_retry_after(busy_app):
    app, path, admin, org = busy_app("0.2")
    with TestClient(app, headers=admin, raise_server_exceptions=False) as client:
        with _WriteLock(path):
            answer = client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"})
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM and answer.headers["retry-after"].isdigit()
        body = answer.json()
        assert body["status"] == 503 and "try again" in body["title"] and "nothing" in body["detail"]
        _assert_hardened(answer)
        assert client.get(f"/api/v1/organizations/{org}").json()["name"] == "Medlumics"  # nothing written
        again = client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"})  # as told, later
        assert again.status_code == 200 and again.json()["name"] == "Medlumics SL"
        assert client.get("/api/v1/hubs").json()["data"][0]["description"] == "written by the lock holder"


def test_every_connection_of_the_pool_in_use_is_a_503_with_retry_after(busy_app):
    # more requests at once than the worker has connections (a whole map computed by each): the next waits for
    # one the pool's timeout long, then is told to come back, not given a 500
    app, path, admin, org = busy_app("1")
    engine = app.state.atlas.engine
    with TestClient(app, headers=admin, raise_server_exceptions=False) as client:
        assert client.get(f"/api/v1/organizations/{org}/card").status_code == 200
        engine.pool._timeout = 0.2  # the pool's own wait (30 s by default), short for the test
        held = []
        while True:  # every connection the pool has left (the cache's watcher keeps one of its own)
            try:
                held.append(engine.connect())
            except sa.exc.TimeoutError:
                break
        try:
            answer = client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"})
        finally:
            for conn in held:
                conn.close()
        assert answer.status_code == 503 and answer.headers["retry-after"].isdigit(), answer.text
        assert answer.headers["content-type"] == PROBLEM and "try again" in answer.json()["title"]
        assert client.get(f"/api/v1/organizations/{org}").json()["name"] == "Medlumics"  # nothing written


def test_a_write_lock_released_within_the_busy_timeout_is_waited_out(busy_app):
    app, path, admin, org = busy_app("60")
    answers = []
    with TestClient(app, headers=admin, raise_server_exceptions=False) as client:
        with _WriteLock(path) as lock:
            patching = threading.Thread(target=lambda: answers.append(
                client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"})))
            patching.start()
            patching.join(0.5)
            assert patching.is_alive() and not answers  # it waits for the lock rather than failing
            lock.release()
            patching.join(30)
        assert answers[0].status_code == 200, answers[0].text
        assert client.get(f"/api/v1/organizations/{org}").json()["name"] == "Medlumics SL"


def test_the_busy_timeout_comes_from_its_setting(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from ecotone.store import Atlas

    monkeypatch.setenv("ECOTONE_SQLITE_BUSY_TIMEOUT", "1.5")
    with Atlas.open(str(tmp_path / "a.db")) as atlas, atlas.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 1500
    assert Settings().sqlite_busy_timeout == 1.5
    monkeypatch.delenv("ECOTONE_SQLITE_BUSY_TIMEOUT")
    assert Settings().sqlite_busy_timeout == 10


@pytest.mark.postgresql
def test_a_row_locked_past_postgresql_lock_timeout_is_a_503(tmp_path):
    """On PostgreSQL a writer waits for a row lock as long as ``lock_timeout`` allows (set small here, in the
    URL's options): past it the request is told to try again, not given a 500."""
    import sqlalchemy as sa

    from conftest import postgres_schema
    from ecotone.domain import Hub, Organization
    from ecotone.store import Atlas

    with postgres_schema() as url:
        with Atlas.open(url + "%20-clock_timeout%3D200") as atlas:
            hub = atlas.add(Hub(name="Barcelona Health Hub"))
            org = atlas.add(Organization(name="Medlumics", type="startup", hub_id=hub.id)).id
            app = create_app(atlas=atlas)
            holder = sa.create_engine(url)
            with TestClient(app, headers=bearer(atlas), raise_server_exceptions=False) as client:
                with holder.begin() as conn:
                    conn.execute(sa.text("SELECT id FROM organizations WHERE id = :id FOR UPDATE"), {"id": org})
                    answer = client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"})
                assert answer.status_code == 503 and answer.headers["retry-after"].isdigit(), answer.text
                assert answer.headers["content-type"] == PROBLEM
                assert client.get(f"/api/v1/organizations/{org}").json()["name"] == "Medlumics"
                assert client.patch(f"/api/v1/organizations/{org}", json={"name": "Medlumics SL"}).status_code == 200
            holder.dispose()
