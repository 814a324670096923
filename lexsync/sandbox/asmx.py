"""service.asmx reads over HTTP GET / form POST, answering bare XML like ASMX does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from lexsync.sandbox import seed, views, xmlio
from lexsync.sandbox.config import SandboxConfig
from lexsync.sandbox.context import SandboxContext
from lexsync.sandbox.store import Reader

XML_MEDIA = "text/xml; charset=utf-8"
_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")


def asmx_error(message: str) -> Response:
    """ASMX's answer to an exception on the HTTP GET/POST protocol: 500, plain text."""
    return PlainTextResponse(message, status_code=500)


@dataclass(frozen=True)
class Read:
    params: tuple[tuple[str, str], ...]  # (name, "int" | "str")
    answer: Callable[[Reader, dict[str, Any], SandboxConfig], bytes]


def naming(config: SandboxConfig) -> xmlio.Naming:
    """How the profile names list items (and a setting's value mappings) in answers."""
    names = config.names
    renames = {"FieldMappings": names.mappings} if names.mappings != "FieldMappings" else {}
    return xmlio.Naming(dict(names.items), renames)


def _array(
    type_name: Callable[[SandboxConfig], str],
    build: Callable[[Reader, dict[str, Any]], list[dict[str, Any]]],
    shape: xmlio.Shape | None = None,
):
    """An array answer: `ArrayOf{item}` holding one `{item}` per row, the item named by the
    profile (the seed texts name none)."""
    def answer(tx: Reader, args: dict[str, Any], config: SandboxConfig) -> bytes:
        return xmlio.array_document(type_name(config), build(tx, args), config.answer_ns, shape,
                                    naming(config))
    return answer


def _single_account(tx: Reader, args: dict[str, Any], config: SandboxConfig) -> bytes:
    account = tx.get("accounts", args["AccountUID"])
    if account is None or account.get("ClientUID") != args["ClientUID"]:
        return xmlio.object_document("ClientAccountType", None, config.answer_ns)
    [view] = views.accounts_view(tx, [account])
    return xmlio.object_document("ClientAccountType", view, config.answer_ns, views.ACCOUNT,
                                 naming(config))


def _client_list(tx: Reader, args: dict[str, Any], config: SandboxConfig) -> bytes:
    return xmlio.array_document(config.names.client_list,
                                views.client_list(tx, config.client_status), config.answer_ns)


def _named(type_name: str) -> Callable[[SandboxConfig], str]:
    """A type the seed texts name (ClientGroupType, ClientAccountType): the same everywhere."""
    return lambda config: type_name


READS: dict[str, Read] = {
    "GetClientList": Read((), _client_list),
    "GetClientData": Read(
        (("ClientUID", "int"),),
        _array(lambda c: c.names.client_field,
               lambda tx, a: views.client_data(tx, a["ClientUID"])),
    ),
    "GetClientAccounts": Read(
        (("ClientUID", "int"),),
        _array(
            _named("ClientAccountType"),
            lambda tx, a: views.client_accounts(tx, a["ClientUID"]),
            views.ACCOUNT,
        ),
    ),
    "GetClientAccount": Read((("ClientUID", "int"), ("AccountUID", "int")), _single_account),
    "GetClientGroups": Read((), _array(_named("ClientGroupType"),
                                       lambda tx, a: views.client_groups(tx))),
    "GetLeadTypes": Read(
        (("LeadTypeUID", "int"),),
        _array(lambda c: c.names.lead_type, lambda tx, a: views.lead_types(a["LeadTypeUID"])),
    ),
    "GetLeadFields": Read(
        (("LeadTypeUID", "int"),),
        _array(lambda c: c.names.lead_field, lambda tx, a: views.lead_fields(a["LeadTypeUID"])),
    ),
    "GetStateList": Read((), _array(lambda c: c.names.state,
                                    lambda tx, a: [dict(s) for s in seed.STATES])),
    "GetAllCriteriaAccounts": Read(
        (("LeadTypeUID", "int"), ("LeadFieldUID", "int"), ("Value", "str")),
        _array(
            _named("ClientAccountType"),
            lambda tx, a: views.criteria_accounts(
                tx, a["LeadTypeUID"], a["LeadFieldUID"], a["Value"]
            ),
            views.ACCOUNT,
        ),
    ),
    "isUsernameUnique": Read(
        (("Username", "str"),),
        lambda tx, a, config: xmlio.scalar_document(
            "boolean", views.is_username_unique(tx, a["Username"]), config.answer_ns
        ),
    ),
}


def collect_params(*sources: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The parameters of a read, sources in order (query string, then form); the first value
    of a name wins. ASP.NET reads them from a NameValueCollection: names are case-insensitive.
    Non-string values (a multipart upload) are not parameters."""
    raw: dict[str, str] = {}
    for source in sources:
        for key, value in source:
            if isinstance(value, str):
                raw.setdefault(key.lower(), value)
    return raw


def answer(ctx: SandboxContext, method: str, raw: dict[str, str]) -> Response:
    """The answer to read `method` with parameters `raw` (lower-cased names): the cached
    XML, or ASMX's plain-text 500. Shared by the Starlette route and the lean ASGI path."""
    spec = READS.get(method)
    if spec is None:
        return asmx_error(
            f"System.InvalidOperationException: {method} Web Service method name is not valid."
        )
    if raw.get("key") != ctx.config.api_key:
        return asmx_error("System.InvalidOperationException: Invalid API key.")
    args: dict[str, Any] = {}
    for name, kind in spec.params:
        if name.lower() not in raw:
            return asmx_error(f"System.InvalidOperationException: Missing parameter: {name}.")
        value = raw[name.lower()]
        if kind == "int":
            if not _INT_RE.match(value):
                return asmx_error(
                    f"System.ArgumentException: Cannot convert {value} to System.Int64.\r\n"
                    "Parameter name: type ---> System.FormatException: "
                    "Input string was not in a correct format."
                )
            args[name] = int(value)
        else:
            args[name] = value
    # Parsed arguments make the key, so `ClientUID=07` and `ClientUID=7` share an answer.
    body = ctx.store.answer(
        (method, *args.values()), lambda tx: spec.answer(tx, args, ctx.config)
    )
    return Response(body, media_type=XML_MEDIA)


def reads_form(method: str, http_method: str) -> bool:
    """Whether a read's body is parsed: a POST to a known method (an unknown one is refused
    before its body is looked at)."""
    return http_method == "POST" and method in READS


async def read(request: Request) -> Response:
    """The Starlette route of every ASMX read."""
    method = request.path_params["method"]
    form = await request.form() if reads_form(method, request.method) else None
    fields = form.multi_items() if form is not None else []
    raw = collect_params(request.query_params.multi_items(), fields)
    return answer(request.app.state.sandbox, method, raw)
