"""ASMX reads straight on ASGI, past Starlette's routing, middleware, Request and form parser.

The benchmark's reads are plain GETs and form POSTs; under load each spent about 1 ms of the
one event loop in that machinery. Here they are parsed with `urllib.parse.parse_qsl` and
answered by `asmx.answer`, the function the Starlette route uses too. Anything else goes the
Starlette way (`answer` returns None), with the body it may already have read replayed, so
every answer, error and limit stays that of `asmx.read`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import Message, Receive, Scope

from lexsync.sandbox import asmx
from lexsync.sandbox.context import SandboxContext

_FORM = b"application/x-www-form-urlencoded"
# Starlette's request.form() answers 400 above 1,000 fields or a field over 1 MiB: a body
# that could reach either is left to it.
_MAX_FIELDS = 1000
_MAX_BODY = 1024 * 1024


async def answer(
    ctx: SandboxContext, method: str, scope: Scope, receive: Receive
) -> tuple[Response | None, Receive]:
    """The answer to an ASMX read, or None when Starlette must answer; with the `receive`
    to hand on (it replays whatever body was read here)."""
    if scope.get("root_path") or scope["method"] not in ("GET", "POST"):
        return None, receive  # a mounted app routes otherwise; HEAD and others get Starlette's
    fields: Iterable[tuple[str, str]] = ()
    if asmx.reads_form(method, scope["method"]):
        if _content_type(scope) != _FORM:
            return None, receive  # multipart, a charset, no type: python-multipart decides
        body, messages = await _read_body(receive)
        if body is None or len(body) > _MAX_BODY or body.count(b"&") >= _MAX_FIELDS:
            return None, _replay(messages, receive)
        # The same decoding as Starlette's FormParser: latin-1 bytes, then unquote_plus.
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    # Exactly Starlette's QueryParams.
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    return asmx.answer(ctx, method, asmx.collect_params(query, fields)), receive


def _content_type(scope: Scope) -> bytes | None:
    # The first header, as Starlette's Headers.get; parse_options_header's normalising of a
    # value without parameters (lower case, spaces and tabs stripped).
    for key, value in scope["headers"]:
        if key == b"content-type":
            return value.lower().strip(b" \t")
    return None


async def _read_body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (None if the client went away first) and the messages it came in."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
