"""HTTP with the standard library: one connection per request, retries, errors as OpenClawError."""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import ssl
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import quote, urlencode, urlsplit

from ._errors import (
    CODE_STATUS,
    CONNECTION_ERROR,
    HTTP_ERROR,
    INVALID_RESPONSE,
    TIMEOUT,
    APIConnectionError,
    APITimeoutError,
    OpenClawError,
)
from ._types import OpenClawObject, loads

__all__ = ["Transport", "path", "retriable_status"]

#: Methods whose request may be sent twice without harm (the API's PATCHes set fields).
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
#: Statuses saying the request was not acted on: retried whatever the method.
RETRY_ALWAYS = frozenset({429, 503})
#: Statuses worth another try for idempotent methods: the server (or a proxy before it) failed.
RETRY_IDEMPOTENT = frozenset({500, 502, 504})
#: A ``Retry-After`` longer than this is not waited for: the error is raised at once.
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0

Query = Optional[Mapping[str, Any]]


def path(*segments: str) -> str:
    """``/a/b`` from segments, each percent-encoded so an id can never change the route."""
    return "".join("/" + quote(str(s), safe="") for s in segments)


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date. None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = now if now is not None else time.time()
        seconds = when.timestamp() - current
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retriable_status(method: str, status: int) -> bool:
    """429 and 503 for every method; 500, 502 and 504 for idempotent ones only."""
    if status in RETRY_ALWAYS:
        return True
    return status in RETRY_IDEMPOTENT and method.upper() in IDEMPOTENT


def backoff_delay(retry: int) -> float:
    """Exponential backoff with jitter for the n-th retry (0-based): ~0.5 s, ~1 s, ~2 s … at most 8 s."""
    delay = min(BACKOFF_MAX, BACKOFF_BASE * (2**retry))
    return delay * (1.0 - 0.25 * random.random())


def _header(headers: Any, name: str) -> Optional[str]:
    value = headers.get(name) if headers is not None else None
    return value if isinstance(value, str) else None


def error_from_response(status: int, body: bytes, headers: Any) -> OpenClawError:
    """The server's envelope ``{"error": {code, message, details}}`` as an OpenClawError."""
    request_id = _header(headers, "X-Request-Id")
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    err = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(err, dict) and isinstance(err.get("code"), str):
        details = err.get("details")
        return OpenClawError(
            str(err.get("message") or err["code"]),
            code=err["code"],
            status=status,
            details=details if isinstance(details, dict) else {},
            request_id=request_id,
            retry_after=retry_after,
        )
    snippet = text.strip()[:200]
    return OpenClawError(
        "HTTP %d%s" % (status, ": " + snippet if snippet else ""),
        code=HTTP_ERROR,
        status=status,
        request_id=request_id,
        retry_after=retry_after,
    )


def error_from_envelope(payload: Any, request_id: Optional[str] = None) -> OpenClawError:
    """An ``event: error`` of a stream: the envelope arrives with HTTP 200, so the status is the code's."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(err, dict):
        return OpenClawError(
            "the stream sent an error event the client cannot read: %r" % (payload,),
            code=INVALID_RESPONSE,
            status=0,
            request_id=request_id,
        )
    code = str(err.get("code") or "INTERNAL_ERROR")
    details = err.get("details")
    return OpenClawError(
        str(err.get("message") or code),
        code=code,
        status=CODE_STATUS.get(code, 0),
        details=details if isinstance(details, dict) else {},
        request_id=request_id,
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso8601(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def iso8601(value: Union[str, datetime]) -> str:
    """A datetime as ISO 8601 UTC (``2030-01-01T00:00:00.000Z``); a naive one is taken as UTC."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


class Transport:
    """Sends one API call, with retries; knows the base URL, the credentials and the defaults."""

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str],
        timeout: float,
        max_retries: int,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL, got %r" % (base_url,))
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.base_url = base_url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.user_agent = user_agent
        self.sleep = sleep

    # ----------------------------------------------------------------------------------------
    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _headers(self, has_body: bool, accept: str) -> Dict[str, str]:
        headers = {"Accept": accept, "User-Agent": self.user_agent}
        if has_body:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        return headers

    def _target(self, route: str, query: Query) -> str:
        target = self.prefix + route
        if query:
            items = []
            for key, value in query.items():
                if value is None:
                    continue
                if isinstance(value, bool):
                    value = "true" if value else "false"
                items.append((key, str(value)))
            if items:
                target += "?" + urlencode(items)
        return target

    def open(
        self,
        method: str,
        route: str,
        *,
        query: Query = None,
        body: Any = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        accept: str = "application/json",
    ) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Sends the request (retrying what is worth it) and returns the open connection and a 2xx
        response whose body is not read yet. Any other answer is raised as an OpenClawError."""
        wait = self.timeout if timeout is None else timeout
        if wait is not None and wait <= 0:
            raise ValueError("timeout must be > 0")
        retries = self.max_retries if max_retries is None else max_retries
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
        headers = self._headers(data is not None, accept)
        target = self._target(route, query)
        idempotent = method.upper() in IDEMPOTENT
        attempt = 0
        while True:
            conn = self._connection(wait)
            connected = False
            try:
                try:
                    conn.connect()
                    connected = True
                    conn.request(method, target, body=data, headers=headers)
                    resp = conn.getresponse()
                    if 200 <= resp.status < 300:
                        return conn, resp
                    raw = resp.read()
                except socket.timeout:
                    raise APITimeoutError(
                        "no answer from %s within %s s" % (self.base_url, wait), code=TIMEOUT
                    ) from None
                except (OSError, http.client.HTTPException) as exc:
                    what = "the connection to %s broke" if connected else "cannot reach %s"
                    raise APIConnectionError(
                        "%s: %s" % (what % self.base_url, exc or type(exc).__name__),
                        code=CONNECTION_ERROR,
                    ) from exc
                error = error_from_response(resp.status, raw, resp.headers)
            except APIConnectionError as failure:  # APITimeoutError too
                conn.close()
                # A request that was never sent is safe to send again; one that was may have been
                # acted on (a chat turn stored twice), so only idempotent methods are resent.
                never_sent = not connected and not isinstance(failure, APITimeoutError)
                if attempt >= retries or not (idempotent or never_sent):
                    raise
                self.sleep(backoff_delay(attempt))
                attempt += 1
                continue
            conn.close()
            if attempt >= retries or not retriable_status(method, error.status):
                raise error
            if error.retry_after is not None:
                if error.retry_after > MAX_RETRY_AFTER:
                    raise error
                delay = error.retry_after
            else:
                delay = backoff_delay(attempt)
            self.sleep(delay)
            attempt += 1

    def request(
        self,
        method: str,
        route: str,
        *,
        query: Query = None,
        body: Any = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """One API call: the parsed JSON answer (OpenClawObject), or None for a 204."""
        conn, resp = self.open(
            method, route, query=query, body=body, timeout=timeout, max_retries=max_retries
        )
        try:
            try:
                raw = resp.read()
            except socket.timeout:
                raise APITimeoutError(
                    "the answer from %s did not arrive within %s s"
                    % (self.base_url, self.timeout if timeout is None else timeout),
                    code=TIMEOUT,
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                raise APIConnectionError(
                    "the connection to %s broke: %s" % (self.base_url, exc), code=CONNECTION_ERROR
                ) from exc
        finally:
            conn.close()
        if resp.status == 204 or not raw.strip():
            return None
        try:
            result = loads(raw.decode("utf-8"))
        except ValueError:
            raise OpenClawError(
                "the server answered %d with a body that is not JSON" % resp.status,
                code=INVALID_RESPONSE,
                status=resp.status,
                request_id=_header(resp.headers, "X-Request-Id"),
            ) from None
        return result


def as_object(value: Any) -> OpenClawObject:
    return value if isinstance(value, OpenClawObject) else OpenClawObject(value or {})
