"""A small HTTP server on 127.0.0.1, in a thread, serving files a test sets: the indicator
source the ingestion reads over the network."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    # Send the first `split` bytes, then wait `pause` seconds (or until `release` is set).
    split: int | None = None
    pause: float = 0.0
    release: threading.Event | None = None
    # Or send the body in ten pieces, `drip` seconds apart.
    drip: float = 0.0
    # Or hang up after the first `split` bytes.
    truncate: bool = False


@dataclass
class FileServer:
    """`files[path]` is a list of responses, served in turn (the last one repeats)."""

    files: dict[str, list[Response]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def serve(self, path: str, *responses: Response) -> str:
        self.files[path] = list(responses)
        return f"{self.url}{path}"

    def next_response(self, path: str) -> Response:
        queue = self.files.get(path)
        if not queue:
            return Response(b"not here", status=404)
        return queue.pop(0) if len(queue) > 1 else queue[0]


def start(server: FileServer) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(self.path)
            response = server.next_response(self.path)
            self.send_response(response.status)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.drip:
                step = len(response.body) // 10 + 1
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for start in range(0, len(response.body), step):
                        self.wfile.write(response.body[start : start + step])
                        self.wfile.flush()
                        time.sleep(response.drip)
                return
            head = response.body[: response.split] if response.split else response.body
            self.wfile.write(head)
            self.wfile.flush()
            server.started.set()
            if response.split is not None and not response.truncate:
                if response.release is not None:
                    response.release.wait(response.pause)
                else:
                    time.sleep(response.pause)
                # The client may have given up (or been killed) meanwhile.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(response.body[response.split :])

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
