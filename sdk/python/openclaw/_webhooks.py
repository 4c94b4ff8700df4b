"""Verifying webhook deliveries (Standard Webhooks signatures) with the standard library."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

from ._errors import WebhookVerificationError
from ._types import loads

__all__ = ["verify_webhook", "sign_webhook", "DEFAULT_TOLERANCE"]

#: How far (seconds) a delivery's ``webhook-timestamp`` may be from now, either way.
DEFAULT_TOLERANCE = 300

_PREFIX = "whsec_"
_DIGITS = re.compile(r"^[0-9]{1,15}$")

Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]


def _key(secret: str) -> bytes:
    """The HMAC key: the base64 part of ``whsec_<base64>`` decoded (as the standardwebhooks libraries do)."""
    raw = secret[len(_PREFIX) :] if isinstance(secret, str) and secret.startswith(_PREFIX) else secret
    key = b""
    if isinstance(raw, str):
        try:
            key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
    if not key:
        raise WebhookVerificationError("INVALID_SECRET", "the secret is not a whsec_… base64 secret")
    return key


def _normalise(headers: Headers) -> Dict[str, str]:
    items: Iterable[Tuple[str, Any]]
    if hasattr(headers, "items"):
        items = headers.items()  # type: ignore[union-attr]
    else:
        items = headers  # type: ignore[assignment]
    out: Dict[str, str] = {}
    for name, value in items:
        if isinstance(value, (list, tuple)):
            value = " ".join(str(v) for v in value)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value is not None:
            out[str(name).lower()] = str(value)
    return out


def _payload_bytes(payload: Union[bytes, bytearray, memoryview, str]) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise TypeError("payload must be the raw request body, as bytes or str")


def sign_webhook(
    secret: str,
    msg_id: str,
    timestamp: int,
    payload: Union[bytes, bytearray, memoryview, str],
) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for a delivery: HMAC-SHA256 over
    ``"<id>.<timestamp>.<body>"``. Useful for testing a receiver."""
    signed = ("%s.%d." % (msg_id, int(timestamp))).encode("utf-8") + _payload_bytes(payload)
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_webhook(
    payload: Union[bytes, bytearray, memoryview, str],
    headers: Headers,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: Optional[float] = None,
) -> Any:
    """Checks a webhook delivery and returns its event, ``{"id", "type", "created_at", "data"}``
    (an ``OpenClawObject``).

    Args:
        payload: the request body exactly as received (bytes, or str) — not re-serialised JSON.
        headers: the request headers, any mapping (dict, ``http.client.HTTPMessage``, a framework's
            headers object) or list of pairs; names are matched case-insensitively.
        secret: the webhook's ``whsec_…`` secret.
        tolerance: how many seconds the ``webhook-timestamp`` may differ from now (replays).
        now: the current Unix time, for tests; default ``time.time()``.

    Raises:
        WebhookVerificationError: with ``code`` ``MISSING_HEADERS``, ``INVALID_TIMESTAMP``,
            ``TIMESTAMP_OUT_OF_TOLERANCE``, ``INVALID_SECRET`` (the secret is not ``whsec_`` +
            base64: a configuration error), ``INVALID_SIGNATURE`` or ``INVALID_PAYLOAD`` (the
            signed body is not JSON) — the same codes as the JavaScript SDK's ``verifyWebhook``.
    """
    h = _normalise(headers)
    msg_id = h.get("webhook-id")
    timestamp = h.get("webhook-timestamp")
    signatures = h.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError(
            "MISSING_HEADERS",
            "the webhook-id, webhook-timestamp and webhook-signature headers are required",
        )
    if not _DIGITS.match(timestamp.strip()):
        raise WebhookVerificationError(
            "INVALID_TIMESTAMP", "webhook-timestamp is not a number of seconds"
        )
    ts = int(timestamp.strip())
    current = time.time() if now is None else now
    if current - ts > tolerance:
        raise WebhookVerificationError(
            "TIMESTAMP_OUT_OF_TOLERANCE",
            "webhook-timestamp is too old: more than %s s ago (a replay?)" % tolerance,
        )
    if ts - current > tolerance:
        raise WebhookVerificationError(
            "TIMESTAMP_OUT_OF_TOLERANCE",
            "webhook-timestamp is too new: more than %s s ahead (clock skew?)" % tolerance,
        )
    _key(secret)

    body = _payload_bytes(payload)
    expected = sign_webhook(secret, msg_id, ts, body).split(",", 1)[1].encode("ascii")
    matched = False
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1" or not value:
            continue
        # compare_digest on bytes: constant time whatever the characters sent.
        if hmac.compare_digest(value.encode("utf-8", errors="replace"), expected):
            matched = True
    if not matched:
        raise WebhookVerificationError("INVALID_SIGNATURE", "no signature matches the payload")

    if not body.strip():
        return None
    try:
        return loads(body.decode("utf-8"))
    except ValueError:
        raise WebhookVerificationError("INVALID_PAYLOAD", "the signed payload is not JSON") from None
