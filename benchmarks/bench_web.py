"""Benchmark the web application: API latency (median, p95, p99) and throughput of the main list, map-data and
actor endpoints under 50 concurrent clients on loopback, against a bare FastAPI endpoint returning the same JSON
from memory (the ratio is Ecotone's cost over serving the bytes); and the map's first render for 20,000 actors /
100,000 ties in headless Chromium.

    .venv/bin/python benchmarks/bench_web.py            # demo atlas for the API, 20k/100k for the map
    .venv/bin/python benchmarks/bench_web.py --quick    # fewer requests, a 5k/25k map
"""


import argparse
import asyncio
import multiprocessing as mp
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
    def same_json(path: str, request: Request) -> Response:  # the same bytes Ecotone answered, from memory
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


async def _load(base: str, paths: list[str], clients: int, per_client: int) -> dict:
    """``clients`` keep-alive HTTP/1.1 connections, each sending its requests one after the other; a minimal
    client (raw asyncio streams) so that the load generator is not what is measured."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(per_client):
                path = paths[(k + i) % len(paths)]
                t = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t)
                assert status == 200, (path, status)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    seconds = time.perf_counter() - start
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "median": q(0.5), "p95": q(0.95), "p99": q(0.99),
            "throughput": len(latencies) / seconds}


def api_latency(clients: int, per_client: int) -> tuple[list[dict], dict[str, float]]:
    import httpx

    from ecotone.services.demo import build_demo
    from ecotone.store import Atlas

    folder = Path(tempfile.mkdtemp(prefix="ecotone-bench-web-"))
    db = str(folder / "demo.db")
    with Atlas.open(db) as atlas:
        build_demo(atlas)
        actors = atlas.frame("organization", ["name"])["id"].tolist()[:40]
    endpoints = {"list (50 organisations)": ["/api/v1/organizations?limit=50&offset=" + str(o) for o in (0, 50, 100)],
                 "map data (whole demo)": ["/api/v1/map"],
                 "actor card": [f"/api/v1/organizations/{a}/card" for a in actors]}
    rows = []
    memory: dict[str, float] = {}
    bodies: dict[str, bytes] = {}
    for cache, who in ((True, "Ecotone"), (False, "Ecotone, response cache off")):
        port = _port()
        server = _start(_serve_ecotone, db, cache, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            bodies = {p: http.get(p).content for paths in endpoints.values() for p in paths}
        for name, paths in endpoints.items():
            ours = asyncio.run(_load(f"http://127.0.0.1:{port}", paths, clients, per_client))
            rows.append({"endpoint": name, "who": who, **ours})
        memory[who] = _server_peak_mb(server)
        server.terminate()
        server.join()
    bare_port = _port()
    bare = _start(_serve_bare, bodies, bare_port)
    for name, paths in endpoints.items():
        theirs = asyncio.run(_load(f"http://127.0.0.1:{bare_port}", paths, clients, per_client))
        rows.append({"endpoint": name, "who": "bare FastAPI, same JSON from memory", **theirs})
    memory["bare FastAPI, same JSON from memory"] = _server_peak_mb(bare)
    bare.terminate()
    bare.join()
    return rows, memory


def _server_peak_mb(proc: mp.Process) -> float:
    """A running server's peak resident memory (Linux's VmHWM), in MB."""
    status = Path(f"/proc/{proc.pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024


def _first_picture(browser, port: int) -> dict:
    """Open the map page; the map script notes, on the browser's clock (0 = the page was requested), its stages
    and the animation frame that puts the first picture on screen. That clock, not the test driver noticing it
    later (the layout keeps the main thread busy), is what is reported."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/")
    page.wait_for_function("window.ecotoneMap && window.ecotoneMap.shownSinceNavigation", timeout=120_000)
    shown, timings, nodes, edges = page.evaluate(
        "[window.ecotoneMap.shownSinceNavigation, window.ecotoneMap.timings, window.ecotoneMap.nodes, "
        "window.ecotoneMap.edges]")
    return {"page": page, "shown_s": shown / 1000, "timings": timings, "nodes": nodes, "edges": edges}


def map_render(orgs: int, ties: int, loads: int) -> dict:
    """``loads`` cold first pictures (a fresh server computes the map each time) and ``loads`` warm ones (the
    server has it cached), each in a new tab of one headless Chromium; the median of each, and a screenshot."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="ecotone-bench-map-"))
    db = str(folder / "big.db")
    ecotone = str(Path(sys.executable).parent / "ecotone")
    subprocess.run([ecotone, "--db", db, "generate", "--orgs", str(orgs), "--ties", str(ties), "--hubs", "20",
                    "--seed", "1", "--format", "json"], check=True, capture_output=True)
    out: dict = {label: [] for label in LOADS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for k in range(loads):
            port = _port()
            server = _start(_serve_ecotone, db, True, port)
            for label in LOADS:
                load = _first_picture(browser, port)
                if label.startswith("warm") and k == loads - 1:
                    load["page"].wait_for_timeout(3000)  # a few seconds of ForceAtlas2
                    load["page"].screenshot(path=str(Path(__file__).parent / "map-20k.png"))
                load.pop("page").close()
                out[label].append(load)
            out["server_mb"] = max(out.get("server_mb", 0), _server_peak_mb(server))
            server.terminate()
            server.join()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    per_client = 20 if args.quick else 60
    rows, memory = api_latency(args.clients, per_client)
    print(f"## API under {args.clients} concurrent clients on loopback, demo atlas on SQLite "
          f"({per_client} requests per client and endpoint; one uvicorn worker each)")
    print()
    print("| endpoint | server | median ms | p95 ms | p99 ms | requests/s | p95 vs bare |")
    print("|---|---|---|---|---|---|---|")
    bare = {r["endpoint"]: r for r in rows if r["who"] != "Ecotone"}
    for r in rows:
        ratio = r["p95"] / bare[r["endpoint"]]["p95"]
        print(f"| {r['endpoint']} | {r['who']} | {r['median']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
              f"{r['throughput']:,.0f} | {ratio:.2f}× |")
    for who in ("Ecotone", "Ecotone, response cache off"):
        worst = max(r["p95"] for r in rows if r["who"] == who)
        print(f"\ntarget p95 under 50 ms on SQLite, {who}: {'met' if worst < 50 else 'missed'} (worst p95 {worst:.1f} ms)")
    print()
    print("peak memory of each server: " + "; ".join(f"{who} {mb:,.0f} MB" for who, mb in memory.items()))
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


if __name__ == "__main__":
    main()
