"""Admin endpoints under /_sandbox/: inspect and steer the sandbox from tests.

They are never counted, delayed or faulted.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lexsync.sandbox import views
from lexsync.sandbox.context import SandboxContext
from lexsync.sandbox.store import TABLES


def _ctx(request: Request) -> SandboxContext:
    return request.app.state.sandbox


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        return {}
    return json.loads(body)


async def dump(request: Request) -> Response:
    with _ctx(request).store.reading() as tx:
        return JSONResponse(views.dump(tx))


async def reset(request: Request) -> Response:
    ctx = _ctx(request)
    ctx.store.reset()
    ctx.requests.reset()
    ctx.faults.clear_forced()
    return JSONResponse({"ok": True})


async def requests_get(request: Request) -> Response:
    return JSONResponse(_ctx(request).requests.snapshot())


async def requests_reset(request: Request) -> Response:
    _ctx(request).requests.reset()
    return JSONResponse({"ok": True})


async def faults(request: Request) -> Response:
    ctx = _ctx(request)
    if request.method == "POST":
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise ValueError("body must be a JSON object")
            ctx.faults.configure(payload)
        except ValueError as exc:
            return _bad(str(exc))
    return JSONResponse(ctx.faults.describe())


async def mutate(request: Request) -> Response:
    """Change (or delete) one stored object behind the API's back, for drift tests."""
    try:
        payload = await _json_body(request)
    except ValueError as exc:
        return _bad(f"body is not JSON: {exc}")
    if not isinstance(payload, dict):
        return _bad("body must be a JSON object")
    table = payload.get("table")
    obj_id = payload.get("id")
    if table not in TABLES:
        return _bad(f"table must be one of {sorted(TABLES)}")
    if isinstance(obj_id, bool) or not isinstance(obj_id, int):
        return _bad("id must be an integer")
    changes = payload.get("set", {})
    if not isinstance(changes, dict):
        return _bad("set must be an object")
    id_field = TABLES[table].id_field
    with _ctx(request).store.transaction() as tx:
        current = tx.get(table, obj_id)
        if current is None:
            return _bad(f"{table} {obj_id} does not exist", 404)
        if payload.get("delete"):
            tx.delete(table, obj_id)
            return JSONResponse({"deleted": {"table": table, "id": obj_id}})
        if id_field in changes:
            return _bad(f"{id_field} cannot be changed")
        for key, value in changes.items():
            if key == "FieldData" and table == "clients" and isinstance(value, dict):
                current["FieldData"] = {
                    **current.get("FieldData", {}),
                    **{str(k): v for k, v in value.items()},
                }
            elif value is None:
                current.pop(key, None)  # null removes the attribute
            else:
                current[key] = value
        tx.update(table, obj_id, current)
        return JSONResponse(current)


async def expire_tokens(request: Request) -> Response:
    _ctx(request).tokens.expire_all()
    return JSONResponse({"ok": True})


async def clock(request: Request) -> Response:
    """POST {"now": ISO date-time with an offset, or null for the real clock}."""
    ctx = _ctx(request)
    if request.method == "POST":
        try:
            payload = await _json_body(request)
            value = payload.get("now") if isinstance(payload, dict) else None
            moment = datetime.fromisoformat(value) if value is not None else None
            if moment is not None and moment.tzinfo is None:
                raise ValueError("now needs an offset, e.g. 2025-06-01T21:00:00-05:00")
        except (ValueError, TypeError) as exc:
            return _bad(f"now must be an ISO date-time with an offset or null: {exc}")
        ctx.fixed_now = moment
    return JSONResponse({"now": ctx.now().isoformat(), "fixed": ctx.fixed_now is not None})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


ROUTES: list[Route] = [
    Route("/_sandbox/health", health, methods=["GET"]),
    Route("/_sandbox/dump", dump, methods=["GET"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/requests", requests_get, methods=["GET"]),
    Route("/_sandbox/requests/reset", requests_reset, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
    Route("/_sandbox/mutate", mutate, methods=["POST"]),
    Route("/_sandbox/tokens/expire", expire_tokens, methods=["POST"]),
    Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
]
