"""The client's own logic, against small local HTTP servers: requests, errors, retries, timeouts,
and the SSE parser. (Everything about the API itself is tested against the real server.)"""

from __future__ import annotations

import email.utils
import io
import json
import os
import socket
import threading
import time
import unittest
from unittest import mock

from _support import LocalServer, envelope, sse_answer

from openclaw import (
    DEFAULT_BASE_URL,
    APIConnectionError,
    APITimeoutError,
    ChatStream,
    OpenClaw,
    OpenClawError,
    OpenClawObject,
)
from openclaw._http import parse_retry_after
from openclaw._streaming import iter_sse

OK = (200, {}, {"ok": True})


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ConstructionTest(unittest.TestCase):
    def test_defaults(self) -> None:
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("OPENCLAW_API_KEY", None)
            os.environ.pop("OPENCLAW_BASE_URL", None)
            client = OpenClaw()
            self.assertEqual(client.base_url, DEFAULT_BASE_URL)
            self.assertEqual(DEFAULT_BASE_URL, "http://localhost:3000/api/v1")
            self.assertIsNone(client.api_key)
            self.assertEqual(client.timeout, 60.0)
            self.assertEqual(client.max_retries, 2)

    def test_environment_fallback_and_explicit_arguments(self) -> None:
        with mock.patch.dict(
            os.environ,
            {"OPENCLAW_API_KEY": "oc_from_env", "OPENCLAW_BASE_URL": "http://example.test:9/api/v1/"},
        ):
            client = OpenClaw()
            self.assertEqual(client.api_key, "oc_from_env")
            self.assertEqual(client.base_url, "http://example.test:9/api/v1")
            explicit = OpenClaw(api_key="oc_explicit", base_url="https://other.test/api/v1")
            self.assertEqual(explicit.api_key, "oc_explicit")
            self.assertEqual(explicit.base_url, "https://other.test/api/v1")
            positional = OpenClaw("oc_positional")
            self.assertEqual(positional.api_key, "oc_positional")

    def test_invalid_settings(self) -> None:
        with self.assertRaises(ValueError):
            OpenClaw(api_key="k", base_url="ftp://example.test")
        with self.assertRaises(ValueError):
            OpenClaw(api_key="k", base_url="not a url")
        with self.assertRaises(ValueError):
            OpenClaw(api_key="k", max_retries=-1)
        with self.assertRaises(ValueError):
            OpenClaw(api_key="k", timeout=0)

    def test_with_options(self) -> None:
        client = OpenClaw(api_key="a", base_url="http://h.test/api/v1", timeout=5, max_retries=1)
        other = client.with_options(api_key="b", timeout=7)
        self.assertEqual((other.api_key, other.base_url, other.timeout, other.max_retries), ("b", "http://h.test/api/v1", 7, 1))
        self.assertEqual(client.api_key, "a")

    def test_resources_exist(self) -> None:
        client = OpenClaw(api_key="k")
        expected = {
            "sessions": ["create", "list", "get", "update", "delete", "messages"],
            "messages": ["delete"],
            "skills": ["list", "create", "get", "update", "delete", "run", "runs", "get_run"],
            "config": ["get", "update"],
            "users": ["me", "create", "list", "get", "update", "delete"],
            "webhooks": [
                "create", "list", "get", "update", "delete", "rotate_secret", "test",
                "deliveries", "get_delivery", "retry_delivery",
            ],
            "api_keys": ["create", "list", "delete"],
            "auth": ["login"],
            "models": ["list"],
        }
        for resource, methods in expected.items():
            for method in methods:
                self.assertTrue(callable(getattr(getattr(client, resource), method)), (resource, method))


class ObjectTest(unittest.TestCase):
    def test_key_and_attribute_access(self) -> None:
        obj = OpenClawObject(response="hi", tokens=OpenClawObject(input=1, output=2))
        self.assertEqual(obj["response"], obj.response)
        self.assertEqual(obj.tokens.output, 2)
        self.assertIsInstance(obj, dict)
        self.assertEqual(json.loads(json.dumps(obj)), {"response": "hi", "tokens": {"input": 1, "output": 2}})
        with self.assertRaises(AttributeError):
            obj.missing
        with self.assertRaises(KeyError):
            obj["missing"]
        self.assertFalse(hasattr(obj, "missing"))


class RequestTest(unittest.TestCase):
    def test_sends_credentials_json_and_encoded_paths(self) -> None:
        with LocalServer((200, {}, {"id": "x", "nested": {"a": [{"b": 1}]}})) as srv:
            client = srv.client(api_key="oc_secret_key")
            result = client.sessions.update("a/b?c", name="名字")
            self.assertEqual(result.nested.a[0].b, 1)
            req = srv.requests[0]
            self.assertEqual(req.method, "PATCH")
            self.assertEqual(req.path, "/api/v1/sessions/a%2Fb%3Fc")
            self.assertEqual(req.headers["Authorization"], "Bearer oc_secret_key")
            self.assertEqual(req.headers["Content-Type"], "application/json")
            self.assertTrue(req.headers["User-Agent"].startswith("openclaw-python/"))
            self.assertEqual(req.json(), {"name": "名字"})

    def test_list_query_and_unsent_fields(self) -> None:
        with LocalServer((200, {}, {"data": [], "total": 0, "limit": 5, "offset": 10})) as srv:
            page = srv.client().sessions.list(limit=5, offset=10, order="asc")
            self.assertEqual(page.limit, 5)
            srv.client().skills.run("my-skill", {"city": "Paris"}, wait=False)
            srv.client().users.list()
            self.assertEqual(srv.requests[0].path, "/api/v1/sessions?limit=5&offset=10&order=asc")
            self.assertEqual(srv.requests[1].path, "/api/v1/skills/my-skill/run?wait=false")
            self.assertEqual(srv.requests[1].json(), {"params": {"city": "Paris"}})
            self.assertEqual(srv.requests[2].path, "/api/v1/users")

    def test_no_authorization_header_without_a_key(self) -> None:
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("OPENCLAW_API_KEY", None)
            with LocalServer(OK) as srv:
                OpenClaw(base_url=srv.url + "/api/v1").models.list()
                self.assertNotIn("Authorization", srv.requests[0].headers)

    def test_204_is_none(self) -> None:
        with LocalServer((204, {}, b"")) as srv:
            self.assertIsNone(srv.client().sessions.delete("abc"))
            self.assertEqual(srv.requests[0].method, "DELETE")

    def test_error_envelope(self) -> None:
        details = {"fields": [{"field": "message", "message": "message should not be empty"}]}
        answer = (400, {"X-Request-Id": "req-123"}, envelope("VALIDATION_ERROR", "Invalid request", details))
        with LocalServer(answer) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client().chat(message="")
            err = ctx.exception
            self.assertEqual(err.code, "VALIDATION_ERROR")
            self.assertEqual(err.status, 400)
            self.assertEqual(err.message, "Invalid request")
            self.assertEqual(err.details, details)
            self.assertEqual(err.request_id, "req-123")
            self.assertIn("VALIDATION_ERROR", str(err))
            self.assertEqual(len(srv.requests), 1)

    def test_error_that_is_not_an_envelope(self) -> None:
        with LocalServer((502, {"Content-Type": "text/html"}, "<html>Bad gateway</html>")) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client(max_retries=0).models.list()
            self.assertEqual(ctx.exception.code, "HTTP_ERROR")
            self.assertEqual(ctx.exception.status, 502)
            self.assertIn("Bad gateway", ctx.exception.message)

    def test_success_that_is_not_json(self) -> None:
        with LocalServer((200, {}, "not json")) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client().models.list()
            self.assertEqual((ctx.exception.code, ctx.exception.status), ("INVALID_RESPONSE", 200))


class RetryTest(unittest.TestCase):
    def test_honours_retry_after_seconds(self) -> None:
        with LocalServer((429, {"Retry-After": "1"}, envelope("RATE_LIMIT")), OK) as srv:
            started = time.time()
            result = srv.client().models.list()
            elapsed = time.time() - started
            self.assertEqual(result, {"ok": True})
            self.assertEqual(len(srv.requests), 2)
            self.assertGreaterEqual(srv.requests[1].at - srv.requests[0].at, 0.95)
            self.assertLess(elapsed, 5)

    def test_honours_retry_after_http_date(self) -> None:
        when = email.utils.formatdate(time.time() + 2, usegmt=True)
        with LocalServer((503, {"Retry-After": when}, envelope("SERVICE_UNAVAILABLE")), OK) as srv:
            self.assertEqual(srv.client().models.list(), {"ok": True})
            self.assertEqual(len(srv.requests), 2)
            self.assertGreaterEqual(srv.requests[1].at - srv.requests[0].at, 0.9)

    def test_parse_retry_after(self) -> None:
        self.assertEqual(parse_retry_after("3"), 3.0)
        self.assertEqual(parse_retry_after("0"), 0.0)
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("soon"))
        now = time.time()
        self.assertAlmostEqual(parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now), 30, delta=1.01)
        self.assertEqual(parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now), 0.0)

    def test_exponential_backoff_on_5xx_without_retry_after(self) -> None:
        with LocalServer(
            (503, {}, envelope("SERVICE_UNAVAILABLE")), (502, {}, envelope("UPSTREAM_ERROR")), OK
        ) as srv:
            self.assertEqual(srv.client(max_retries=2).models.list(), {"ok": True})
            self.assertEqual(len(srv.requests), 3)
            first = srv.requests[1].at - srv.requests[0].at
            second = srv.requests[2].at - srv.requests[1].at
            # 0.5 s then 1 s, each less up to a quarter of jitter.
            self.assertGreaterEqual(first, 0.35)
            self.assertGreaterEqual(second, 0.7)
            self.assertLess(first + second, 4)

    def test_gives_up_after_max_retries(self) -> None:
        with LocalServer((429, {"Retry-After": "0"}, envelope("RATE_LIMIT", "Too many requests"))) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client(max_retries=2).models.list()
            self.assertEqual(ctx.exception.code, "RATE_LIMIT")
            self.assertEqual(ctx.exception.status, 429)
            self.assertEqual(ctx.exception.retry_after, 0)
            self.assertEqual(len(srv.requests), 3)

    def test_no_retry_with_max_retries_zero(self) -> None:
        with LocalServer((500, {}, envelope("INTERNAL_ERROR")), OK) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client(max_retries=0).models.list()
            self.assertEqual(ctx.exception.code, "INTERNAL_ERROR")
            self.assertEqual(len(srv.requests), 1)

    def test_no_retry_on_4xx(self) -> None:
        with LocalServer((404, {}, envelope("SESSION_NOT_FOUND")), OK) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client().sessions.get("x")
            self.assertEqual(ctx.exception.status, 404)
            self.assertEqual(len(srv.requests), 1)

    def test_long_retry_after_is_not_waited_for(self) -> None:
        with LocalServer((429, {"Retry-After": "3600"}, envelope("RATE_LIMIT")), OK) as srv:
            started = time.time()
            with self.assertRaises(OpenClawError) as ctx:
                srv.client().models.list()
            self.assertLess(time.time() - started, 2)
            self.assertEqual(ctx.exception.retry_after, 3600)
            self.assertEqual(len(srv.requests), 1)

    def test_connection_error(self) -> None:
        client = OpenClaw(api_key="k", base_url="http://127.0.0.1:%d/api/v1" % closed_port(), max_retries=1)
        started = time.time()
        with self.assertRaises(APIConnectionError) as ctx:
            client.models.list()
        err = ctx.exception
        self.assertIsInstance(err, OpenClawError)
        self.assertEqual(err.code, "CONNECTION_ERROR")
        self.assertEqual(err.status, 0)
        self.assertGreaterEqual(time.time() - started, 0.35)  # one backoff before the retry

    def test_dropped_connection_is_retried_for_a_get_only(self) -> None:
        with LocalServer(hang_up, OK) as srv:
            self.assertEqual(srv.client().models.list(), {"ok": True})
            self.assertEqual(len(srv.requests), 2)
        with LocalServer(hang_up, OK) as srv:
            with self.assertRaises(APIConnectionError) as ctx:
                srv.client().chat(message="maybe stored already")
            self.assertEqual((ctx.exception.code, ctx.exception.status), ("CONNECTION_ERROR", 0))
            self.assertEqual(len(srv.requests), 1)

    def test_a_post_is_resent_after_429_and_503_but_not_after_500(self) -> None:
        with LocalServer(
            (429, {"Retry-After": "0"}, envelope("RATE_LIMIT")),
            (503, {"Retry-After": "0"}, envelope("SERVICE_UNAVAILABLE")),
            OK,
        ) as srv:
            self.assertEqual(srv.client().chat(message="x"), {"ok": True})
            self.assertEqual(len(srv.requests), 3)
        for status, code in ((500, "INTERNAL_ERROR"), (502, "UPSTREAM_ERROR"), (504, "UPSTREAM_TIMEOUT")):
            with LocalServer((status, {}, envelope(code)), OK) as srv:
                with self.assertRaises(OpenClawError) as ctx:
                    srv.client().chat(message="x")
                self.assertEqual((ctx.exception.code, ctx.exception.status), (code, status))
                self.assertEqual(len(srv.requests), 1)
            with LocalServer((status, {"Retry-After": "0"}, envelope(code)), OK) as srv:
                self.assertEqual(srv.client().sessions.get("abc"), {"ok": True})
                self.assertEqual(len(srv.requests), 2)

    def test_connection_refused_is_retried_even_for_a_post(self) -> None:
        port = closed_port()
        client = OpenClaw(api_key="k", base_url="http://127.0.0.1:%d/api/v1" % port, max_retries=2)
        attempts = []
        client._transport.sleep = attempts.append  # type: ignore[assignment]
        with self.assertRaises(APIConnectionError):
            client.chat(message="never sent")
        self.assertEqual(len(attempts), 2)
        self.assertLess(attempts[0], attempts[1])


def hang_up(handler: object) -> None:
    """Closes the connection without an answer."""
    handler.close_connection = True  # type: ignore[attr-defined]
    handler.connection.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]


def slow(seconds: float, answer: tuple = OK):
    def write(handler: object) -> None:
        time.sleep(seconds)
        LocalServer._write(handler, *answer)  # type: ignore[arg-type]

    return write


class TimeoutTest(unittest.TestCase):
    def test_timeout_is_an_error_and_a_post_is_not_resent(self) -> None:
        with LocalServer(slow(2.0)) as srv:
            started = time.time()
            with self.assertRaises(APITimeoutError) as ctx:
                srv.client(timeout=0.3).chat(message="x")
            self.assertLess(time.time() - started, 1.5)
            self.assertEqual(ctx.exception.code, "TIMEOUT")
            self.assertEqual(ctx.exception.status, 0)
            self.assertIsInstance(ctx.exception, OpenClawError)
            self.assertEqual(len(srv.requests), 1)

    def test_timeout_of_a_get_is_retried(self) -> None:
        with LocalServer(slow(1.0), OK) as srv:
            self.assertEqual(srv.client(timeout=0.3, max_retries=1).models.list(), {"ok": True})
            self.assertEqual(len(srv.requests), 2)

    def test_per_call_timeout_overrides_the_client(self) -> None:
        with LocalServer(slow(1.0)) as srv:
            started = time.time()
            with self.assertRaises(OpenClawError) as ctx:
                srv.client(timeout=30).chat(message="x", timeout=0.3)
            self.assertEqual(ctx.exception.code, "TIMEOUT")
            self.assertLess(time.time() - started, 0.9)
            self.assertEqual(srv.client(timeout=0.2).models.list(timeout=5), {"ok": True})


USAGE = {"session_id": "local-session", "message_id": "m1", "tokens": {"input": 3, "output": 2}}


class StreamTest(unittest.TestCase):
    def test_parses_comments_multiline_data_crlf_and_usage(self) -> None:
        frames = [
            ": ping\n\n",
            'data: {"text": "Hel"}\n\n',
            'data: {"text":\r\ndata:"lo"}\r\n\r\n',
            "id: 7\nretry: 1000\n: comment\n",
            'data: {"text": " world"}\n\n',
            "event: something-new\ndata: {}\n\n",
            "event: usage\ndata: " + json.dumps(USAGE) + "\n\n",
            ": ping\n\n",
            "data: [DONE]\n\n",
        ]
        with LocalServer(sse_answer(frames)) as srv:
            with srv.client().chat_stream(message="Hello world") as stream:
                self.assertIsInstance(stream, ChatStream)
                self.assertEqual(stream.session_id, "local-session")
                self.assertEqual(stream.request_id, "local-request")
                self.assertIsNone(stream.usage)
                texts = [chunk.text for chunk in stream]
            self.assertEqual(texts, ["Hel", "lo", " world"])
            self.assertEqual(stream.response, "Hello world")
            self.assertEqual(stream.usage, USAGE)
            self.assertEqual(stream.usage.tokens.output, 2)
            self.assertTrue(stream.done)
            req = srv.requests[0]
            self.assertEqual(req.path, "/api/v1/chat/stream")
            self.assertEqual(req.headers["Accept"], "text/event-stream")
            self.assertEqual(req.json(), {"message": "Hello world"})

    def test_until_done(self) -> None:
        frames = ['data: {"text": "a"}\n\n', 'data: {"text": "b"}\n\n', "event: usage\ndata: " + json.dumps(USAGE) + "\n\n", "data: [DONE]\n\n"]
        with LocalServer(sse_answer(frames)) as srv:
            result = srv.client().chat_stream("ab").until_done()
            self.assertEqual(result.response, "ab")
            self.assertEqual(result.message_id, "m1")
            self.assertEqual(result.tokens, {"input": 3, "output": 2})

    def test_sse_parser_handles_bare_cr_and_unterminated_events(self) -> None:
        raw = b'data: one\r\rdata:two\ndata:  three\n\nevent: x\ndata\n\ndata: lost'
        events = list(iter_sse(io.BytesIO(raw).readline))
        self.assertEqual([(e.event, e.data) for e in events], [("message", "one"), ("message", "two\n three"), ("x", "")])

    def test_error_event_mid_stream_raises(self) -> None:
        error = envelope("UPSTREAM_ERROR", "The model provider failed", {"message_id": "m9"})
        frames = ['data: {"text": "partial "}\n\n', "event: error\ndata: " + json.dumps(error) + "\n\n", "data: [DONE]\n\n"]
        with LocalServer(sse_answer(frames)) as srv:
            stream = srv.client().chat_stream(message="x")
            got = []
            with self.assertRaises(OpenClawError) as ctx:
                for chunk in stream:
                    got.append(chunk.text)
            self.assertEqual(got, ["partial "])
            err = ctx.exception
            self.assertEqual((err.code, err.status, err.message), ("UPSTREAM_ERROR", 502, "The model provider failed"))
            self.assertEqual(err.details, {"message_id": "m9"})
            self.assertIs(stream.error, err)
            self.assertEqual(stream.response, "partial ")
            self.assertIsNone(stream.usage)
            self.assertTrue(stream.done)

    def test_connection_lost_before_done_is_not_a_silent_end(self) -> None:
        frames = ['data: {"text": "cut "}\n\n']
        with LocalServer(sse_answer(frames, hang_up=True)) as srv:
            stream = srv.client().chat_stream(message="x")
            with self.assertRaises(APIConnectionError) as ctx:
                list(stream)
            self.assertEqual((ctx.exception.code, ctx.exception.status), ("CONNECTION_ERROR", 0))
            self.assertEqual(stream.response, "cut ")
            self.assertIsNone(stream.usage)

    def test_closing_early_closes_the_connection(self) -> None:
        gone = threading.Event()
        frames = ['data: {"text": "%d "}\n\n' % i for i in range(200)]
        with LocalServer(sse_answer(frames, delay=0.05, on_gone=gone)) as srv:
            with srv.client().chat_stream(message="x") as stream:
                first = [next(stream).text, next(stream).text]
            self.assertEqual(first, ["0 ", "1 "])
            self.assertTrue(stream.done)
            self.assertTrue(gone.wait(3), "the server never saw the connection close")
            self.assertEqual(list(stream), [])

    def test_breaking_out_of_the_loop_closes_the_connection(self) -> None:
        gone = threading.Event()
        frames = ['data: {"text": "%d "}\n\n' % i for i in range(200)]
        with LocalServer(sse_answer(frames, delay=0.05, on_gone=gone)) as srv:
            for chunk in srv.client().chat_stream(message="x"):
                break
            self.assertTrue(gone.wait(3), "the server never saw the connection close")

    def test_error_before_the_stream_is_raised_by_the_call(self) -> None:
        with LocalServer((404, {}, envelope("SESSION_NOT_FOUND", "Session not found"))) as srv:
            with self.assertRaises(OpenClawError) as ctx:
                srv.client().chat_stream(message="x", session_id="nope")
            self.assertEqual((ctx.exception.code, ctx.exception.status), ("SESSION_NOT_FOUND", 404))

    def test_stream_open_is_retried_on_429(self) -> None:
        frames = ['data: {"text": "ok"}\n\n', "event: usage\ndata: " + json.dumps(USAGE) + "\n\n", "data: [DONE]\n\n"]
        with LocalServer((429, {"Retry-After": "0"}, envelope("RATE_LIMIT")), sse_answer(frames)) as srv:
            self.assertEqual(srv.client().chat_stream("x").until_done().response, "ok")
            self.assertEqual(len(srv.requests), 2)

    def test_timeout_between_chunks(self) -> None:
        frames = ['data: {"text": "first"}\n\n', 3.0, "data: [DONE]\n\n"]
        with LocalServer(sse_answer(frames)) as srv:
            stream = srv.client().chat_stream(message="x", timeout=0.5)
            with self.assertRaises(APITimeoutError) as ctx:
                list(stream)
            self.assertEqual(ctx.exception.code, "TIMEOUT")
            self.assertEqual(stream.response, "first")


if __name__ == "__main__":
    unittest.main()
