"""Shared helpers of the SDK tests: the server under test (from the environment), users, and
small local HTTP servers for what the client does on its own (retries, timeouts, SSE parsing).

The suite talks to a real OpenClaw server named by the environment:

    OPENCLAW_BASE_URL             e.g. http://127.0.0.1:3000/api/v1
    OPENCLAW_TEST_ADMIN_EMAIL     an admin's e-mail ...
    OPENCLAW_TEST_ADMIN_PASSWORD  ... and password
    OPENCLAW_TEST_SLOW_MODEL      a model whose stream is slow (several chunks, ≥ 100 ms apart)
    OPENCLAW_TEST_BROKEN_MODEL    a model whose stream breaks off after a few chunks
    OPENCLAW_TEST_USAGE_MODEL     a model with two usage records of the admin's: 3000 input and
                                  1000 output tokens in all, $0.25, one of them unpriced

Nothing is skipped: a missing variable fails the tests that need it, loudly.
test/e2e/sdk-python.e2e-spec.ts starts such a server and runs this suite.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_ROOT = os.path.dirname(HERE)
if SDK_ROOT not in sys.path:
    sys.path.insert(0, SDK_ROOT)

from openclaw import OpenClaw, OpenClawError  # noqa: E402

REQUIRED = (
    "OPENCLAW_BASE_URL",
    "OPENCLAW_TEST_ADMIN_EMAIL",
    "OPENCLAW_TEST_ADMIN_PASSWORD",
)


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise AssertionError(
            "%s is not set: these tests need a running OpenClaw server; see sdk/python/README.md "
            "(Tests) or run `npx jest --runInBand test/e2e/sdk-python.e2e-spec.ts` from the "
            "repository root" % name
        )
    return value


def base_url() -> str:
    return env("OPENCLAW_BASE_URL")


def uid() -> str:
    return uuid.uuid4().hex[:10]


_admin_token: Optional[str] = None


def admin() -> OpenClaw:
    """A client authenticated as the admin (a JWT from auth.login)."""
    global _admin_token
    if _admin_token is None:
        anonymous = OpenClaw(api_key=None, base_url=base_url())
        token = anonymous.auth.login(
            email=env("OPENCLAW_TEST_ADMIN_EMAIL"), password=env("OPENCLAW_TEST_ADMIN_PASSWORD")
        )
        _admin_token = token.access_token
    return OpenClaw(api_key=_admin_token, base_url=base_url())


class TestUser(object):
    def __init__(self, client: OpenClaw, user: Any, email: str, password: str, key: Any) -> None:
        self.client = client
        self.user = user
        self.id = user.id
        self.email = email
        self.password = password
        self.key = key


def new_user(role: str = "user") -> TestUser:
    """A fresh user (created by the admin) with an API key; ``client`` uses the key."""
    email = "py-%s@example.test" % uid()
    password = "password-%s" % uid()
    user = admin().users.create(email=email, password=password, name="Py " + uid(), role=role)
    token = OpenClaw(api_key=None, base_url=base_url()).auth.login(email=email, password=password)
    key = OpenClaw(api_key=token.access_token, base_url=base_url()).api_keys.create(name="py tests")
    return TestUser(OpenClaw(api_key=key.key, base_url=base_url()), user, email, password, key)


def eventually(
    read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 10.0, every: float = 0.1
) -> Any:
    """Reads until ``ok``; a 404 counts as not yet, since a stream's turn is stored after it ends."""
    deadline = time.time() + timeout
    while True:
        try:
            value = read()
        except OpenClawError as err:
            if err.status != 404 or time.time() > deadline:
                raise
            time.sleep(every)
            continue
        if ok(value) or time.time() > deadline:
            return value
        time.sleep(every)


# ----------------------------------------------------------------------------------------------
# Local HTTP servers


class Received(object):
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.at = time.time()

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


#: An answer: (status, headers, body) or a function given the handler that writes the answer.
Answer = Any


class LocalServer(object):
    """An HTTP server on 127.0.0.1 answering from a script: one answer per request, in order; the
    last one is repeated. Records every request (with the raw body)."""

    def __init__(self, *answers: Answer) -> None:
        self.requests: List[Received] = []
        self.answers: List[Answer] = list(answers) or [(200, {}, b"{}")]
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer.lock:
                    outer.requests.append(
                        Received(
                            self.command,
                            self.path,
                            {k: v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    answer = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                try:
                    if callable(answer):
                        answer(self)
                    else:
                        outer._write(self, *answer)
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, status: int, headers: Dict[str, str], body: Any) -> None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            headers = dict({"Content-Type": "application/json"}, **headers)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True

    def client(self, **options: Any) -> OpenClaw:
        options.setdefault("api_key", "oc_local_test_key")
        return OpenClaw(base_url=self.url + "/api/v1", **options)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def envelope(code: str, message: str = "failed", details: Optional[dict] = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def sse_answer(
    frames: List[Any], *, delay: float = 0.0, status: int = 200, on_gone: Optional[threading.Event] = None,
    hang_up: bool = False, headers: Optional[Dict[str, str]] = None,
) -> Callable[[BaseHTTPRequestHandler], None]:
    """An event-stream answer: each frame (bytes/str, or a float meaning "sleep this long") written
    and flushed; ``on_gone`` is set when a write finds the client gone; ``hang_up`` closes the
    socket abruptly at the end."""

    def write(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("X-Session-Id", "local-session")
        h.send_header("X-Request-Id", "local-request")
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        try:
            for frame in frames:
                if isinstance(frame, float):
                    time.sleep(frame)
                    continue
                if delay:
                    time.sleep(delay)
                h.wfile.write(frame.encode("utf-8") if isinstance(frame, str) else frame)
                h.wfile.flush()
            if hang_up:
                h.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            if on_gone is not None:
                on_gone.set()

    return write


class WebhookReceiver(object):
    """A customer's webhook endpoint on 127.0.0.1: records each delivery's raw body and headers."""

    def __init__(self, status: int = 200) -> None:
        self.server = LocalServer((status, {"Content-Type": "text/plain"}, b"ok"))
        self.url = self.server.url + "/hook"

    @property
    def deliveries(self) -> List[Received]:
        return [r for r in self.server.requests if r.method == "POST"]

    def wait_for(self, count: int, timeout: float = 15.0) -> List[Received]:
        got = eventually(lambda: self.deliveries, lambda d: len(d) >= count, timeout)
        if len(got) < count:
            raise AssertionError("receiver: %d of %d deliveries after %ss" % (len(got), count, timeout))
        return got

    def of_type(self, event_type: str) -> List[Received]:
        out = []
        for r in self.deliveries:
            try:
                if r.json().get("type") == event_type:
                    out.append(r)
            except ValueError:
                pass
        return out

    def close(self) -> None:
        self.server.close()


def pairs(headers: Dict[str, str]) -> List[Tuple[str, str]]:
    return list(headers.items())
