"""The API's resources: one small class per route group, all sharing the client's transport.

Every method takes a keyword-only ``timeout`` (seconds) overriding the client's for that call.
Every list method takes ``limit`` (1–100, server default 50), ``offset`` (≥ 0) and ``order``
(``"asc"`` | ``"desc"``, by creation; default ``"desc"``) and returns
``{"data": [...], "total", "limit", "offset"}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Dict, List, Mapping, Optional, Union

from ._http import Transport, as_object, iso8601, path
from ._types import OpenClawObject

__all__ = [
    "Sessions",
    "Messages",
    "Skills",
    "Config",
    "Users",
    "Webhooks",
    "ApiKeys",
    "Auth",
    "Models",
    "Usage",
]

ParamValue = Union[str, int, float, bool]


def _page(limit: Optional[int], offset: Optional[int], order: Optional[str]) -> Dict[str, Any]:
    return {"limit": limit, "offset": offset, "order": order}


def _body(**fields: Any) -> Dict[str, Any]:
    """The fields that were given: None means "not sent" (the server refuses nulls)."""
    return {k: v for k, v in fields.items() if v is not None}


class _Unset(object):
    def __repr__(self) -> str:
        return "UNSET"


# For the fields where None is a value the server takes (a quota of None: the default applies).
UNSET: Any = _Unset()


def _nullable(**fields: Any) -> Dict[str, Any]:
    """The fields that were given, None included (sent as null)."""
    return {k: v for k, v in fields.items() if v is not UNSET}


def _day(value: Optional[Union[str, date, datetime]]) -> Optional[str]:
    """A date as ``YYYY-MM-DD``, a datetime as ISO 8601 UTC (naive = UTC), a string as it is."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return iso8601(value)
    return value.isoformat()


class _Resource(object):
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def _call(
        self,
        method: str,
        route: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return as_object(self._t.request(method, route, query=query, body=body, timeout=timeout))

    def _delete(self, route: str, timeout: Optional[float]) -> None:
        self._t.request("DELETE", route, timeout=timeout)


class Sessions(_Resource):
    """``/sessions``: the caller's own chat sessions and their messages."""

    def create(
        self,
        *,
        name: Optional[str] = None,
        model: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{id, name, model, created_at, updated_at}``; an unusable model is MODEL_NOT_FOUND."""
        return self._call("POST", "/sessions", body=_body(name=name, model=model), timeout=timeout)

    def list(
        self,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return self._call("GET", "/sessions", query=_page(limit, offset, order), timeout=timeout)

    def get(self, session_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        return self._call("GET", path("sessions", session_id), timeout=timeout)

    def update(
        self,
        session_id: str,
        *,
        name: Optional[str] = None,
        model: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return self._call(
            "PATCH",
            path("sessions", session_id),
            body=_body(name=name, model=model),
            timeout=timeout,
        )

    def delete(self, session_id: str, *, timeout: Optional[float] = None) -> None:
        """Deletes the session with its messages."""
        self._delete(path("sessions", session_id), timeout)

    def messages(
        self,
        session_id: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{id, session_id, role, content, model, tokens, status, created_at}`` items."""
        return self._call(
            "GET",
            path("sessions", session_id) + "/messages",
            query=_page(limit, offset, order),
            timeout=timeout,
        )


class Messages(_Resource):
    """``/messages``."""

    def delete(self, message_id: str, *, timeout: Optional[float] = None) -> None:
        self._delete(path("messages", message_id), timeout)


class Skills(_Resource):
    """``/skills``: scripts an admin defines and any user runs."""

    def list(
        self,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return self._call("GET", "/skills", query=_page(limit, offset, order), timeout=timeout)

    def create(
        self,
        *,
        name: str,
        script: str,
        description: Optional[str] = None,
        timeout_ms: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin) ``{name, description, script, timeout_ms, created_at, updated_at}``."""
        return self._call(
            "POST",
            "/skills",
            body=_body(name=name, script=script, description=description, timeout_ms=timeout_ms),
            timeout=timeout,
        )

    def get(self, name: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        return self._call("GET", path("skills", name), timeout=timeout)

    def update(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        script: Optional[str] = None,
        timeout_ms: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin)"""
        return self._call(
            "PATCH",
            path("skills", name),
            body=_body(description=description, script=script, timeout_ms=timeout_ms),
            timeout=timeout,
        )

    def delete(self, name: str, *, timeout: Optional[float] = None) -> None:
        """(admin)"""
        self._delete(path("skills", name), timeout)

    def run(
        self,
        name: str,
        params: Optional[Mapping[str, ParamValue]] = None,
        *,
        wait: bool = True,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """Runs the skill. With ``wait=True`` the server holds the call until the run ends (up to
        its ``SKILL_RUN_WAIT_MS``, 30 s by default — keep ``timeout`` above that); with
        ``wait=False``, or when that wait ends first, the run comes back as it stands
        (``status`` ``queued`` or ``running``): poll it with ``get_run``.

        A run: ``{id, skill, status, params, exit_code, stdout, stderr, output_truncated,
        duration_ms, created_at, started_at, finished_at}``; ``status`` is one of
        ``queued | running | succeeded | failed | timed_out``."""
        body = {"params": dict(params)} if params is not None else {}
        return self._call(
            "POST",
            path("skills", name) + "/run",
            query={"wait": None if wait else False},
            body=body,
            timeout=timeout,
        )

    def runs(
        self,
        name: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """The caller's runs of this skill (an admin sees everyone's)."""
        return self._call(
            "GET",
            path("skills", name) + "/runs",
            query=_page(limit, offset, order),
            timeout=timeout,
        )

    def get_run(self, name: str, run_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        return self._call("GET", path("skills", name, "runs", run_id), timeout=timeout)


class Config(_Resource):
    """``/config``: the installation's chat defaults."""

    def get(self, *, timeout: Optional[float] = None) -> OpenClawObject:
        """``{model, temperature, max_tokens, system_prompt, default_user_quota}``."""
        return self._call("GET", "/config", timeout=timeout)

    def update(
        self,
        *,
        model: Optional[str] = None,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        system_prompt: Optional[str] = None,
        default_user_quota: Optional[Mapping[str, Any]] = UNSET,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin) Changes the given fields; ``system_prompt=""`` removes the system prompt.
        ``default_user_quota`` (``{tokens_per_day?, tokens_per_month?, cost_per_month_usd?}``)
        applies to every user whose own ``quota`` is None; ``None`` removes it (no limit)."""
        return self._call(
            "PATCH",
            "/config",
            body={
                **_body(
                    model=model,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    system_prompt=system_prompt,
                ),
                **_nullable(default_user_quota=default_user_quota),
            },
            timeout=timeout,
        )


class Users(_Resource):
    """``/users``: ``{id, email, name, role, disabled, quota, created_at, updated_at}``.

    ``quota`` is ``{tokens_per_day, tokens_per_month, cost_per_month_usd}`` (None: no limit), or
    None when the config's ``default_user_quota`` applies."""

    def me(self, *, timeout: Optional[float] = None) -> OpenClawObject:
        return self._call("GET", "/users/me", timeout=timeout)

    def create(
        self,
        *,
        email: str,
        password: str,
        name: Optional[str] = None,
        role: Optional[str] = None,
        quota: Optional[Mapping[str, Any]] = UNSET,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin) ``role`` is ``"user"`` (default) or ``"admin"``; ``quota`` the user's limits."""
        return self._call(
            "POST",
            "/users",
            body={
                **_body(email=email, password=password, name=name, role=role),
                **_nullable(quota=quota),
            },
            timeout=timeout,
        )

    def list(
        self,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin)"""
        return self._call("GET", "/users", query=_page(limit, offset, order), timeout=timeout)

    def get(self, user_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        """(admin or self)"""
        return self._call("GET", path("users", user_id), timeout=timeout)

    def update(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        password: Optional[str] = None,
        current_password: Optional[str] = None,
        role: Optional[str] = None,
        disabled: Optional[bool] = None,
        quota: Optional[Mapping[str, Any]] = UNSET,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """(admin or self) Only an admin may set ``role``, ``disabled`` and ``quota`` (which replaces
        the user's limits; None: the config's default applies, ``{}``: no limit); changing one's
        own ``email`` or ``password`` needs ``current_password``."""
        return self._call(
            "PATCH",
            path("users", user_id),
            body={
                **_body(
                    name=name,
                    email=email,
                    password=password,
                    current_password=current_password,
                    role=role,
                    disabled=disabled,
                ),
                **_nullable(quota=quota),
            },
            timeout=timeout,
        )

    def delete(self, user_id: str, *, timeout: Optional[float] = None) -> None:
        """(admin) Removes the user with their sessions, keys and webhooks."""
        self._delete(path("users", user_id), timeout)


class Webhooks(_Resource):
    """``/webhooks``: the caller's own webhooks and their deliveries."""

    def create(
        self,
        *,
        url: str,
        events: List[str],
        description: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{id, url, events, description, active, secret, created_at, updated_at}``: keep the
        ``secret`` (``whsec_…``) to verify deliveries; it is shown here and by ``rotate_secret`` only."""
        return self._call(
            "POST",
            "/webhooks",
            body=_body(url=url, events=list(events), description=description),
            timeout=timeout,
        )

    def list(
        self,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return self._call("GET", "/webhooks", query=_page(limit, offset, order), timeout=timeout)

    def get(self, webhook_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        return self._call("GET", path("webhooks", webhook_id), timeout=timeout)

    def update(
        self,
        webhook_id: str,
        *,
        url: Optional[str] = None,
        events: Optional[List[str]] = None,
        active: Optional[bool] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        return self._call(
            "PATCH",
            path("webhooks", webhook_id),
            body=_body(
                url=url,
                events=list(events) if events is not None else None,
                active=active,
                description=description,
            ),
            timeout=timeout,
        )

    def delete(self, webhook_id: str, *, timeout: Optional[float] = None) -> None:
        self._delete(path("webhooks", webhook_id), timeout)

    def rotate_secret(self, webhook_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        """A new ``secret``; the old one stops being used at once."""
        return self._call("POST", path("webhooks", webhook_id, "rotate-secret"), timeout=timeout)

    def test(self, webhook_id: str, *, timeout: Optional[float] = None) -> OpenClawObject:
        """Sends a ``webhook.test`` event now: ``{delivery_id, success, status_code, duration_ms, error}``."""
        return self._call("POST", path("webhooks", webhook_id, "test"), timeout=timeout)

    def deliveries(
        self,
        webhook_id: str,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, …}`` items."""
        return self._call(
            "GET",
            path("webhooks", webhook_id, "deliveries"),
            query=_page(limit, offset, order),
            timeout=timeout,
        )

    def get_delivery(
        self, webhook_id: str, delivery_id: str, *, timeout: Optional[float] = None
    ) -> OpenClawObject:
        return self._call(
            "GET", path("webhooks", webhook_id, "deliveries", delivery_id), timeout=timeout
        )

    def retry_delivery(
        self, webhook_id: str, delivery_id: str, *, timeout: Optional[float] = None
    ) -> OpenClawObject:
        """Sends the delivery again (one more attempt, then the usual retries); returns it."""
        return self._call(
            "POST",
            path("webhooks", webhook_id, "deliveries", delivery_id, "retry"),
            timeout=timeout,
        )


class ApiKeys(_Resource):
    """``/api-keys``: the caller's own API keys."""

    def create(
        self,
        *,
        name: str,
        expires_at: Optional[Union[str, datetime]] = None,
        rate_limit_per_minute: Optional[int] = None,
        models: Optional[List[str]] = None,
        tokens_per_day: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{id, name, key, prefix, created_at, expires_at, last_used_at, rate_limit_per_minute,
        models, tokens_per_day}``: ``key`` (``oc_…``) is shown this once. ``expires_at`` is an
        ISO 8601 string or a datetime (naive = UTC); ``rate_limit_per_minute`` and
        ``tokens_per_day`` are lower limits for this key alone; ``models`` the only models it may
        use."""
        return self._call(
            "POST",
            "/api-keys",
            body=_body(
                name=name,
                expires_at=iso8601(expires_at) if expires_at else None,
                rate_limit_per_minute=rate_limit_per_minute,
                models=list(models) if models is not None else None,
                tokens_per_day=tokens_per_day,
            ),
            timeout=timeout,
        )

    def list(
        self,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """The keys without the key itself (``prefix`` tells them apart)."""
        return self._call("GET", "/api-keys", query=_page(limit, offset, order), timeout=timeout)

    def delete(self, api_key_id: str, *, timeout: Optional[float] = None) -> None:
        """Revokes the key at once."""
        self._delete(path("api-keys", api_key_id), timeout)


class Auth(_Resource):
    """``/auth``."""

    def login(
        self, *, email: str, password: str, timeout: Optional[float] = None
    ) -> OpenClawObject:
        """``{access_token, token_type: "Bearer", expires_in}``; use the token as ``api_key``
        (``OpenClaw(api_key=token.access_token)`` or ``client.with_options(api_key=…)``)."""
        return self._call(
            "POST", "/auth/login", body={"email": email, "password": password}, timeout=timeout
        )


class Models(_Resource):
    """``/models``."""

    def list(self, *, timeout: Optional[float] = None) -> OpenClawObject:
        """``{"data": [{"id", "provider"}]}``: the models usable now."""
        return self._call("GET", "/models", timeout=timeout)


DateLike = Union[str, date, datetime]


class Usage(_Resource):
    """``/usage``: requests, tokens and cost. The caller's own; an admin may pass ``user_id``, or
    ``group_by="user"`` for every user's. ``from_`` and ``to`` are dates or datetimes (UTC; a date
    as ``to`` includes that whole day); default: the last 30 days."""

    def get(
        self,
        *,
        group_by: Optional[str] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        user_id: Optional[str] = None,
        model: Optional[str] = None,
        api_key_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """``{data: [{key, requests, input_tokens, output_tokens, cost_usd, unpriced_requests}],
        totals, from, to, group_by}``; ``group_by`` is ``day`` (default), ``model``, ``api_key``
        (JWT calls under the key None) or ``user`` (admins)."""
        query = {
            "group_by": group_by,
            "from": _day(from_),
            "to": _day(to),
            "user_id": user_id,
            "model": model,
            "api_key_id": api_key_id,
        }
        return self._call("GET", "/usage", query=query, timeout=timeout)

    def list_records(
        self,
        *,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        user_id: Optional[str] = None,
        model: Optional[str] = None,
        api_key_id: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        order: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> OpenClawObject:
        """The records themselves: ``{id, user_id, api_key_id, model, provider, endpoint, status,
        input_tokens, output_tokens, cost_usd, latency_ms, created_at}``, newest first."""
        query = {
            "from": _day(from_),
            "to": _day(to),
            "user_id": user_id,
            "model": model,
            "api_key_id": api_key_id,
            **_page(limit, offset, order),
        }
        return self._call("GET", "/usage/records", query=query, timeout=timeout)
