"""``POST /chat/stream``: Server-Sent Events parsed by hand, exposed as an iterator of chunks."""

from __future__ import annotations

import http.client
import socket
from collections import deque
from typing import Any, Callable, Deque, Iterator, List, Optional

from ._errors import (
    CONNECTION_ERROR,
    INVALID_RESPONSE,
    TIMEOUT,
    APIConnectionError,
    APITimeoutError,
    OpenClawError,
)
from ._http import error_from_envelope
from ._types import OpenClawObject, loads

__all__ = ["ChatStream", "SseEvent", "SseDecoder", "iter_sse"]


class SseEvent(object):
    """One dispatched Server-Sent Event: its name (``message`` unless an ``event:`` field said
    otherwise) and its data lines joined by ``\\n``."""

    __slots__ = ("event", "data", "id")

    def __init__(self, event: str, data: str, id: Optional[str]) -> None:
        self.event = event
        self.data = data
        self.id = id

    def __repr__(self) -> str:
        return "SseEvent(event=%r, data=%r)" % (self.event, self.data)


def _split(raw: bytes) -> List[str]:
    """The lines in what one ``readline()`` returned, whatever their ending (``\\n``, ``\\r\\n``, ``\\r``)."""
    text = raw.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    return text.split("\r")


class SseDecoder(object):
    """Turns the lines of an event stream into events, per the WHATWG rules: ``field: value``
    lines (one leading space of the value dropped), ``:`` comments ignored, several ``data:``
    lines joined by ``\\n``, an event dispatched at each blank line; ``retry`` and unknown fields
    ignored. An unterminated last event is never dispatched."""

    def __init__(self) -> None:
        self._event = ""
        self._data: List[str] = []
        self._has_data = False
        self.last_id: Optional[str] = None

    def feed(self, line: str) -> Optional[SseEvent]:
        if line == "":
            event = None
            if self._has_data:
                event = SseEvent(self._event or "message", "\n".join(self._data), self.last_id)
            self._event, self._data, self._has_data = "", [], False
            return event
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._has_data = True
        elif field == "event":
            self._event = value
        elif field == "id" and "\x00" not in value:
            self.last_id = value
        return None


def iter_sse(readline: Callable[[], bytes]) -> Iterator[SseEvent]:
    """The events of a stream read with ``readline`` (returning ``b""`` at its end)."""
    decoder = SseDecoder()
    while True:
        raw = readline()
        if not raw:
            return
        for line in _split(raw):
            event = decoder.feed(line)
            if event is not None:
                yield event


class ChatStream(object):
    """A streamed chat reply. Iterate over it for the chunks (``OpenClawObject`` with ``text``)::

        with client.chat_stream(message="Hello") as stream:
            for chunk in stream:
                print(chunk.text, end="", flush=True)
        print(stream.usage)  # {"session_id", "message_id", "tokens": {"input", "output"}}

    The request is sent when ``chat_stream()`` is called, so an error before the reply starts
    (401, 404 SESSION_NOT_FOUND, 429, …) is raised right there. An ``event: error`` in the middle
    of the reply is raised as ``OpenClawError`` by the iteration (the partial text stays in
    ``response``); a connection that ends before the stream's end is a ``CONNECTION_ERROR`` (never a
    silent, complete-looking end).

    Attributes:
        session_id: the session the turn is stored in (the ``X-Session-Id`` header), known at once.
        request_id: the ``X-Request-Id`` of the answer.
        response: the text received so far (the whole reply once the stream has ended).
        usage: ``{"session_id", "message_id", "tokens"}`` once the stream has ended well, else None.
        error: the ``OpenClawError`` the stream ended with, if any.
        done: True once the stream has ended (``[DONE]``, an error, or ``close()``).

    ``close()`` (or leaving the ``with`` block, or breaking out of the loop and dropping the
    object) closes the HTTP connection: the server stops the reply and stores what was sent as an
    incomplete message.
    """

    def __init__(
        self,
        conn: http.client.HTTPConnection,
        resp: http.client.HTTPResponse,
        timeout: Optional[float],
    ) -> None:
        self._conn = conn
        self._resp = resp
        self._timeout = timeout
        self.session_id: Optional[str] = resp.headers.get("X-Session-Id")
        self.request_id: Optional[str] = resp.headers.get("X-Request-Id")
        self.usage: Optional[OpenClawObject] = None
        self.error: Optional[OpenClawError] = None
        self.done = False
        self._chunks: List[str] = []
        self._decoder = SseDecoder()
        self._lines: Deque[str] = deque()

    @property
    def response(self) -> str:
        return "".join(self._chunks)

    # -- iteration -------------------------------------------------------------------------
    # The stream is its own iterator (no generator): nothing refers back to it, so a loop left with
    # `break` drops the last reference and __del__ closes the connection at once.
    def __iter__(self) -> "ChatStream":
        return self

    def __next__(self) -> OpenClawObject:
        while not self.done:
            event = self._next_event()
            if event is None:
                if self.done:  # closed meanwhile
                    break
                # The connection ended without `[DONE]`: never a silent, complete-looking end.
                self.error = APIConnectionError(
                    "the stream ended before it was complete",
                    code=CONNECTION_ERROR,
                    request_id=self.request_id,
                )
                self._finish()
                raise self.error
            if event.event == "message":
                if event.data == "[DONE]":
                    self._finish()
                    break
                payload = self._parse(event.data)
                if isinstance(payload, dict) and isinstance(payload.get("text"), str):
                    self._chunks.append(payload["text"])
                    return payload
            elif event.event == "usage":
                payload = self._parse(event.data)
                self.usage = payload if isinstance(payload, OpenClawObject) else None
            elif event.event == "error":
                self.error = error_from_envelope(self._parse(event.data), self.request_id)
                self._finish()
                raise self.error
            # Other event names are for later versions of the server: skipped.
        raise StopIteration

    def _next_event(self) -> Optional[SseEvent]:
        while True:
            while self._lines:
                event = self._decoder.feed(self._lines.popleft())
                if event is not None:
                    return event
            raw = self._readline()
            if not raw:
                return None
            self._lines.extend(_split(raw))

    def _readline(self) -> bytes:
        if self.done:
            return b""
        try:
            return self._resp.readline()
        except socket.timeout:
            self.error = APITimeoutError(
                "no data from the stream within %s s" % self._timeout,
                code=TIMEOUT,
                request_id=self.request_id,
            )
            self._finish()
            raise self.error from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if self.done:  # closed by close() meanwhile
                return b""
            self.error = APIConnectionError(
                "the stream broke: %s" % (exc or type(exc).__name__),
                code=CONNECTION_ERROR,
                request_id=self.request_id,
            )
            self._finish()
            raise self.error from exc

    def _parse(self, data: str) -> Any:
        try:
            return loads(data)
        except ValueError:
            self._finish()
            raise OpenClawError(
                "the stream sent data that is not JSON: %r" % data[:200],
                code=INVALID_RESPONSE,
                status=200,
                request_id=self.request_id,
            ) from None

    # -- ending ----------------------------------------------------------------------------
    def until_done(self) -> OpenClawObject:
        """Reads the rest of the stream and returns what ``chat()`` would have:
        ``{"response", "session_id", "message_id", "tokens"}``."""
        for _ in self:
            pass
        usage = self.usage or OpenClawObject()
        result = OpenClawObject(response=self.response, session_id=self.session_id)
        result.update(usage)
        return result

    def _finish(self) -> None:
        self.done = True
        self._close_connection()

    def close(self) -> None:
        """Stops reading and closes the connection (the server then stops the reply)."""
        self.done = True
        self._close_connection()

    def _close_connection(self) -> None:
        sock = getattr(self._conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self._resp.close()
        finally:
            self._conn.close()

    def __enter__(self) -> "ChatStream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self.done:
                self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return "ChatStream(session_id=%r, done=%r)" % (self.session_id, self.done)

