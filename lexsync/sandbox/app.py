"""The ASGI application: routing, request counting, latency and fault injection."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from lexsync.sandbox import admin, asmx, rest, soap, xmlio
from lexsync.sandbox.config import FAULT_KINDS, SandboxConfig
from lexsync.sandbox.context import SandboxContext
from lexsync.sandbox.faults import drop_connection

__all__ = ["FAULT_KINDS", "SandboxApp", "SandboxConfig", "create_app"]

_REST_CALLS: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v1/authorization/token/?$"), "token"),
    ("PATCH", re.compile(r"^/v1/clients/?$"), "PATCH /v1/clients"),
    ("PUT", re.compile(r"^/v1/delivery/[^/]+/methods/?$"), "PUT /v1/delivery/{ClientUID}/methods"),
    (
        "PUT",
        re.compile(r"^/v1/delivery/[^/]+/accounts/?$"),
        "PUT /v1/delivery/{ClientUID}/accounts",
    ),
]
_ASMX_READ = re.compile(r"^/service\.asmx/([^/]+)$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def call_name(scope: Scope, namespace: str) -> str | None:
    """The name a request is counted under, or None for admin and unknown paths."""
    path, method = scope["path"], scope["method"]
    for verb, pattern, name in _REST_CALLS:
        if method == verb and pattern.match(path):
            return name
    match = _ASMX_READ.match(path)
    if match:
        return match.group(1)
    if path == "/service.asmx" and method == "POST":
        return soap.action_method(_header(scope, b"soapaction"), namespace) or "SOAP"
    return None


def _dialect(scope: Scope) -> str:
    if scope["path"].startswith("/v1/"):
        return "rest"
    return "soap" if scope["path"] == "/service.asmx" else "asmx"


def _error_response(dialect: str, status: int, retry_after: int) -> Response:
    """An injected failure, in the shape each dialect's real server would use."""
    headers = {"Retry-After": str(retry_after)} if status == 429 else None
    if status == 429:
        if dialect == "rest":
            return JSONResponse({"Message": "Too many requests."}, status_code=429, headers=headers)
        return PlainTextResponse("Too many requests.", status_code=429, headers=headers)
    if dialect == "rest":
        return JSONResponse({"Message": "An error has occurred."}, status_code=500)
    if dialect == "soap":
        return Response(
            xmlio.soap_fault(
                "soap:Server",
                "System.Web.Services.Protocols.SoapException: Server was unable to process "
                "request. ---> System.Exception: An error has occurred.",
            ),
            status_code=500,
            media_type="text/xml; charset=utf-8",
        )
    return PlainTextResponse("System.Exception: An error has occurred.", status_code=500)


# What the sandbox reads of one request body, as lexsync reads at most this of an answer.
MAX_REQUEST_BYTES = 32 * 1024 * 1024


class _BodyTooLarge(Exception):
    """A request body went past MAX_REQUEST_BYTES while it was read."""


def _bounded(receive: Receive) -> Receive:
    received = 0

    async def bounded() -> Any:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > MAX_REQUEST_BYTES:
            raise _BodyTooLarge
        return message

    return bounded


def _too_large() -> Response:
    # As IIS refuses a body over its maxAllowedContentLength.
    return PlainTextResponse("The request entity is too large.", status_code=413)


async def _too_large_error(request: Request, exc: Exception) -> Response:
    return _too_large()


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # A sandbox bug must still look like the real service's 500, not Starlette's.
    return _error_response(_dialect(request.scope), 500, 0)


class SandboxApp(Starlette):
    """Starlette plus an outer layer that sees uvicorn's own `send` (needed to drop sockets)."""

    async def _held(self, scope: Scope, receive: Receive, send: Send, mode: str) -> None:
        """The write picked by `hold_write`: processed, then its answer held back ("after"),
        or held before anything is done ("before"); a killed client never learns the result."""
        ctx: SandboxContext = self.state.sandbox
        if mode == "before":
            # Never processed: the client is meant to be killed while it waits.
            await _hold(ctx)
            await _error_response(_dialect(scope), 500, 0)(scope, receive, send)
            return
        answer: list[Any] = []

        async def keep(message: Any) -> None:
            answer.append(message)

        await super().__call__(scope, receive, keep)
        await _hold(ctx)
        for message in answer:
            await send(message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        declared = _header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            await _too_large()(scope, receive, send)
            return
        receive = _bounded(receive)
        ctx: SandboxContext = self.state.sandbox
        name = call_name(scope, ctx.config.namespace)
        if name is None:
            await super().__call__(scope, receive, send)
            return
        ctx.requests.add(name)
        delay = ctx.faults.delay_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        hold = ctx.faults.take_hold() if is_write(name) else None
        if hold is not None:
            await self._held(scope, receive, send, hold)
            return
        fault = ctx.faults.next_fault()
        if fault is None:
            await super().__call__(scope, receive, send)
            return
        dialect = _dialect(scope)
        retry_after = ctx.faults.retry_after_seconds
        if fault == "error_500":
            await _error_response(dialect, 500, retry_after)(scope, receive, send)
        elif fault == "rate_limit_429":
            await _error_response(dialect, 429, retry_after)(scope, receive, send)
        elif fault == "drop":
            await drop_connection(send)
        else:  # lost_answer: the write commits, the answer never arrives

            async def swallow(message: Any) -> None:
                return None

            await super().__call__(scope, receive, swallow)
            if ctx.faults.lost_answer_as() == "drop":
                await drop_connection(send)
            else:
                await _error_response(dialect, 500, retry_after)(scope, receive, send)


def is_write(name: str) -> bool:
    return name != "token" and not name.startswith(("Get", "is"))


async def _hold(ctx: SandboxContext) -> None:
    ctx.faults.hold_started()
    await asyncio.sleep(ctx.faults.hold_seconds)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A fresh sandbox (own store, tokens, counters, faults) as an ASGI app."""
    config = config or SandboxConfig()
    routes = [
        Route("/v1/authorization/token", rest.token, methods=["POST"]),
        Route("/v1/clients", rest.patch_client, methods=["PATCH"]),
        Route("/v1/delivery/{client_uid}/methods", rest.put_method, methods=["PUT"]),
        Route("/v1/delivery/{client_uid}/methods/", rest.put_method, methods=["PUT"]),
        Route("/v1/delivery/{client_uid}/accounts", rest.put_account, methods=["PUT"]),
        Route("/v1/delivery/{client_uid}/accounts/", rest.put_account, methods=["PUT"]),
        Route("/service.asmx", soap.endpoint, methods=["POST"]),
        Route("/service.asmx/{method}", asmx.read, methods=["GET", "POST"]),
        *admin.ROUTES,
    ]
    app = SandboxApp(routes=routes, exception_handlers={
        _BodyTooLarge: _too_large_error, Exception: _unexpected_error})
    app.state.sandbox = SandboxContext(config)
    return app
