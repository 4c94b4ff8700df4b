"""OpenClaw — the Python SDK of the OpenClaw API server (standard library only).

    from openclaw import OpenClaw
    client = OpenClaw(api_key='your-api-key')
    response = client.chat(message='你好')
"""

from ._client import DEFAULT_BASE_URL, OpenClaw
from ._errors import (
    CONNECTION_ERROR,
    HTTP_ERROR,
    INVALID_RESPONSE,
    TIMEOUT,
    APIConnectionError,
    APITimeoutError,
    OpenClawError,
    WebhookVerificationError,
)
from ._streaming import ChatStream
from ._types import OpenClawObject
from ._version import __version__
from ._webhooks import sign_webhook, verify_webhook

__all__ = [
    "OpenClaw",
    "DEFAULT_BASE_URL",
    "ChatStream",
    "OpenClawObject",
    "OpenClawError",
    "APIConnectionError",
    "APITimeoutError",
    "WebhookVerificationError",
    "CONNECTION_ERROR",
    "TIMEOUT",
    "INVALID_RESPONSE",
    "HTTP_ERROR",
    "verify_webhook",
    "sign_webhook",
    "__version__",
]
