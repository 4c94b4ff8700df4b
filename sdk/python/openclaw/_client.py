"""The OpenClaw client."""

from __future__ import annotations

import os
from typing import Any, Optional

from ._http import Transport, as_object
from ._resources import (
    ApiKeys,
    Auth,
    Config,
    Messages,
    Models,
    Sessions,
    Skills,
    Usage,
    Users,
    Webhooks,
)
from ._streaming import ChatStream
from ._types import OpenClawObject
from ._version import __version__

__all__ = ["OpenClaw", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "http://localhost:3000/api/v1"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2

_UNSET: Any = object()


class OpenClaw(object):
    """A client of an OpenClaw server.

    Args:
        api_key: an API key (``oc_…``) or a JWT from ``auth.login``; default the environment
            variable ``OPENCLAW_API_KEY``. Without one, only public routes (``auth.login``) work.
        base_url: the API's base URL, default ``OPENCLAW_BASE_URL`` or
            ``http://localhost:3000/api/v1``.
        timeout: seconds to wait for the connection and for each read of the answer (for a stream:
            for each chunk), default 60. Every method takes ``timeout=`` to override it once.
        max_retries: how many times a call is retried after a 429, a 5xx or a connection error
            (default 2), waiting ``Retry-After`` when the server sends one, else an exponential
            backoff with jitter. Timeouts are not retried.

    The client holds no connection between calls and is safe to share between threads.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("OPENCLAW_API_KEY") or None
        if base_url is None:
            base_url = os.environ.get("OPENCLAW_BASE_URL") or DEFAULT_BASE_URL
        self._transport = Transport(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            user_agent="openclaw-python/%s" % __version__,
        )
        t = self._transport
        self.sessions = Sessions(t)
        self.messages = Messages(t)
        self.skills = Skills(t)
        self.config = Config(t)
        self.users = Users(t)
        self.webhooks = Webhooks(t)
        self.api_keys = ApiKeys(t)
        self.auth = Auth(t)
        self.models = Models(t)
        self.usage = Usage(t)

    @property
    def api_key(self) -> Optional[str]:
        return self._transport.api_key

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def timeout(self) -> float:
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    def with_options(
        self,
        *,
        api_key: Optional[str] = _UNSET,
        base_url: Optional[str] = _UNSET,
        timeout: float = _UNSET,
        max_retries: int = _UNSET,
    ) -> "OpenClaw":
        """A new client with some settings changed, e.g. ``client.with_options(api_key=jwt)``."""
        return OpenClaw(
            api_key=self.api_key if api_key is _UNSET else api_key,
            base_url=self.base_url if base_url is _UNSET else base_url,
            timeout=self.timeout if timeout is _UNSET else timeout,
            max_retries=self.max_retries if max_retries is _UNSET else max_retries,
        )

    def chat(
        self,
        message: str,
        *,
        session_id: Optional[str] = None,
        model: Optional[str] = None,
        temperature: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """One chat turn. Returns ``{"response", "session_id", "message_id", "model",
        "tokens": {"input", "output"}}``. Without ``session_id`` a new session is created;
        the model is ``model``, else the session's, else the server's default."""
        body = _chat_body(message, session_id, model, temperature)
        return as_object(self._transport.request("POST", "/chat", body=body, timeout=timeout))

    def chat_stream(
        self,
        message: str,
        *,
        session_id: Optional[str] = None,
        model: Optional[str] = None,
        temperature: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> ChatStream:
        """A chat turn streamed: an iterator of ``{"text"}`` chunks whose ``usage``
        (``{"session_id", "message_id", "tokens"}``) is set once it has ended. See ``ChatStream``.

        The request is sent now: an error before the reply starts is raised here. A 429 or 5xx
        before the stream opens is retried like any call; nothing is retried once it is open."""
        body = _chat_body(message, session_id, model, temperature)
        conn, resp = self._transport.open(
            "POST", "/chat/stream", body=body, timeout=timeout, accept="text/event-stream"
        )
        return ChatStream(conn, resp, self.timeout if timeout is None else timeout)

    def __repr__(self) -> str:
        return "OpenClaw(base_url=%r)" % (self.base_url,)


def _chat_body(
    message: str,
    session_id: Optional[str],
    model: Optional[str],
    temperature: Optional[float],
) -> dict:
    body: dict = {"message": message}
    if session_id is not None:
        body["session_id"] = session_id
    if model is not None:
        body["model"] = model
    if temperature is not None:
        body["temperature"] = temperature
    return body
