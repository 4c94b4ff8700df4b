"""chat and chat_stream against the real server, with the offline `echo` model (and a slow and a
broken fake provider for early closes and mid-stream errors), plus the seed's snippet."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import unittest
from unittest import mock

from _support import SDK_ROOT, TestUser, base_url, env, eventually, new_user, uid

from openclaw import OpenClaw, OpenClawError

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: The Python snippet of the original API reference, exactly as written there.
SEED_SNIPPET = """from openclaw import OpenClaw
client = OpenClaw(api_key='your-api-key')
response = client.chat(message='你好')
"""


class ChatTest(unittest.TestCase):
    alice: TestUser
    bob: TestUser

    @classmethod
    def setUpClass(cls) -> None:
        cls.alice = new_user()
        cls.bob = new_user()

    def test_chat_with_echo(self) -> None:
        message = "Hello from the Python SDK " + uid()
        result = self.alice.client.chat(message=message, model="echo")
        self.assertEqual(result.response, message)
        self.assertEqual(result["response"], message)
        self.assertRegex(result.session_id, UUID)
        self.assertRegex(result.message_id, UUID)
        self.assertEqual(result.model, "echo")
        self.assertIsInstance(result.tokens.input, int)
        self.assertGreater(result.tokens.input, 0)
        self.assertGreater(result.tokens.output, 0)
        self.assertEqual(set(result.tokens), {"input", "output"})

    def test_chat_uses_the_default_model(self) -> None:
        result = self.alice.client.chat("no model named")
        self.assertEqual(result.response, "no model named")
        self.assertEqual(result.model, "echo")

    def test_chat_continues_a_session(self) -> None:
        client = self.alice.client
        first = client.chat(message="first turn", model="echo")
        second = client.chat(message="second turn", session_id=first.session_id, model="echo")
        self.assertEqual(second.session_id, first.session_id)
        messages = client.sessions.messages(first.session_id, order="asc")
        self.assertEqual(messages.total, 4)
        self.assertEqual(
            [(m.role, m.content, m.status) for m in messages.data],
            [
                ("user", "first turn", "complete"),
                ("assistant", "first turn", "complete"),
                ("user", "second turn", "complete"),
                ("assistant", "second turn", "complete"),
            ],
        )
        self.assertEqual(messages.data[3].id, second.message_id)
        session = client.sessions.get(first.session_id)
        self.assertEqual(session.name, "first turn")

    def test_chat_in_an_unknown_foreign_or_malformed_session_is_404(self) -> None:
        owned = self.alice.client.chat(message="mine", model="echo")
        for session_id in (owned.session_id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"):
            with self.assertRaises(OpenClawError) as ctx:
                self.bob.client.chat(message="hi", session_id=session_id, model="echo")
            self.assertEqual(ctx.exception.code, "SESSION_NOT_FOUND")
            self.assertEqual(ctx.exception.status, 404)

    def test_unknown_model_is_404(self) -> None:
        with self.assertRaises(OpenClawError) as ctx:
            self.alice.client.chat(message="hi", model="no-such-model")
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("MODEL_NOT_FOUND", 404))

    def test_validation_error_lists_the_fields(self) -> None:
        with self.assertRaises(OpenClawError) as ctx:
            self.alice.client.chat(message="", model="echo")
        err = ctx.exception
        self.assertEqual((err.code, err.status), ("VALIDATION_ERROR", 400))
        self.assertIn("message", [f["field"] for f in err.details["fields"]])
        self.assertTrue(err.request_id)
        with self.assertRaises(OpenClawError) as ctx:
            self.alice.client.chat(message="hi", temperature=3)
        self.assertEqual(ctx.exception.code, "VALIDATION_ERROR")
        self.assertEqual([f["field"] for f in ctx.exception.details["fields"]], ["temperature"])

    def test_bad_credentials(self) -> None:
        bad_key = OpenClaw(api_key="oc_" + "x" * 40, base_url=base_url())
        with self.assertRaises(OpenClawError) as ctx:
            bad_key.chat(message="hi")
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("INVALID_API_KEY", 401))
        self.assertEqual(ctx.exception.details, {})
        bad_jwt = OpenClaw(api_key="eyJhbGciOiJIUzI1NiJ9.e30.invalid", base_url=base_url())
        with self.assertRaises(OpenClawError) as ctx:
            bad_jwt.chat(message="hi")
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("INVALID_TOKEN", 401))
        with mock.patch.dict(os.environ):
            os.environ.pop("OPENCLAW_API_KEY", None)
            anonymous = OpenClaw(base_url=base_url())
        with self.assertRaises(OpenClawError) as ctx:
            anonymous.chat(message="hi")
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("UNAUTHORIZED", 401))

    def test_seed_snippet_runs_as_written(self) -> None:
        key = self.alice.key.key
        program = SEED_SNIPPET.replace("your-api-key", key) + textwrap.dedent(
            """
            import json
            print(json.dumps(response, ensure_ascii=False))
            """
        )
        child_env = dict(os.environ)
        child_env.pop("OPENCLAW_API_KEY", None)
        child_env["OPENCLAW_BASE_URL"] = base_url()
        child_env["PYTHONPATH"] = SDK_ROOT
        child_env["PYTHONIOENCODING"] = "utf-8"
        done = subprocess.run(
            [sys.executable, "-c", program],
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        self.assertEqual(done.returncode, 0, done.stderr.decode("utf-8", "replace"))
        response = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
        self.assertEqual(response["response"], "你好")
        self.assertRegex(response["session_id"], UUID)
        self.assertGreater(response["tokens"]["input"], 0)
        self.assertGreater(response["tokens"]["output"], 0)
        self.assertEqual(SEED_SNIPPET.count("\n"), 3)


class ChatStreamTest(unittest.TestCase):
    alice: TestUser
    bob: TestUser

    @classmethod
    def setUpClass(cls) -> None:
        cls.alice = new_user()
        cls.bob = new_user()
        cls.slow_model = env("OPENCLAW_TEST_SLOW_MODEL")
        cls.broken_model = env("OPENCLAW_TEST_BROKEN_MODEL")

    def test_stream_with_echo(self) -> None:
        message = "one two three four five " + uid()
        stream = self.alice.client.chat_stream(message=message, model="echo")
        self.assertRegex(stream.session_id, UUID)
        chunks = [chunk for chunk in stream]
        self.assertGreater(len(chunks), 4)
        self.assertEqual("".join(c.text for c in chunks), message)
        self.assertEqual("".join(c["text"] for c in chunks), message)
        self.assertEqual(stream.response, message)
        usage = stream.usage
        self.assertIsNotNone(usage)
        self.assertEqual(usage.session_id, stream.session_id)
        self.assertRegex(usage.message_id, UUID)
        self.assertGreater(usage.tokens.input, 0)
        self.assertGreater(usage.tokens.output, 0)
        stored = self.alice.client.sessions.messages(usage.session_id, order="asc").data
        self.assertEqual([(m.role, m.content, m.status) for m in stored], [("user", message, "complete"), ("assistant", message, "complete")])
        self.assertEqual(stored[1].id, usage.message_id)

    def test_stream_chinese_with_context_manager_in_a_session(self) -> None:
        first = self.alice.client.chat(message="开始", model="echo")
        with self.alice.client.chat_stream(message="春眠不觉晓", session_id=first.session_id, model="echo") as stream:
            texts = [c.text for c in stream]
        self.assertEqual(texts, ["春", "眠", "不", "觉", "晓"])
        self.assertEqual(stream.usage.session_id, first.session_id)
        self.assertEqual(self.alice.client.sessions.messages(first.session_id).total, 4)

    def test_until_done(self) -> None:
        result = self.alice.client.chat_stream("collect it all", model="echo").until_done()
        self.assertEqual(result.response, "collect it all")
        self.assertRegex(result.session_id, UUID)
        self.assertRegex(result.message_id, UUID)
        self.assertGreater(result.tokens.output, 0)

    def test_errors_before_the_stream_are_raised_by_the_call(self) -> None:
        owned = self.alice.client.chat(message="mine", model="echo")
        with self.assertRaises(OpenClawError) as ctx:
            self.bob.client.chat_stream(message="hi", session_id=owned.session_id)
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("SESSION_NOT_FOUND", 404))
        with self.assertRaises(OpenClawError) as ctx:
            self.bob.client.chat_stream(message="")
        self.assertEqual(ctx.exception.code, "VALIDATION_ERROR")
        with self.assertRaises(OpenClawError) as ctx:
            OpenClaw(api_key="oc_" + "y" * 40, base_url=base_url()).chat_stream(message="hi")
        self.assertEqual(ctx.exception.code, "INVALID_API_KEY")

    def test_closing_early_stores_an_incomplete_reply(self) -> None:
        with self.alice.client.chat_stream(message="tell me a long story", model=self.slow_model) as stream:
            first = next(stream)
            second = next(stream)
            session_id = stream.session_id
        self.assertTrue(stream.done)
        self.assertIsNone(stream.usage)
        partial = first.text + second.text
        messages = eventually(
            lambda: self.alice.client.sessions.messages(session_id, order="asc").data,
            lambda data: len(data) == 2,
            timeout=10,
        )
        self.assertEqual([m.role for m in messages], ["user", "assistant"])
        assistant = messages[1]
        self.assertEqual(assistant.status, "incomplete")
        self.assertTrue(assistant.content.startswith(partial), (assistant.content, partial))
        self.assertLess(len(assistant.content.split()), 40)

    def test_error_mid_stream_raises(self) -> None:
        stream = self.alice.client.chat_stream(message="this will break", model=self.broken_model)
        received = []
        with self.assertRaises(OpenClawError) as ctx:
            for chunk in stream:
                received.append(chunk.text)
        err = ctx.exception
        self.assertEqual((err.code, err.status), ("UPSTREAM_ERROR", 502))
        self.assertEqual("".join(received), stream.response)
        self.assertTrue(stream.response)
        self.assertIsNone(stream.usage)
        self.assertIs(stream.error, err)
        messages = eventually(
            lambda: self.alice.client.sessions.messages(stream.session_id, order="asc").data,
            lambda data: len(data) == 2,
        )
        self.assertEqual(messages[1].status, "incomplete")
        self.assertEqual(messages[1].content, stream.response)


class ModelsTest(unittest.TestCase):
    def test_list(self) -> None:
        client = new_user().client
        models = client.models.list()
        ids = {m.id: m.provider for m in models.data}
        self.assertEqual(ids.get("echo"), "echo")
        self.assertIn(env("OPENCLAW_TEST_SLOW_MODEL"), ids)
        self.assertIn(env("OPENCLAW_TEST_BROKEN_MODEL"), ids)


if __name__ == "__main__":
    unittest.main()
