"""The v1 REST dialect: token, PATCH /v1/clients, PUT methods and accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from lexsync.sandbox import schemas, writes
from lexsync.sandbox.context import SandboxContext
from lexsync.sandbox.store import Tx
from lexsync.sandbox.validation import Schema, ValidationError, validate


def _ctx(request: Request) -> SandboxContext:
    return request.app.state.sandbox


def invalid(path: str, message: str) -> JSONResponse:
    """ASP.NET Web API's ModelState error shape, keyed by the field's dotted path."""
    return JSONResponse(
        {"Message": "The request is invalid.", "ModelState": {path: [message]}}, status_code=400
    )


async def token(request: Request) -> Response:
    """The token request, JSON or form-encoded (`token_encoding: either`), or only one of them:
    a JSON-only endpoint answers a form 415 (ASP.NET Web API's media-type refusal), a
    form-only OAuth2 server reads no grant_type from a JSON body (RFC 6749 section 5.2)."""
    ctx = _ctx(request)
    body = await request.body()
    params: Any
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    accepts = ctx.config.token_encoding
    if form and accepts == "json":
        content_type = request.headers.get("content-type", "")
        return JSONResponse({"Message": f"The request entity's media type '{content_type}' is "
                                        "not supported for this resource."}, status_code=415)
    if not form and accepts == "form":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    if form:
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    else:
        try:
            params = json.loads(body or b"null")
        except ValueError:
            params = None
    if not isinstance(params, dict):
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Body must be a JSON object."},
            status_code=400,
        )
    if params.get("grant_type") != "client_credentials":
        return JSONResponse(
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials.",
            },
            status_code=400,
        )
    if (
        params.get("client_id") != ctx.config.client_id
        or params.get("client_secret") != ctx.config.client_secret
    ):
        return JSONResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status_code=401,
        )
    return JSONResponse(
        {
            "access_token": ctx.tokens.issue(),
            "token_type": "Bearer",
            "expires_in": max(1, int(ctx.tokens.ttl_seconds)),
        }
    )


def _unauthorized(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value and _ctx(request).tokens.is_valid(value.strip()):
        return None
    return JSONResponse(
        {"error": "invalid_token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def _write(
    request: Request, schema: Schema, save: Callable[[Tx, dict[str, Any], writes.Rules], int]
) -> Response:
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        return JSONResponse(
            {
                "Message": f"The request entity's media type '{content_type}' is not supported "
                "for this resource."
            },
            status_code=415,
        )
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return invalid("", f"The request body is not valid JSON: {exc}")
    config = _ctx(request).config
    try:
        # Json.NET's default ignores members it does not know (`unknown_elements: skip`).
        data = validate(body, schema, "", xml=False,
                        skip_unknown=config.unknown_elements == "skip")
        with _ctx(request).store.transaction() as tx:
            saved = save(tx, data, writes.Rules.of(config))
    except ValidationError as exc:
        return invalid(exc.path, exc.message)
    return PlainTextResponse(str(saved))


def _path_client(request: Request) -> int | None:
    text = request.path_params["client_uid"]
    try:
        return int(text)
    except ValueError:
        return None


async def patch_client(request: Request) -> Response:
    def save(tx: Tx, data: dict[str, Any], rules: writes.Rules) -> int:
        return writes.save_client(
            tx, data["Info"], data.get("FieldData"), info_prefix="Info", value_key="Value",
            rules=rules,
        )

    return await _write(request, schemas.REST_CLIENT, save)


async def put_method(request: Request) -> Response:
    client_uid = _path_client(request)
    if client_uid is None:
        return invalid("ClientUID", "The ClientUID in the URL is not an integer.")
    if _ctx(request).config.rest_list_names == "table":
        # The v1 table's names: Settings holding Mappings.
        return await _write(
            request,
            schemas.REST_METHOD_TABLE,
            lambda tx, data, rules: writes.save_method(
                tx, _table_lists(data), path_client=client_uid, prefix="", rules=rules),
        )
    return await _write(
        request,
        schemas.REST_METHOD,
        lambda tx, data, rules: writes.save_method(tx, data, path_client=client_uid, prefix="",
                                                   rules=rules),
    )


def _table_lists(data: dict[str, Any]) -> dict[str, Any]:
    """A method validated with the table's list names, as the write logic reads it."""
    if "Settings" not in data:
        return data
    out = {k: v for k, v in data.items() if k != "Settings"}
    out["FieldSettings"] = [{("FieldMappings" if k == "Mappings" else k): v
                             for k, v in setting.items()} for setting in data["Settings"]]
    return out


async def put_account(request: Request) -> Response:
    client_uid = _path_client(request)
    if client_uid is None:
        return invalid("ClientUID", "The ClientUID in the URL is not an integer.")
    return await _write(
        request,
        schemas.REST_ACCOUNT,
        lambda tx, data, rules: writes.save_account(tx, data, path_client=client_uid, prefix="",
                                                    rules=rules),
    )
