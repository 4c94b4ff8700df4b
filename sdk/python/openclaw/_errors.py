"""The one exception type of the SDK, and its few subclasses."""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = [
    "OpenClawError",
    "APIConnectionError",
    "APITimeoutError",
    "WebhookVerificationError",
    "CONNECTION_ERROR",
    "TIMEOUT",
    "INVALID_RESPONSE",
    "HTTP_ERROR",
]

# The SDK's own codes, where the API's (SESSION_NOT_FOUND, RATE_LIMIT, …) is missing; the same as
# the JavaScript SDK's.

#: No answer: the server could not be reached, or the connection broke (also: a stream that ended
#: before ``[DONE]``) — ``status`` is 0.
CONNECTION_ERROR = "CONNECTION_ERROR"
#: No answer within the timeout (for a stream: no data for that long) — ``status`` is 0.
TIMEOUT = "TIMEOUT"
#: A 2xx answer whose body is not the JSON expected — ``status`` is the answer's.
INVALID_RESPONSE = "INVALID_RESPONSE"
#: An error status without the API's error envelope (a proxy's HTML page, …) — ``status`` is the answer's.
HTTP_ERROR = "HTTP_ERROR"

# The HTTP status each of the server's error codes has (SPEC §3). An error that arrives inside a
# stream (``event: error``) comes with HTTP 200, so its ``status`` is taken from here.
CODE_STATUS: Dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "INVALID_JSON": 400,
    "UNAUTHORIZED": 401,
    "INVALID_API_KEY": 401,
    "INVALID_TOKEN": 401,
    "INVALID_CREDENTIALS": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "SESSION_NOT_FOUND": 404,
    "MESSAGE_NOT_FOUND": 404,
    "USER_NOT_FOUND": 404,
    "SKILL_NOT_FOUND": 404,
    "SKILL_RUN_NOT_FOUND": 404,
    "WEBHOOK_NOT_FOUND": 404,
    "DELIVERY_NOT_FOUND": 404,
    "API_KEY_NOT_FOUND": 404,
    "MODEL_NOT_FOUND": 404,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMIT": 429,
    "INTERNAL_ERROR": 500,
    "UPSTREAM_ERROR": 502,
    "SERVICE_UNAVAILABLE": 503,
    "UPSTREAM_TIMEOUT": 504,
}


class OpenClawError(Exception):
    """Every failure the SDK reports.

    Attributes:
        code: the server's stable error code (``SESSION_NOT_FOUND``, ``VALIDATION_ERROR``, …), or
            one of the SDK's own: ``CONNECTION_ERROR`` and ``TIMEOUT`` (no answer, ``status`` 0),
            ``INVALID_RESPONSE`` (a 2xx answer that is not the JSON expected), ``HTTP_ERROR`` (an
            error answer that is not the server's JSON envelope: a proxy's HTML page, say).
        message: the human-readable message.
        status: the HTTP status (404, 429, …); 0 when no HTTP answer was received.
        details: the envelope's ``details`` (``{"fields": [{"field", "message"}]}`` for a
            ``VALIDATION_ERROR``); ``{}`` when there are none.
        request_id: the ``X-Request-Id`` of the answer, when there was one.
        retry_after: seconds the server asked to wait (``Retry-After``), when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "HTTP_ERROR",
        status: int = 0,
        details: Optional[Dict[str, Any]] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details: Dict[str, Any] = details if details is not None else {}
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = " (HTTP %d)" % self.status if self.status else ""
        rid = " [request %s]" % self.request_id if self.request_id else ""
        return "%s%s: %s%s" % (self.code, where, self.message, rid)

    def __repr__(self) -> str:
        return "%s(code=%r, status=%r, message=%r)" % (
            type(self).__name__,
            self.code,
            self.status,
            self.message,
        )


class APIConnectionError(OpenClawError):
    """No HTTP answer: the connection was refused, reset or broke, or a stream ended before
    ``[DONE]`` (``code`` ``CONNECTION_ERROR``, ``status`` 0)."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout (``code`` ``TIMEOUT``, ``status`` 0)."""


class WebhookVerificationError(OpenClawError):
    """``verify_webhook`` refused a delivery (``status`` 0). ``code`` says why:
    ``MISSING_HEADERS``, ``INVALID_TIMESTAMP``, ``TIMESTAMP_OUT_OF_TOLERANCE``,
    ``INVALID_SECRET``, ``INVALID_SIGNATURE`` or ``INVALID_PAYLOAD``. Answer such a request
    with a 400 and do not act on it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, status=0)
