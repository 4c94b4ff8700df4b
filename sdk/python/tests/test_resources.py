"""Every resource method against the real server: auth, users, API keys, sessions, messages,
config and skills — including the 404s for someone else's objects."""

from __future__ import annotations

import re
import time
import unittest
from datetime import date, datetime, timedelta, timezone

from _support import TestUser, admin, base_url, env, eventually, new_user, uid

from openclaw import OpenClaw, OpenClawError

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
MISSING = "00000000-0000-4000-8000-000000000000"


class ErrorAssertions(unittest.TestCase):
    def assertApiError(self, code: str, status: int, call, *args, **kwargs) -> OpenClawError:  # type: ignore[no-untyped-def]
        with self.assertRaises(OpenClawError) as ctx:
            call(*args, **kwargs)
        self.assertEqual((ctx.exception.code, ctx.exception.status), (code, status), str(ctx.exception))
        return ctx.exception

    def assertPage(self, page, limit: int = 50, offset: int = 0) -> None:  # type: ignore[no-untyped-def]
        self.assertEqual(set(page), {"data", "total", "limit", "offset"})
        self.assertEqual((page.limit, page.offset), (limit, offset))
        self.assertIsInstance(page.data, list)
        self.assertGreaterEqual(page.total, len(page.data))


class AuthTest(ErrorAssertions):
    def test_login(self) -> None:
        client = OpenClaw(api_key=None, base_url=base_url())
        token = client.auth.login(
            email=env("OPENCLAW_TEST_ADMIN_EMAIL").upper(), password=env("OPENCLAW_TEST_ADMIN_PASSWORD")
        )
        self.assertEqual(token.token_type, "Bearer")
        self.assertGreater(token.expires_in, 0)
        me = client.with_options(api_key=token.access_token).users.me()
        self.assertEqual(me.email, env("OPENCLAW_TEST_ADMIN_EMAIL").lower())
        self.assertEqual(me.role, "admin")

    def test_wrong_password(self) -> None:
        client = OpenClaw(api_key=None, base_url=base_url())
        self.assertApiError(
            "INVALID_CREDENTIALS", 401, client.auth.login,
            email=env("OPENCLAW_TEST_ADMIN_EMAIL"), password="wrong-password-" + uid(),
        )
        self.assertApiError("VALIDATION_ERROR", 400, client.auth.login, email="not an email", password="x")


class UsersTest(ErrorAssertions):
    def test_me(self) -> None:
        user = new_user()
        me = user.client.users.me()
        self.assertEqual(me.id, user.id)
        self.assertEqual(me.email, user.email)
        self.assertEqual(
            set(me), {"id", "email", "name", "role", "disabled", "quota", "created_at", "updated_at"}
        )
        self.assertIsNone(me.quota)
        self.assertRegex(me.created_at, ISO_UTC)

    def test_create_get_update_delete(self) -> None:
        a = admin()
        email = "Py-Created-%s@Example.test" % uid()
        created = a.users.create(email=email, password="password-123", name="Created")
        self.assertRegex(created.id, UUID)
        self.assertEqual(created.email, email.lower())
        self.assertEqual((created.role, created.disabled, created.name), ("user", False, "Created"))
        self.assertNotIn("password", created)
        self.assertEqual(a.users.get(created.id), created)
        self.assertApiError("CONFLICT", 409, a.users.create, email=email, password="password-123")

        updated = a.users.update(created.id, name="Renamed", role="admin")
        self.assertEqual((updated.name, updated.role), ("Renamed", "admin"))
        updated = a.users.update(created.id, role="user", disabled=True)
        self.assertTrue(updated.disabled)
        self.assertApiError(
            "FORBIDDEN", 403, OpenClaw(base_url=base_url()).auth.login, email=email, password="password-123"
        )

        self.assertIsNone(a.users.delete(created.id))
        self.assertApiError("USER_NOT_FOUND", 404, a.users.get, created.id)
        self.assertApiError("USER_NOT_FOUND", 404, a.users.delete, created.id)
        self.assertApiError("USER_NOT_FOUND", 404, a.users.get, "not-a-uuid")

    def test_list_is_paginated(self) -> None:
        a = admin()
        new_user()
        new_user()
        page = a.users.list(limit=2)
        self.assertPage(page, limit=2)
        self.assertEqual(len(page.data), 2)
        self.assertGreaterEqual(page.total, 3)
        asc = a.users.list(limit=1, order="asc")
        self.assertEqual(asc.data[0].email, env("OPENCLAW_TEST_ADMIN_EMAIL").lower())
        second = a.users.list(limit=1, offset=1, order="asc")
        self.assertPage(second, limit=1, offset=1)
        self.assertNotEqual(second.data[0].id, asc.data[0].id)
        err = self.assertApiError("VALIDATION_ERROR", 400, a.users.list, limit=101)
        self.assertEqual([f["field"] for f in err.details["fields"]], ["limit"])

    def test_what_a_user_may_not_do(self) -> None:
        user = new_user()
        other = new_user()
        self.assertApiError("FORBIDDEN", 403, user.client.users.list)
        self.assertApiError("FORBIDDEN", 403, user.client.users.create, email="x-%s@example.test" % uid(), password="password-123")
        self.assertApiError("FORBIDDEN", 403, user.client.users.update, user.id, role="admin")
        self.assertApiError("FORBIDDEN", 403, user.client.users.update, user.id, quota=None)
        self.assertApiError("FORBIDDEN", 403, user.client.users.delete, other.id)
        self.assertApiError("USER_NOT_FOUND", 404, user.client.users.get, other.id)
        self.assertEqual(user.client.users.update(user.id, name="Self renamed").name, "Self renamed")
        self.assertEqual(user.client.users.get(user.id).name, "Self renamed")


class ApiKeysTest(ErrorAssertions):
    def test_create_list_use_delete(self) -> None:
        user = new_user()
        expires = datetime.now(timezone.utc) + timedelta(days=30)
        created = user.client.api_keys.create(name="second key", expires_at=expires)
        self.assertTrue(created.key.startswith("oc_"))
        self.assertGreaterEqual(len(created.key), 35)
        self.assertEqual(created.prefix, created.key[:12])
        self.assertRegex(created.expires_at, ISO_UTC)
        self.assertEqual(created.expires_at[:16], expires.strftime("%Y-%m-%dT%H:%M"))
        self.assertIsNone(created.rate_limit_per_minute)
        self.assertIsNone(created.models)
        self.assertIsNone(created.tokens_per_day)
        limited = user.client.api_keys.create(
            name="limited key", rate_limit_per_minute=5, models=["echo"], tokens_per_day=1000
        )
        self.assertEqual(limited.rate_limit_per_minute, 5)
        self.assertEqual(limited.models, ["echo"])
        self.assertEqual(limited.tokens_per_day, 1000)
        self.assertApiError(
            "VALIDATION_ERROR", 400, user.client.api_keys.create, name="bad", models=["no-such-model"]
        )
        user.client.api_keys.delete(limited.id)

        listed = user.client.api_keys.list()
        self.assertPage(listed)
        self.assertEqual({k.id for k in listed.data}, {created.id, user.key.id})
        for item in listed.data:
            self.assertNotIn("key", item)
        self.assertEqual(len(user.client.api_keys.list(limit=1).data), 1)

        with_key = OpenClaw(api_key=created.key, base_url=base_url())
        self.assertEqual(with_key.users.me().id, user.id)
        self.assertIsNone(user.client.api_keys.delete(created.id))
        self.assertApiError("INVALID_API_KEY", 401, with_key.users.me)
        self.assertApiError("API_KEY_NOT_FOUND", 404, user.client.api_keys.delete, created.id)

    def test_someone_elses_key_is_404(self) -> None:
        alice, bob = new_user(), new_user()
        self.assertApiError("API_KEY_NOT_FOUND", 404, bob.client.api_keys.delete, alice.key.id)
        self.assertApiError("API_KEY_NOT_FOUND", 404, bob.client.api_keys.delete, "malformed")
        self.assertEqual(alice.client.users.me().id, alice.id)
        self.assertApiError("VALIDATION_ERROR", 400, bob.client.api_keys.create, name="")


class SessionsTest(ErrorAssertions):
    alice: TestUser
    bob: TestUser

    @classmethod
    def setUpClass(cls) -> None:
        cls.alice = new_user()
        cls.bob = new_user()

    def test_create_get_update_delete(self) -> None:
        client = self.alice.client
        session = client.sessions.create(name="我的会话")
        self.assertRegex(session.id, UUID)
        self.assertEqual((session.name, session.model), ("我的会话", None))
        self.assertEqual(set(session), {"id", "name", "model", "created_at", "updated_at"})
        self.assertEqual(client.sessions.get(session.id), session)
        updated = client.sessions.update(session.id, name="renamed", model="echo")
        self.assertEqual((updated.name, updated.model), ("renamed", "echo"))
        self.assertEqual(client.sessions.create(model="echo").model, "echo")
        self.assertIsNone(client.sessions.delete(session.id))
        self.assertApiError("SESSION_NOT_FOUND", 404, client.sessions.get, session.id)
        self.assertApiError("SESSION_NOT_FOUND", 404, client.sessions.delete, session.id)

    def test_unusable_model_is_404(self) -> None:
        self.assertApiError("MODEL_NOT_FOUND", 404, self.alice.client.sessions.create, model="no-such-model")
        session = self.alice.client.sessions.create()
        self.assertApiError("MODEL_NOT_FOUND", 404, self.alice.client.sessions.update, session.id, model="nope")

    def test_list_is_paginated_and_own(self) -> None:
        user = new_user()
        names = ["s-%d" % i for i in range(3)]
        for name in names:
            user.client.sessions.create(name=name)
        self.bob.client.sessions.create(name="not hers")
        page = user.client.sessions.list()
        self.assertPage(page)
        self.assertEqual([s.name for s in page.data], list(reversed(names)))
        self.assertEqual(page.total, 3)
        asc = user.client.sessions.list(limit=2, offset=1, order="asc")
        self.assertPage(asc, limit=2, offset=1)
        self.assertEqual([s.name for s in asc.data], names[1:])
        for bad in ({"limit": 0}, {"offset": -1}, {"order": "sideways"}):
            err = self.assertApiError("VALIDATION_ERROR", 400, user.client.sessions.list, **bad)
            self.assertEqual([f["field"] for f in err.details["fields"]], list(bad))

    def test_someone_elses_session_is_404(self) -> None:
        session = self.alice.client.sessions.create(name="private")
        other = self.bob.client.sessions
        for call, args in (
            (other.get, (session.id,)),
            (other.update, (session.id,)),
            (other.delete, (session.id,)),
            (other.messages, (session.id,)),
            (other.get, (MISSING,)),
            (other.get, ("not-a-uuid",)),
        ):
            self.assertApiError("SESSION_NOT_FOUND", 404, call, *args)
        self.assertEqual(self.alice.client.sessions.get(session.id).name, "private")

    def test_messages_and_delete_message(self) -> None:
        client = self.alice.client
        turn = client.chat(message="keep me", model="echo")
        client.chat(message="and me", session_id=turn.session_id, model="echo")
        page = client.sessions.messages(turn.session_id, order="asc", limit=3)
        self.assertPage(page, limit=3)
        self.assertEqual(page.total, 4)
        first = page.data[0]
        self.assertEqual(set(first), {"id", "session_id", "role", "content", "model", "tokens", "status", "created_at"})
        self.assertEqual((first.role, first.content, first.session_id), ("user", "keep me", turn.session_id))
        self.assertEqual(page.data[1].model, "echo")
        newest = client.sessions.messages(turn.session_id, limit=1)
        self.assertEqual(newest.data[0].content, "and me")
        self.assertEqual(newest.data[0].role, "assistant")

        self.assertApiError("MESSAGE_NOT_FOUND", 404, self.bob.client.messages.delete, turn.message_id)
        self.assertIsNone(client.messages.delete(turn.message_id))
        remaining = client.sessions.messages(turn.session_id, order="asc")
        self.assertEqual(remaining.total, 3)
        self.assertNotIn(turn.message_id, [m.id for m in remaining.data])
        self.assertApiError("MESSAGE_NOT_FOUND", 404, client.messages.delete, turn.message_id)
        self.assertApiError("MESSAGE_NOT_FOUND", 404, client.messages.delete, "nope")

        client.sessions.delete(turn.session_id)
        self.assertApiError("SESSION_NOT_FOUND", 404, client.sessions.messages, turn.session_id)


class ConfigTest(ErrorAssertions):
    def test_get_and_update(self) -> None:
        a = admin()
        user = new_user()
        before = a.config.get()
        self.assertEqual(
            set(before), {"model", "temperature", "max_tokens", "system_prompt", "default_user_quota"}
        )
        self.assertEqual(user.client.config.get(), before)
        try:
            updated = a.config.update(temperature=1.25, max_tokens=321, system_prompt="Be brief.")
            self.assertEqual(
                (updated.temperature, updated.max_tokens, updated.system_prompt, updated.model),
                (1.25, 321, "Be brief.", before.model),
            )
            self.assertEqual(user.client.config.get(), updated)
            # The model still answers with the user's message: echo ignores the system prompt.
            self.assertEqual(user.client.chat(message="still echo").response, "still echo")
            self.assertEqual(a.config.update(system_prompt="").system_prompt, "")
            quota = a.config.update(default_user_quota={"tokens_per_month": 50000})
            self.assertEqual(
                quota.default_user_quota,
                {"tokens_per_day": None, "tokens_per_month": 50000, "cost_per_month_usd": None},
            )
            self.assertIsNone(a.config.update(default_user_quota=None).default_user_quota)
        finally:
            restored = a.config.update(
                model=before.model,
                temperature=before.temperature,
                max_tokens=before.max_tokens,
                system_prompt=before.system_prompt,
            )
        self.assertEqual(restored, before)

    def test_errors(self) -> None:
        a = admin()
        user = new_user()
        self.assertApiError("FORBIDDEN", 403, user.client.config.update, temperature=0.5)
        self.assertApiError("MODEL_NOT_FOUND", 404, a.config.update, model="no-such-model")
        err = self.assertApiError("VALIDATION_ERROR", 400, a.config.update, temperature=3)
        self.assertEqual([f["field"] for f in err.details["fields"]], ["temperature"])
        self.assertApiError("VALIDATION_ERROR", 400, a.config.update, max_tokens=0)
        self.assertEqual(a.config.get().model, "echo")


class QuotaTest(ErrorAssertions):
    def test_admin_sets_and_clears_a_users_quota(self) -> None:
        a = admin()
        user = new_user()
        limited = a.users.update(user.id, quota={"tokens_per_day": 1000, "cost_per_month_usd": 2.5})
        self.assertEqual(
            limited.quota,
            {"tokens_per_day": 1000, "tokens_per_month": None, "cost_per_month_usd": 2.5},
        )
        self.assertEqual(user.client.users.me().quota, limited.quota)
        self.assertIsNone(a.users.update(user.id, quota=None).quota)
        created = a.users.create(
            email="py-q-%s@example.test" % uid(), password="password-123", quota={}
        )
        self.assertEqual(
            created.quota,
            {"tokens_per_day": None, "tokens_per_month": None, "cost_per_month_usd": None},
        )
        err = self.assertApiError(
            "VALIDATION_ERROR", 400, a.users.update, user.id, quota={"tokens_per_week": 5}
        )
        self.assertEqual([f["field"] for f in err.details["fields"]], ["quota.tokens_per_week"])


class UsageTest(ErrorAssertions):
    def test_report_and_records(self) -> None:
        a = admin()
        model = env("OPENCLAW_TEST_USAGE_MODEL")
        report = a.usage.get(group_by="model", from_=date(2020, 1, 1))
        self.assertEqual(set(report), {"data", "totals", "from", "to", "group_by"})
        self.assertEqual(report["from"], "2020-01-01T00:00:00.000Z")
        self.assertEqual(report.group_by, "model")
        seeded = [g for g in report.data if g.key == model]
        self.assertEqual(len(seeded), 1)
        self.assertEqual(
            dict(seeded[0]),
            {
                "key": model,
                "requests": 2,
                "input_tokens": 3000,
                "output_tokens": 1000,
                "cost_usd": 0.25,
                "unpriced_requests": 1,
            },
        )
        page = a.usage.list_records(model=model, from_=date(2020, 1, 1), limit=1, order="asc")
        self.assertPage(page, limit=1)
        self.assertEqual(page.total, 2)
        record = page.data[0]
        self.assertEqual(
            set(record),
            {
                "id", "user_id", "api_key_id", "model", "provider", "endpoint", "status",
                "input_tokens", "output_tokens", "cost_usd", "latency_ms", "created_at",
            },
        )
        self.assertEqual(record.model, model)
        self.assertRegex(record.created_at, ISO_UTC)
        by_user = a.usage.get(group_by="user", from_=datetime(2020, 1, 1))
        self.assertIn(a.users.me().id, [g.key for g in by_user.data])

    def test_a_user_sees_only_their_own(self) -> None:
        user = new_user()
        own = user.client.usage.get(group_by="api_key")
        self.assertEqual(own.totals.requests, len(user.client.usage.list_records(limit=100).data))
        model = env("OPENCLAW_TEST_USAGE_MODEL")
        self.assertEqual(user.client.usage.list_records(model=model).total, 0)
        self.assertApiError("FORBIDDEN", 403, user.client.usage.get, group_by="user")
        self.assertApiError("FORBIDDEN", 403, user.client.usage.get, user_id=user.id)
        self.assertApiError("FORBIDDEN", 403, user.client.usage.list_records, user_id=user.id)
        err = self.assertApiError("VALIDATION_ERROR", 400, user.client.usage.get, group_by="week")
        self.assertEqual([f["field"] for f in err.details["fields"]], ["group_by"])
        err = self.assertApiError(
            "VALIDATION_ERROR", 400, user.client.usage.get, from_="2026-02-02", to="2026-02-01"
        )
        self.assertEqual([f["field"] for f in err.details["fields"]], ["from"])


class SkillsTest(ErrorAssertions):
    def setUp(self) -> None:
        self.admin = admin()
        self.name = "py-skill-" + uid()
        self.skill = self.admin.skills.create(
            name=self.name,
            description="greets",
            script='echo "hello $PARAM_WHO"; cat',
            timeout_ms=10000,
        )

    def tearDown(self) -> None:
        try:
            self.admin.skills.delete(self.name)
        except OpenClawError:
            pass

    def test_create_get_list_update_delete(self) -> None:
        skill = self.skill
        self.assertEqual((skill.name, skill.description, skill.timeout_ms), (self.name, "greets", 10000))
        self.assertEqual(skill.script, 'echo "hello $PARAM_WHO"; cat')
        self.assertEqual(self.admin.skills.get(self.name), skill)
        user = new_user()
        seen_by_user = user.client.skills.get(self.name)
        self.assertNotIn("script", seen_by_user)
        self.assertEqual(seen_by_user.description, "greets")
        page = user.client.skills.list(limit=100)
        self.assertPage(page, limit=100)
        self.assertIn(self.name, [s.name for s in page.data])
        self.assertTrue(all("script" not in s for s in page.data))

        updated = self.admin.skills.update(self.name, description="greets warmly", timeout_ms=5000)
        self.assertEqual((updated.description, updated.timeout_ms, updated.script), ("greets warmly", 5000, skill.script))
        self.assertApiError("CONFLICT", 409, self.admin.skills.create, name=self.name, script="true")
        err = self.assertApiError("VALIDATION_ERROR", 400, self.admin.skills.create, name="Bad Name", script="true")
        self.assertIn("name", [f["field"] for f in err.details["fields"]])
        self.assertApiError("FORBIDDEN", 403, user.client.skills.create, name="u-" + uid(), script="true")
        self.assertApiError("FORBIDDEN", 403, user.client.skills.update, self.name, description="x")
        self.assertApiError("FORBIDDEN", 403, user.client.skills.delete, self.name)

        self.assertIsNone(self.admin.skills.delete(self.name))
        self.assertApiError("SKILL_NOT_FOUND", 404, self.admin.skills.get, self.name)
        self.assertApiError("SKILL_NOT_FOUND", 404, user.client.skills.run, self.name)

    def test_run_and_wait(self) -> None:
        user = new_user()
        run = user.client.skills.run(self.name, {"who": "world", "n": 3, "ok": True})
        self.assertEqual(run.status, "succeeded", run)
        self.assertEqual(run.skill, self.name)
        self.assertEqual(run.exit_code, 0)
        self.assertTrue(run.stdout.startswith("hello world\n"), run.stdout)
        self.assertIn('"who":"world"', run.stdout.replace(" ", ""))
        self.assertEqual(run.params, {"who": "world", "n": 3, "ok": True})
        self.assertEqual((run.stderr, run.output_truncated), ("", False))
        self.assertRegex(run.finished_at, ISO_UTC)
        self.assertEqual(user.client.skills.get_run(self.name, run.id), run)

    def test_run_without_waiting_then_poll(self) -> None:
        user = new_user()
        run = user.client.skills.run(self.name, {"who": "later"}, wait=False)
        self.assertIn(run.status, ("queued", "running", "succeeded"))
        done = eventually(
            lambda: user.client.skills.get_run(self.name, run.id),
            lambda r: r.status not in ("queued", "running"),
            timeout=20,
        )
        self.assertEqual(done.status, "succeeded", done)
        self.assertIn("hello later", done.stdout)

    def test_runs_are_the_callers_own(self) -> None:
        alice, bob = new_user(), new_user()
        mine = alice.client.skills.run(self.name, {"who": "alice"})
        alice.client.skills.run(self.name)
        runs = alice.client.skills.runs(self.name, order="asc")
        self.assertPage(runs)
        self.assertEqual(runs.total, 2)
        self.assertEqual(runs.data[0].id, mine.id)
        self.assertEqual(len(alice.client.skills.runs(self.name, limit=1, offset=1).data), 1)
        self.assertEqual(bob.client.skills.runs(self.name).total, 0)
        self.assertApiError("SKILL_RUN_NOT_FOUND", 404, bob.client.skills.get_run, self.name, mine.id)
        self.assertApiError("SKILL_RUN_NOT_FOUND", 404, alice.client.skills.get_run, self.name, "not-a-uuid")
        self.assertGreaterEqual(self.admin.skills.runs(self.name).total, 2)
        self.assertEqual(self.admin.skills.get_run(self.name, mine.id).id, mine.id)

    def test_bad_params(self) -> None:
        user = new_user()
        err = self.assertApiError("VALIDATION_ERROR", 400, user.client.skills.run, self.name, {"bad key": "x"})
        self.assertTrue(err.details.get("fields"))
        started = time.time()
        self.assertApiError("SKILL_NOT_FOUND", 404, user.client.skills.get_run, "no-such-skill-" + uid(), MISSING)
        self.assertLess(time.time() - started, 10)


if __name__ == "__main__":
    unittest.main()
