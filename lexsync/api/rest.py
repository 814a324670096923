"""v1 REST writes: JSON bodies with a bearer token, the saved ID back as text/plain."""

from __future__ import annotations

import json
from typing import Any

import httpx

from lexsync.api.auth import TokenProvider
from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Sender
from lexsync.errors import ApiError, AuthError


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def is_invalid_token(response: httpx.Response) -> bool:
    answer = _json(response)
    if isinstance(answer, dict) and answer.get("error") == "invalid_token":
        return True
    return "invalid_token" in response.headers.get("WWW-Authenticate", "")


def model_state_text(answer: Any) -> str | None:
    """`{"Message", "ModelState": {"Info.Status": ["..."]}}` -> "Info.Status: ...; ..."."""
    if not isinstance(answer, dict) or not isinstance(answer.get("ModelState"), dict):
        return None
    parts = []
    for key, messages in answer["ModelState"].items():
        if isinstance(messages, list):
            parts.extend(f"{key}: {m}" for m in messages)
        else:
            parts.append(f"{key}: {messages}")
    head = str(answer.get("Message") or "The request is invalid.")
    return f"{head} " + "; ".join(parts) if parts else head


# Refusals of a name the seed texts leave open (a list's name, an item element's).
_NAME_REFUSALS = ("Could not find member", "Expected element", "was not expected")
NAME_HINT = (" (the seed texts leave this name open: `lexsync doctor --write-probe` measures "
             "the names this LeadExec takes, and lexsync then sends those)")


def name_hint(answer: str) -> str:
    """LeadExec's refusal, with what to do when it refused a name lexsync had to guess."""
    return answer + NAME_HINT if any(t in answer for t in _NAME_REFUSALS) else answer


def parse_id(call: str, response: httpx.Response) -> int | None:
    """The saved ID; None when a 2xx answer carries none (the write was saved: the caller
    finds the object by its natural key, never sends it again)."""
    text = response.text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]  # tolerate a JSON-encoded answer
    try:
        saved = int(text)
    except ValueError:
        return None
    return saved if saved > 0 else None


class RestWriter:
    def __init__(self, sender: Sender, settings: ApiSettings, tokens: TokenProvider) -> None:
        self._sender = sender
        self._settings = settings
        self._tokens = tokens

    def _error(self, call: str, response: httpx.Response) -> ApiError:
        text = model_state_text(_json(response))
        answer = self._sender.redact(text) if text else self._sender.answer_text(response)
        return ApiError(call, name_hint(answer[:2000]), response.status_code)

    async def call(self, call: str, method: str, path: str, body: dict[str, Any]) -> int | None:
        """Send one write; on a refused (expired, revoked) token fetch a new one once."""
        url = self._settings.root + path
        sender = self._sender
        for attempt in (1, 2):
            token = await self._tokens.get()

            def build(token: str = token) -> httpx.Request:
                return sender.build_request(
                    method, url, json=body, headers={"Authorization": f"Bearer {token}"})

            response = await self._sender.send(call, build, write=True)
            if response.status_code == 401:
                # A 401 means the write was not processed: safe to repeat with a new token.
                if attempt == 1 and is_invalid_token(response):
                    self._tokens.invalidate(token)
                    continue
                raise AuthError(call, "LeadExec refused the bearer token: "
                                + self._sender.answer_text(response), 401)
            if not response.is_success:
                raise self._error(call, response)
            return parse_id(call, response)
        raise AssertionError("unreachable")
