"""service.asmx writes as SOAP 1.1: AddEditClient, AddEditClientGroup,
AddEditClientDelivery, AddEditClientAccount. Errors are SOAP faults with HTTP 500."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from lexsync.sandbox import profiles, scan, schemas, writes, xmlio
from lexsync.sandbox.context import SandboxContext
from lexsync.sandbox.store import Tx
from lexsync.sandbox.validation import (
    Field,
    Schema,
    ValidationError,
    local_name,
    validate,
    xml_to_data,
)

SOAP_EXCEPTION = "System.Web.Services.Protocols.SoapException: "


def fault(message: str, code: str = "soap:Client") -> Response:
    return Response(
        xmlio.soap_fault(code, SOAP_EXCEPTION + message),
        status_code=500,
        media_type="text/xml; charset=utf-8",
    )


@dataclass(frozen=True)
class Write:
    schema: Schema
    save: Callable[[Tx, dict[str, Any], writes.Rules], int]


def _params(name: str, *fields: Field) -> Schema:
    return Schema(name, (Field("Key", "str", True), *fields))


@functools.cache
def writes_for(xml_names: str) -> dict[str, Write]:
    """The four writes, their list item elements (and a setting's value-mapping list) named
    as the profile's `xml_names` says."""
    named = schemas.soap_schemas(xml_names)
    mappings = profiles.NAMES[xml_names].mappings
    return {
        "AddEditClient": Write(
            _params(
                "AddEditClient",
                Field("Client", "object", True, item=schemas.SOAP_CLIENT),
                named["field_data"],
            ),
            lambda tx, d, rules: writes.save_client(
                tx, d["Client"], d.get("FieldData"), info_prefix="Client", value_key="FieldValue",
                rules=rules,
            ),
        ),
        "AddEditClientGroup": Write(
            _params("AddEditClientGroup", Field("Group", "object", True, item=schemas.SOAP_GROUP)),
            lambda tx, d, rules: writes.save_group(tx, d["Group"], prefix="Group"),
        ),
        "AddEditClientDelivery": Write(
            _params("AddEditClientDelivery", Field("delivery", "object", True,
                                                   item=named["method"])),
            lambda tx, d, rules: writes.save_method(
                tx, writes.renamed_mappings(d["delivery"], mappings), path_client=None,
                prefix="delivery", rules=rules),
        ),
        "AddEditClientAccount": Write(
            _params("AddEditClientAccount", Field("account", "object", True,
                                                  item=named["account"])),
            lambda tx, d, rules: writes.save_account(tx, d["account"], path_client=None,
                                                     prefix="account", rules=rules),
        ),
    }


def answers_id(method: str, soap_ids: str) -> bool:
    """Whether a write's answer carries the saved ID under the profile's `soap_ids`: all of
    them, only AddEditClient (the one whose text says it returns the ID), or none."""
    return soap_ids == "all" or (soap_ids == "client" and method == "AddEditClient")


def action_method(soap_action: str | None, namespace: str) -> str | None:
    """The method a SOAPAction header names (quotes optional), if it is in our namespace."""
    if soap_action is None:
        return None
    action = soap_action.strip().strip('"')
    if not action.startswith(namespace):
        return None
    return action[len(namespace) :]


async def endpoint(request: Request) -> Response:
    ctx: SandboxContext = request.app.state.sandbox
    ns = ctx.config.namespace
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("text/xml"):
        return PlainTextResponse(
            f"System.InvalidOperationException: Request format is invalid: {content_type}.",
            status_code=500,
        )
    raw_action = request.headers.get("soapaction")
    method = action_method(raw_action, ns)
    config = ctx.config
    known = writes_for(config.xml_names)
    if method not in known and method != scan.METHOD:
        return fault(
            "Server did not recognize the value of HTTP Header SOAPAction: "
            f"{(raw_action or '').strip(chr(34))}."
        )
    try:
        envelope = xmlio.parse(await request.body())
    except xmlio.XmlSyntaxError as exc:
        return fault(f"Server was unable to read request. ---> {exc}")
    if envelope.tag != f"{{{xmlio.SOAP_ENV}}}Envelope":
        return fault(
            "Server was unable to read request. ---> Root element is not a SOAP 1.1 Envelope."
        )
    body = envelope.find(f"{{{xmlio.SOAP_ENV}}}Body")
    if body is None or len(body) != 1:
        return fault(
            "Server was unable to read request. ---> The Body must hold exactly one element."
        )
    call = body[0]
    if call.tag != f"{{{ns}}}{method}":
        return fault(
            f"Unable to handle request: body element '{local_name(call.tag)}' does not match "
            f"SOAPAction '{method}' in namespace '{ns}'."
        )
    key = call.find(f"{{{ns}}}Key")
    if key is None or (key.text or "") != ctx.config.api_key:
        return fault("Invalid API key.")
    if method == scan.METHOD:  # the one SOAP read: it takes an array
        answer, problem = scan.answer(ctx, call, ns)
        return fault(problem) if answer is None else Response(answer, media_type="text/xml; charset=utf-8")
    write = known[method]
    skip = config.unknown_elements == "skip"
    try:
        data = validate(xml_to_data(call, write.schema, "", ns, skip_unknown=skip), write.schema,
                        "", xml=True)
        with ctx.store.transaction() as tx:
            saved = write.save(tx, data, writes.Rules.of(config))
    except ValidationError as exc:
        return fault(f"{exc.path}: {exc.message}")
    result = saved if answers_id(method, config.soap_ids) else None
    return Response(xmlio.soap_response(method, result, ns), media_type="text/xml; charset=utf-8")
