"""Fetching many small resources of one source: `fetch_all` against sequential baselines.

    .venv/bin/python benchmarks/fetch_all.py                          # 1,000 resources, 20 ms
    .venv/bin/python benchmarks/fetch_all.py --resources 200 --latency-ms 0

A local threaded HTTP server plays a member's portal: each answer waits `--latency-ms`
(the round trip and server time of a real portal) and sends a small CSV. Three contenders
fetch the same URLs in the same run:
- `requests` in a loop: the first, unchecked fetcher (no SSRF check, no byte cap);
- `fetch` in a loop: every safety rule, one resource at a time;
- `fetch_all`: the same rules, `--workers` resources at a time.
Ratios compare them; the server runs in this process, so on a 2-core machine the figures
are a floor for what a remote portal would allow.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from connectors.http import FetchError, FetchPolicy, fetch, fetch_all

BODY = ("code_insee;nom;population\n" + "01001;L'Abergement-Clémenciat;776\n" * 60).encode()


class Portal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, latency: float) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.latency = latency


class Answer(BaseHTTPRequestHandler):
    server: Portal
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, each answer would wait ~40 ms
    # for the client's delayed ACK, a cost no real portal adds.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.server.latency:
            time.sleep(self.server.latency)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(BODY)


def timed(name: str, run: Callable[[], int], count: int) -> float:
    started = time.perf_counter()
    fetched = run()
    seconds = time.perf_counter() - started
    if fetched != count:
        raise SystemExit(f"{name}: {fetched} of {count} resources fetched")
    print(f"{name:<28} {seconds:8.2f} s {count / seconds:10.1f} resources/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    portal = Portal(args.latency_ms / 1000)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{portal.server_address[1]}"
    urls = [f"{root}/dataset/{n}/resource.csv" for n in range(args.resources)]
    policy = FetchPolicy(allow_private_hosts=frozenset({"127.0.0.1"}))
    print(f"{args.resources} resources of {len(BODY)} bytes, {args.latency_ms:g} ms per answer")

    def with_requests() -> int:
        with requests.Session() as session:
            return sum(len(session.get(url, timeout=30).content) == len(BODY) for url in urls)

    def with_fetch() -> int:
        return sum(len(fetch(url, policy, expected_format="CSV").body) == len(BODY) for url in urls)

    def with_fetch_all() -> int:
        results = fetch_all(urls, policy, workers=args.workers, expected_format="CSV")
        failures = [result for result in results if isinstance(result, FetchError)]
        if failures:
            raise SystemExit(f"fetch_all: {len(failures)} failures, first: {failures[0]}")
        return len(results)

    baseline = timed("requests, sequential", with_requests, args.resources)
    sequential = timed("fetch, sequential", with_fetch, args.resources)
    parallel = timed(f"fetch_all, {args.workers} workers", with_fetch_all, args.resources)
    print(f"fetch_all vs fetch sequential:     {sequential / parallel:5.2f}x faster")
    print(f"fetch_all vs requests sequential:  {baseline / parallel:5.2f}x faster")
    print(f"fetch vs requests, both sequential: {sequential / baseline:5.2f}x the time (cost of the checks)")
    portal.shutdown()


if __name__ == "__main__":
    main()
