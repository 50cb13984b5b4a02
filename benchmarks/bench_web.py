"""Benchmark the web application: API latency (median, p95, p99) and throughput of the main list, map-data and
actor endpoints under 50 concurrent clients on loopback, anonymous and signed in (each client its own viewer
account, half with an API token, half with a session cookie from POST /login; the viewers of one hub, and of five),
against a bare FastAPI endpoint returning the same JSON from memory (the ratio is Ecotone's cost over serving the
bytes); and the map's first render for 20,000 actors / 100,000 ties in headless Chromium (an admin's), with what
the server takes for the map page and data of a signed-in viewer.

    .venv/bin/python benchmarks/bench_web.py            # demo atlas for the API, 20k/100k for the map
    .venv/bin/python benchmarks/bench_web.py --quick    # fewer requests, a 5k/25k map
    .venv/bin/python benchmarks/bench_web.py --no-map   # the API only
"""


import argparse
import asyncio
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
LOADS = ("cold (the server computes the map)", "warm (the map is cached)")
BARE = "bare FastAPI, same JSON from memory"
ANONYMOUS = "Ecotone"
CACHE_OFF = "Ecotone, response cache off"
SIGNED_IN = "Ecotone, signed-in viewers"
SPREAD = "Ecotone, signed-in viewers of 5 hubs"
#: Whose viewers each signed-in row set has: one hub (every client in one visibility scope), or five (five scopes,
#: each with its own cached answers).
VIEWER_HUBS = {SIGNED_IN: ["Barcelona Health Hub"],
               SPREAD: ["Barcelona Health Hub", "Madrid Health Hub", "Medical Innovation Institute",
                        "Texas Medical Center", "BioCity Nottingham"]}
PASSWORD = "bench-web-viewer-password"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_ecotone(db: str, cache: bool, port: int) -> None:
    import uvicorn

    from ecotone.api import create_app

    uvicorn.run(create_app(db, cache=cache), host="127.0.0.1", port=port, log_level="error")


def _serve_bare(bodies: dict[str, bytes], port: int) -> None:
    import uvicorn
    from fastapi import FastAPI, Request, Response

    app = FastAPI()

    @app.get("/{path:path}")
    async def same_json(path: str, request: Request) -> Response:  # the same bytes Ecotone answered, from memory
        # async: nothing here blocks, so no trip through the thread pool (the least FastAPI can do for a request)
        key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Response(bodies[key], media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def _start(target, *args) -> mp.Process:
    proc = mp.get_context("spawn").Process(target=target, args=args, daemon=True)
    proc.start()
    port = args[-1]
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _stats(latencies: list[float]) -> dict:
    latencies = sorted(latencies)
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "median": q(0.5), "p95": q(0.95), "p99": q(0.99)}


async def _load(base: str, paths: list[str], clients: int, per_client: int,
                who: list[tuple[str, str]] | None = None) -> dict:
    """``clients`` keep-alive HTTP/1.1 connections, each sending its requests one after the other; a minimal
    client (raw asyncio streams) so that the load generator is not what is measured. ``who`` gives each client
    (round robin) a kind and the header lines it sends (its credentials); the result has the figures of each
    kind under ``by``."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    by: dict[str, list[float]] = {}

    async def client(k: int) -> None:
        kind, extra = who[k % len(who)] if who else ("anonymous", "")
        mine = by.setdefault(kind, [])
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(per_client):
                path = paths[(k + i) % len(paths)]
                t = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n{extra}"
                             "\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t)
                mine.append(latencies[-1])
                assert status == 200, (path, status, kind)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    seconds = time.perf_counter() - start
    return {**_stats(latencies), "throughput": len(latencies) / seconds,
            "by": {kind: _stats(found) for kind, found in by.items()}}


def _viewers(db: str, clients: int) -> dict[str, list[dict]]:
    """``clients`` viewer accounts for each signed-in row set (their hubs round robin); every other one gets an
    API token, the rest sign in later through POST /login."""
    from ecotone.services.accounts import add_user, create_token
    from ecotone.store import Atlas

    out: dict[str, list[dict]] = {}
    with Atlas.open(db) as atlas:
        for n, (who, hubs) in enumerate(VIEWER_HUBS.items()):
            out[who] = []
            for k in range(clients):
                hub = hubs[k % len(hubs)]
                email = f"viewer{n}-{k}@bench.example"
                add_user(atlas, email, name=f"Viewer {k}", role="viewer", password=PASSWORD, hubs=[hub])
                viewer = {"email": email, "hub": hub}
                if k % 2 == 0:
                    token = create_token(atlas, email)
                    viewer.update(kind="bearer token", header=f"Authorization: Bearer {token}\r\n")
                out[who].append(viewer)
    return out


def _sign_in(http, viewers: dict[str, list[dict]]) -> None:
    """The viewers without a token sign in like a browser: POST /login, then both cookies it sets (the session,
    and the CSRF cookie a browser keeps and sends back) go with every request."""
    from ecotone.api.auth import CSRF_COOKIE, SESSION_COOKIE

    for viewer in (v for group in viewers.values() for v in group if "kind" not in v):
        http.cookies.clear()
        answer = http.post("/login", json={"email": viewer["email"], "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        cookies = {name: answer.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE) if name in answer.cookies}
        assert SESSION_COOKIE in cookies, answer.headers
        viewer.update(kind="session cookie",
                      header="Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()) + "\r\n")
    http.cookies.clear()


def _headers(line: str) -> dict[str, str]:
    return dict(h.split(": ", 1) for h in line.strip().split("\r\n"))


def api_latency(clients: int, per_client: int, rounds: int) -> tuple[list[dict], dict[str, float], dict]:
    """Every server in its own process (its peak memory its own), all started first: anonymous, signed-in viewers
    of one hub and of five, anonymous with the response cache off, and the bare peer. Before anything is timed,
    every path is asked once per visibility scope and every client's credentials once (a warm server, as a running
    one is): the timed requests are the steady state. Then ``rounds`` rounds, each loading every server with every
    endpoint in turn (the order rotating), so that other work on the machine falls on every row alike; each
    figure is the median of the rounds'. What filling one scope's cache took is kept in ``fill``."""
    import httpx

    from ecotone.services.demo import build_demo
    from ecotone.store import Atlas

    folder = Path(tempfile.mkdtemp(prefix="ecotone-bench-web-"))
    db = str(folder / "demo.db")
    with Atlas.open(db) as atlas:
        build_demo(atlas)
        actors = atlas.frame("organization", ["name"])["id"].tolist()[:40]
    viewers = _viewers(db, clients)
    endpoints = {"list (50 organisations)": ["/api/v1/organizations?limit=50&offset=" + str(o) for o in (0, 50, 100)],
                 "map data (whole demo)": ["/api/v1/map"],
                 "actor card": [f"/api/v1/organizations/{a}/card" for a in actors]}
    everything = [p for paths in endpoints.values() for p in paths]
    servers: dict[str, tuple[mp.Process, int]] = {}
    for cache, who in ((True, ANONYMOUS), (True, SIGNED_IN), (True, SPREAD), (False, CACHE_OFF)):
        port = _port()
        servers[who] = _start(_serve_ecotone, db, cache, port), port
    with httpx.Client(base_url=f"http://127.0.0.1:{servers[ANONYMOUS][1]}") as http:
        _sign_in(http, viewers)  # sessions are rows of the atlas, good for every server; and a write: done first
    bodies: dict[str, bytes] = {}
    fill: dict[str, dict] = {}
    credentials: dict[str, list[tuple[str, str]] | None] = {}
    for who, (_, port) in servers.items():
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            if who not in VIEWER_HUBS:
                found = {p: http.get(p).content for p in everything}
                bodies = bodies or found
                credentials[who] = None
                continue
            credentials[who] = [(v["kind"], v["header"]) for v in viewers[who]]
            for v in viewers[who]:  # every client's credentials resolved once
                assert http.get("/api/v1/me", headers=_headers(v["header"])).json()["signed_in"], v
            first: dict[str, dict] = {}
            for v in viewers[who]:
                first.setdefault(v["hub"], v)
            took = []
            for v in first.values():  # each scope's answers computed once, timed
                t = time.perf_counter()
                seen = {p: http.get(p, headers=_headers(v["header"])).content for p in everything}
                took.append(time.perf_counter() - t)
            fill[who] = {"scopes": len(first), "answers": len(everything), "ms": 1000 * sum(took) / len(took),
                         "bytes": sum(map(len, seen.values()))}
    for f in fill.values():
        f["anonymous_bytes"] = sum(map(len, bodies.values()))
    port = _port()
    servers[BARE] = _start(_serve_bare, bodies, port), port
    credentials[BARE] = None
    runs: dict[tuple[str, str], list[dict]] = {}
    order = list(servers)
    for k in range(rounds):
        for name, paths in endpoints.items():
            for who in order[k % len(order):] + order[:k % len(order)]:
                found = asyncio.run(_load(f"http://127.0.0.1:{servers[who][1]}", paths, clients, per_client,
                                          credentials[who]))
                runs.setdefault((name, who), []).append(found)
    memory = {who: _server_peak_mb(proc) for who, (proc, _) in servers.items()}
    for proc, _ in servers.values():
        proc.terminate()
        proc.join()
    mid = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    rows = []
    for (name, who), found in runs.items():
        row = {"endpoint": name, "who": who, "requests": sum(f["requests"] for f in found),
               **{key: mid([f[key] for f in found]) for key in ("median", "p95", "p99", "throughput")},
               "by": {kind: {"p95": mid([f["by"][kind]["p95"] for f in found])} for kind in found[0]["by"]}}
        rows.append(row)
    return rows, memory, fill


def _server_peak_mb(proc: mp.Process) -> float:
    """A running server's peak resident memory (Linux's VmHWM), in MB."""
    status = Path(f"/proc/{proc.pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024


def _first_picture(browser, port: int, cookies: list[dict]) -> dict:
    """Open the map page in a new browser context (nothing cached from an earlier tab) holding ``cookies``; the
    map script notes, on the browser's clock (0 = the page was requested), its stages and the animation frame
    that puts the first picture on screen. That clock, not the test driver noticing it later (the layout keeps
    the main thread busy), is what is reported."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{port}/")
    # a function, not an expression: the page's Content-Security-Policy forbids the eval an expression takes
    page.wait_for_function("() => window.ecotoneMap && window.ecotoneMap.shownSinceNavigation", timeout=120_000)
    shown, timings, nodes, edges = page.evaluate(
        "[window.ecotoneMap.shownSinceNavigation, window.ecotoneMap.timings, window.ecotoneMap.nodes, "
        "window.ecotoneMap.edges]")
    return {"page": page, "shown_s": shown / 1000, "timings": timings, "nodes": nodes, "edges": edges}


def map_render(orgs: int, ties: int, loads: int) -> dict:
    """``loads`` cold first pictures (a fresh server computes the map each time) and ``loads`` warm ones (the
    server has it cached), each in a new tab of one headless Chromium; the median of each, and a screenshot.
    Generated records are seen by the network (any signed-in member), not by anonymous visitors: an admin (who
    sees everything, unfiltered) signs in first (POST /login), and every tab holds the cookies it got (the
    session is good for every server of the atlas). ``viewer`` has what the server takes for the map page and
    its data for a signed-in viewer, whose reads are filtered by what a viewer may see, and for the admin."""
    from playwright.sync_api import sync_playwright

    import httpx

    from ecotone.services.accounts import add_user, create_token
    from ecotone.store import Atlas

    folder = Path(tempfile.mkdtemp(prefix="ecotone-bench-map-"))
    db = str(folder / "big.db")
    ecotone = str(Path(sys.executable).parent / "ecotone")
    subprocess.run([ecotone, "--db", db, "generate", "--orgs", str(orgs), "--ties", str(ties), "--hubs", "20",
                    "--seed", "1", "--format", "json"], check=True, capture_output=True)
    email = "map-admin@bench.example"
    with Atlas.open(db) as atlas:
        add_user(atlas, email, name="Map admin", role="admin", password=PASSWORD)
        add_user(atlas, "map-viewer@bench.example", name="Map viewer", role="viewer", password=PASSWORD)
        tokens = {who: create_token(atlas, f"map-{who}@bench.example") for who in ("admin", "viewer")}
    out: dict = {label: [] for label in LOADS}
    cookies: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for k in range(loads):
            port = _port()
            server = _start(_serve_ecotone, db, True, port)
            if k == 0:  # before anything is cached: a sign-in is a write, which no cached answer outlives
                signing_in = p.request.new_context()
                answer = signing_in.post(f"http://127.0.0.1:{port}/login", data={"email": email, "password": PASSWORD})
                assert answer.ok, answer.text()
                cookies = signing_in.storage_state()["cookies"]
                signing_in.dispose()
            for label in LOADS:
                load = _first_picture(browser, port, cookies)
                if label.startswith("warm") and k == loads - 1:
                    load["page"].wait_for_timeout(3000)  # a few seconds of ForceAtlas2
                    load["page"].screenshot(path=str(Path(__file__).parent / "map-20k.png"))
                load.pop("page").context.close()
                out[label].append(load)
            out["server_mb"] = max(out.get("server_mb", 0), _server_peak_mb(server))
            server.terminate()
            server.join()
        browser.close()
    port = _port()  # a fresh server: nothing cached for anyone
    server = _start(_serve_ecotone, db, True, port)
    out["viewer"] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=900) as http:
        for who in ("admin", "viewer"):
            for what, path in (("page", "/"), ("data", "/api/v1/map")):
                t = time.perf_counter()
                answer = http.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
                out["viewer"][who, what] = time.perf_counter() - t
                assert answer.status_code == 200, (who, path, answer.status_code)
    server.terminate()
    server.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, help="rounds of API loads, each figure their median (default 3, "
                        "1 with --quick)")
    parser.add_argument("--no-map", action="store_true", help="the API only, not the map in Chromium")
    args = parser.parse_args()
    per_client = 20 if args.quick else 60
    rounds = args.rounds or (1 if args.quick else 3)
    before = os.getloadavg()[0]
    rows, memory, fill = api_latency(args.clients, per_client, rounds)
    after = os.getloadavg()[0]
    print(f"## API under {args.clients} concurrent clients on loopback, demo atlas on SQLite "
          f"({per_client} requests per client and endpoint, median of {rounds} round{'s' if rounds > 1 else ''}; "
          "one uvicorn worker each)")
    print()
    print("Signed-in viewers: each client its own viewer account, half with an API token (`Authorization: Bearer`), "
          "half with the session cookie of POST /login; one hub's viewers share one visibility scope, five hubs' "
          "viewers make five.")
    print()
    print("| endpoint | server | median ms | p95 ms | p99 ms | requests/s | p95 vs bare |")
    print("|---|---|---|---|---|---|---|")
    bare = {r["endpoint"]: r for r in rows if r["who"] == BARE}
    order = [ANONYMOUS, SIGNED_IN, SPREAD, CACHE_OFF, BARE]
    for r in sorted(rows, key=lambda r: (list(bare).index(r["endpoint"]), order.index(r["who"]))):
        ratio = r["p95"] / bare[r["endpoint"]]["p95"]
        print(f"| {r['endpoint']} | {r['who']} | {r['median']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
              f"{r['throughput']:,.0f} | {ratio:.2f}× |")
    for who in (ANONYMOUS, CACHE_OFF, SIGNED_IN, SPREAD):
        worst = max(r["p95"] for r in rows if r["who"] == who)
        print(f"\ntarget p95 under 50 ms on SQLite, {who}: {'met' if worst < 50 else 'missed'} (worst p95 {worst:.1f} ms)")
    print()
    for who in VIEWER_HUBS:
        kinds = sorted({k for r in rows if r["who"] == who for k in r["by"]})
        worst = {k: max(r["by"][k]["p95"] for r in rows if r["who"] == who) for k in kinds}
        f = fill[who]
        print(f"{who}: worst p95 by credential " + ", ".join(f"{k} {ms:.1f} ms" for k, ms in worst.items())
              + f"; filling a scope's cache before the timed requests ({f['answers']} answers asked one after the "
              f"other) took {f['ms']:,.0f} ms (mean of {f['scopes']} scope{'s' if f['scopes'] > 1 else ''}); a "
              f"scope's answers {f['bytes'] / 1e3:,.0f} kB (anonymous {f['anonymous_bytes'] / 1e3:,.0f} kB)")
    print()
    print("peak memory of each server: " + "; ".join(f"{who} {mb:,.0f} MB" for who, mb in memory.items()))
    print()
    print(f"load average of the machine (1 min) before the API part {before:.1f}, after {after:.1f} "
          f"({os.cpu_count()} CPUs): above about 1, other work shared the machine and the figures are slower")
    if args.no_map:
        return
    orgs, ties = (5_000, 25_000) if args.quick else (20_000, 100_000)
    loads = 3 if args.quick else 5
    render = map_render(orgs, ties, loads)
    print()
    print(f"## First picture of the map in headless Chromium (software WebGL): {orgs:,} actors / {ties:,} ties, "
          f"median of {loads} loads each")
    print()
    print("| load | page requested → first picture on screen, s (min–max) | of which in the map script: data "
          "fetched · graph built · styled · drawn (s, cumulative) | nodes | edges |")
    print("|---|---|---|---|---|")
    for label in LOADS:
        runs = sorted(render[label], key=lambda r: r["shown_s"])
        mid = runs[len(runs) // 2]
        t = mid["timings"]
        steps = " · ".join(f"{t[k] / 1000:.2f}" for k in ("fetched", "built", "styled", "rendered"))
        print(f"| {label} | {mid['shown_s']:.2f} ({runs[0]['shown_s']:.2f}–{runs[-1]['shown_s']:.2f}) | {steps} | "
              f"{mid['nodes']:,} | {mid['edges']:,} |")
    warm = sorted(r["shown_s"] for r in render[LOADS[1]])[loads // 2]
    print()
    print(f"target under 3 s: {'met' if warm < 3 else 'missed'} ({warm:.2f} s warm, median); screenshot "
          f"benchmarks/map-20k.png; peak memory of the server {render['server_mb']:,.0f} MB")
    print()
    v = render["viewer"]
    print("The browser above is an admin's (nothing filtered). What a fresh server takes for the map page's HTML and "
          "the map's data (each asked once, cold) — signed-in viewer (every read filtered by what a viewer may see): "
          f"page {v['viewer', 'page']:.2f} s, data {v['viewer', 'data']:.2f} s; admin: page {v['admin', 'page']:.2f} s, "
          f"data {v['admin', 'data']:.2f} s")


if __name__ == "__main__":
    main()
