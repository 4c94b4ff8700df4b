"""Webhooks against the real server, and verify_webhook on the deliveries it really sends to a
receiver running here (the server must allow loopback URLs: WEBHOOK_ALLOW_PRIVATE_URLS=true)."""

from __future__ import annotations

import re
import time
import unittest

from _support import TestUser, WebhookReceiver, admin, eventually, new_user, uid

from openclaw import OpenClawError, WebhookVerificationError, verify_webhook

SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{20,}$")
EVENT_ID = re.compile(r"^evt_[A-Za-z0-9]+$")


class WebhooksTest(unittest.TestCase):
    alice: TestUser
    bob: TestUser
    receiver: WebhookReceiver

    @classmethod
    def setUpClass(cls) -> None:
        cls.alice = new_user()
        cls.bob = new_user()
        cls.receiver = WebhookReceiver()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.receiver.close()

    def assertApiError(self, code: str, status: int, call, *args, **kwargs) -> OpenClawError:  # type: ignore[no-untyped-def]
        with self.assertRaises(OpenClawError) as ctx:
            call(*args, **kwargs)
        self.assertEqual((ctx.exception.code, ctx.exception.status), (code, status), str(ctx.exception))
        return ctx.exception

    def test_create_list_get_update_rotate_delete(self) -> None:
        hooks = self.alice.client.webhooks
        hook = hooks.create(url=self.receiver.url, events=["session.created"], description="py")
        self.assertRegex(hook.secret, SECRET)
        self.assertEqual((hook.url, hook.events, hook.active, hook.description), (self.receiver.url, ["session.created"], True, "py"))
        got = hooks.get(hook.id)
        self.assertNotIn("secret", got)
        self.assertEqual(got.url, hook.url)
        page = hooks.list(limit=10)
        self.assertEqual((page.limit, page.offset), (10, 0))
        self.assertIn(hook.id, [h.id for h in page.data])
        self.assertTrue(all("secret" not in h for h in page.data))

        updated = hooks.update(hook.id, events=["message.created", "session.deleted"], active=False, description="changed")
        self.assertEqual(sorted(updated.events), ["message.created", "session.deleted"])
        self.assertEqual((updated.active, updated.description), (False, "changed"))
        self.assertNotIn("secret", updated)

        rotated = hooks.rotate_secret(hook.id)
        self.assertRegex(rotated.secret, SECRET)
        self.assertNotEqual(rotated.secret, hook.secret)

        self.assertIsNone(hooks.delete(hook.id))
        self.assertApiError("WEBHOOK_NOT_FOUND", 404, hooks.get, hook.id)
        self.assertApiError("WEBHOOK_NOT_FOUND", 404, hooks.delete, hook.id)

    def test_someone_elses_webhook_is_404(self) -> None:
        hook = self.alice.client.webhooks.create(url=self.receiver.url, events=["session.created"])
        other = self.bob.client.webhooks
        for call, args in (
            (other.get, (hook.id,)),
            (other.update, (hook.id,)),
            (other.delete, (hook.id,)),
            (other.rotate_secret, (hook.id,)),
            (other.test, (hook.id,)),
            (other.deliveries, (hook.id,)),
            (other.get, ("not-a-uuid",)),
        ):
            self.assertApiError("WEBHOOK_NOT_FOUND", 404, call, *args)
        self.assertNotIn(hook.id, [h.id for h in other.list().data])
        self.alice.client.webhooks.delete(hook.id)

    def test_invalid_events(self) -> None:
        err = self.assertApiError(
            "VALIDATION_ERROR", 400, self.alice.client.webhooks.create, url=self.receiver.url, events=["nope"]
        )
        self.assertIn("events", [f["field"] for f in err.details["fields"]][0])
        self.assertApiError(
            "FORBIDDEN", 403, self.alice.client.webhooks.create, url=self.receiver.url, events=["user.created"]
        )
        self.assertApiError(
            "VALIDATION_ERROR", 400, self.alice.client.webhooks.create, url="ftp://example.test/x", events=["*"]
        )

    def test_test_delivery_verifies(self) -> None:
        hooks = self.alice.client.webhooks
        hook = hooks.create(url=self.receiver.url, events=["session.deleted"])
        before = len(self.receiver.deliveries)
        result = hooks.test(hook.id)
        self.assertTrue(result.success, result)
        self.assertEqual(result.status_code, 200)
        self.assertIsNone(result.error)
        self.assertGreaterEqual(result.duration_ms, 0)

        received = self.receiver.wait_for(before + 1)[before]
        event = verify_webhook(received.body, received.headers, hook.secret)
        self.assertEqual(event.type, "webhook.test")
        self.assertRegex(event.id, EVENT_ID)
        self.assertEqual(event.id, received.headers.get("webhook-id") or received.headers.get("Webhook-Id"))
        self.assertEqual(event.data.webhook_id, hook.id)
        # The headers as a plain str payload, upper-case names.
        upper = {k.upper(): v for k, v in received.headers.items()}
        self.assertEqual(verify_webhook(received.body.decode("utf-8"), upper, hook.secret), event)

        delivery = hooks.get_delivery(hook.id, result.delivery_id)
        self.assertEqual((delivery.event_type, delivery.status, delivery.event_id), ("webhook.test", "succeeded", event.id))
        self.assertEqual(delivery.attempts[0].status_code, 200)
        self.assertEqual(delivery.attempts[0].response_body, "ok")
        hooks.delete(hook.id)

    def test_forged_deliveries_are_refused(self) -> None:
        hooks = self.alice.client.webhooks
        hook = hooks.create(url=self.receiver.url, events=["session.deleted"])
        before = len(self.receiver.deliveries)
        hooks.test(hook.id)
        received = self.receiver.wait_for(before + 1)[before]
        headers = received.headers
        self.assertEqual(verify_webhook(received.body, headers, hook.secret).type, "webhook.test")

        tampered = received.body.replace(b"webhook.test", b"webhook.tost")
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(tampered, headers, hook.secret)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(received.body + b" ", headers, hook.secret)

        ts = int(headers.get("webhook-timestamp") or headers.get("Webhook-Timestamp"))
        with self.assertRaises(WebhookVerificationError) as ctx:
            verify_webhook(received.body, headers, hook.secret, now=ts + 301)
        self.assertIn("too old", ctx.exception.message)
        self.assertEqual(verify_webhook(received.body, headers, hook.secret, now=ts + 299).type, "webhook.test")

        other = self.bob.client.webhooks.create(url=self.receiver.url, events=["session.deleted"])
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(received.body, headers, other.secret)
        rotated = hooks.rotate_secret(hook.id)
        with self.assertRaises(WebhookVerificationError):
            verify_webhook(received.body, headers, rotated.secret)
        hooks.delete(hook.id)
        self.bob.client.webhooks.delete(other.id)

    def test_real_events_deliveries_and_retry(self) -> None:
        user = new_user()
        receiver = WebhookReceiver()
        try:
            hooks = user.client.webhooks
            hook = hooks.create(url=receiver.url, events=["session.created", "message.created"])
            session = user.client.sessions.create(name="watched " + uid())
            turn = user.client.chat(message="notify me", session_id=session.id, model="echo")

            received = receiver.wait_for(3)
            events = [verify_webhook(r.body, r.headers, hook.secret) for r in received]
            types = sorted(e.type for e in events)
            self.assertEqual(types, ["message.created", "message.created", "session.created"])
            created = [e for e in events if e.type == "session.created"][0]
            self.assertEqual(created.data.id, session.id)
            messages = [e for e in events if e.type == "message.created"]
            self.assertIn(turn.message_id, [e.data.id for e in messages])

            page = eventually(
                lambda: hooks.deliveries(hook.id),
                lambda p: p.total == 3 and all(d.status == "succeeded" for d in p.data),
            )
            self.assertEqual(page.total, 3)
            self.assertTrue(all(d.status == "succeeded" for d in page.data), page)
            self.assertEqual(len(hooks.deliveries(hook.id, limit=1, order="asc").data), 1)
            delivery = [d for d in page.data if d.event_type == "session.created"][0]
            self.assertEqual(hooks.get_delivery(hook.id, delivery.id).event_id, created.id)

            count = len(receiver.deliveries)
            retried = hooks.retry_delivery(hook.id, delivery.id)
            self.assertEqual(retried.id, delivery.id)
            again = receiver.wait_for(count + 1)[count]
            event = verify_webhook(again.body, again.headers, hook.secret)
            self.assertEqual(event.id, created.id)  # at least once: the same event id
            done = eventually(
                lambda: hooks.get_delivery(hook.id, delivery.id),
                lambda d: len(d.attempts) >= 2 and d.status == "succeeded",
            )
            self.assertEqual(len(done.attempts), 2)

            self.assertApiError("DELIVERY_NOT_FOUND", 404, hooks.get_delivery, hook.id, "not-a-uuid")
            self.assertApiError("DELIVERY_NOT_FOUND", 404, hooks.retry_delivery, hook.id, "00000000-0000-4000-8000-000000000000")
            self.assertApiError("WEBHOOK_NOT_FOUND", 404, self.bob.client.webhooks.get_delivery, hook.id, delivery.id)
        finally:
            receiver.close()

    def test_admin_events(self) -> None:
        a = admin()
        receiver = WebhookReceiver()
        try:
            hook = a.webhooks.create(url=receiver.url, events=["user.created"])
            created = new_user()
            deadline = time.time() + 15
            event = None
            while time.time() < deadline and event is None:
                for r in receiver.of_type("user.created"):
                    candidate = verify_webhook(r.body, r.headers, hook.secret)
                    if candidate.data.id == created.id:
                        event = candidate
                time.sleep(0.1)
            self.assertIsNotNone(event, "no user.created delivery for the new user")
            a.webhooks.delete(hook.id)
        finally:
            receiver.close()


if __name__ == "__main__":
    unittest.main()
