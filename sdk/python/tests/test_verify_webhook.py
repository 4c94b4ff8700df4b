"""verify_webhook on its own: the Standard Webhooks rules. (Real deliveries: test_webhooks.py.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import unittest
from email.message import Message

import _support

from openclaw import OpenClawError, WebhookVerificationError, sign_webhook, verify_webhook

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EVENT = {"id": "evt_abc", "type": "session.created", "created_at": "2030-01-01T00:00:00.000Z", "data": {"id": "s1", "name": "你好"}}
assert _support.SDK_ROOT  # importing _support puts the SDK on sys.path
BODY = json.dumps(EVENT, ensure_ascii=False).encode("utf-8")


def headers(body: bytes = BODY, ts: int = 0, msg_id: str = "evt_abc", secret: str = SECRET) -> dict:
    ts = ts or int(time.time())
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sign_webhook(secret, msg_id, ts, body)}


class VerifyWebhookTest(unittest.TestCase):
    def test_signature_is_the_standard_webhooks_one(self) -> None:
        key = base64.b64decode(SECRET[len("whsec_"):])
        expected = base64.b64encode(hmac.new(key, b"evt_abc.1700000000." + BODY, hashlib.sha256).digest()).decode()
        self.assertEqual(sign_webhook(SECRET, "evt_abc", 1700000000, BODY), "v1," + expected)

    def test_returns_the_event_for_bytes_and_str(self) -> None:
        h = headers()
        event = verify_webhook(BODY, h, SECRET)
        self.assertEqual(event, EVENT)
        self.assertEqual(event.data.name, "你好")
        self.assertEqual(verify_webhook(BODY.decode("utf-8"), h, SECRET), EVENT)
        self.assertEqual(verify_webhook(bytearray(BODY), h, SECRET), EVENT)

    def test_headers_are_case_insensitive_in_any_mapping(self) -> None:
        h = headers()
        upper = {k.upper(): v for k, v in h.items()}
        self.assertEqual(verify_webhook(BODY, upper, SECRET), EVENT)
        self.assertEqual(verify_webhook(BODY, list(h.items()), SECRET), EVENT)
        msg = Message()
        for k, v in h.items():
            msg["Webhook-" + k.split("-", 1)[1].capitalize()] = v
        self.assertEqual(verify_webhook(BODY, msg, SECRET), EVENT)

    def test_any_matching_v1_signature_passes(self) -> None:
        h = headers()
        good = h["webhook-signature"]
        h["webhook-signature"] = "v2,%s v1,AAAA %s" % (good.split(",")[1], good)
        self.assertEqual(verify_webhook(BODY, h, SECRET), EVENT)
        h["webhook-signature"] = "v2," + good.split(",")[1]
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, h, SECRET)

    def test_tampered_payload_raises(self) -> None:
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(BODY.replace(b"s1", b"s2"), headers(), SECRET)
        self.assertIsInstance(ctx.exception, OpenClawError)
        self.assertEqual(ctx.exception.code, "INVALID_SIGNATURE")
        self.assertEqual(ctx.exception.status, 0)

    def test_changed_id_or_timestamp_raises(self) -> None:
        h = headers()
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, dict(h, **{"webhook-id": "evt_other"}), SECRET)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, dict(h, **{"webhook-timestamp": str(int(h["webhook-timestamp"]) - 1)}), SECRET)

    def test_wrong_secret_raises(self) -> None:
        other = "whsec_" + base64.b64encode(b"another secret, another key!").decode()
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(BODY, headers(), other)

    def test_timestamp_tolerance(self) -> None:
        ts = int(time.time()) - 3600
        h = headers(ts=ts)
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(BODY, h, SECRET)
        self.assertIn("too old", ctx.exception.message)
        self.assertEqual(ctx.exception.code, "TIMESTAMP_OUT_OF_TOLERANCE")
        self.assertEqual(verify_webhook(BODY, h, SECRET, tolerance=4000), EVENT)
        self.assertEqual(verify_webhook(BODY, h, SECRET, now=ts + 299), EVENT)
        future = headers(ts=int(time.time()) + 600)
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(BODY, future, SECRET)
        self.assertIn("too new", ctx.exception.message)
        self.assertEqual(ctx.exception.code, "TIMESTAMP_OUT_OF_TOLERANCE")

    def test_missing_or_bad_headers_raise(self) -> None:
        h = headers()
        for name in h:
            partial = {k: v for k, v in h.items() if k != name}
            with self.assertRaises(WebhookVerificationError) as ctx:
                verify_webhook(BODY, partial, SECRET)
            self.assertEqual(ctx.exception.code, "MISSING_HEADERS")
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(BODY, dict(h, **{"webhook-timestamp": "yesterday"}), SECRET)
        self.assertEqual(ctx.exception.code, "INVALID_TIMESTAMP")

    def test_bad_secret(self) -> None:
        for secret in ("", "whsec_", "whsec_not base64!"):
            with self.assertRaises(WebhookVerificationError) as ctx:
                verify_webhook(BODY, headers(), secret)
            self.assertEqual(ctx.exception.code, "INVALID_SECRET")

    def test_signed_body_that_is_not_json(self) -> None:
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(b"not json", headers(body=b"not json"), SECRET)
        self.assertEqual(ctx.exception.code, "INVALID_PAYLOAD")


if __name__ == "__main__":
    unittest.main()
