"""A load client in Python, for a machine without wrk: as many threads as connections, each
with one keep-alive connection, repeating one request for a fixed time.

It returns the figures wrk_report.lua prints (microseconds), so run.py reads either the same
way. The client shares this process's interpreter lock, so it adds more of its own time than
wrk does: the report names the client, and ratios are only taken within one run (one client).
"""

from __future__ import annotations

import http.client
import threading
import time
from statistics import quantiles
from urllib.parse import urlsplit


def run(
    url: str,
    connections: int,
    seconds: float,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> dict:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    method = "POST" if body else "GET"
    sent = {"Content-Type": "application/json"} if body else {}
    sent |= headers or {}
    latencies: list[float] = []
    errors = {"status": 0, "socket": 0}
    lock = threading.Lock()
    started = time.monotonic()
    stop = started + seconds

    def worker() -> None:
        mine: list[float] = []
        status_errors = socket_errors = 0
        connection = http.client.HTTPConnection(host, parts.port, timeout=30)
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                connection.request(method, target, body=body.encode() or None, headers=sent)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                socket_errors += 1
                connection.close()
                connection = http.client.HTTPConnection(host, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - began)
            if response.status >= 400:
                status_errors += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors["status"] += status_errors
            errors["socket"] += socket_errors

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    cuts = quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else None

    def cut(percent: int) -> float:
        if cuts is None:
            return latencies[0] * 1e6 if latencies else 0.0
        return cuts[percent - 1] * 1e6

    return {
        "requests": len(latencies),
        "duration_us": duration * 1e6,
        "mean_us": sum(latencies) / max(1, len(latencies)) * 1e6,
        "p50_us": cut(50),
        "p95_us": cut(95),
        "p99_us": cut(99),
        "errors": errors,
    }
