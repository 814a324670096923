"""SOAP 1.1 writes: AddEdit* envelopes posted to /service.asmx, the saved ID back when the
answer carries one (the seed texts say "No return properties available" for three of them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

import httpx

from lexsync.api import xmlcodec
from lexsync.api.asmx import key_refused
from lexsync.api.rest import name_hint
from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Check, Sender
from lexsync.api.wiretypes import (
    CLIENT_ACCOUNT,
    CLIENT_FIELD,
    CLIENT_GROUP,
    CLIENT_WRITE_ORDER,
    CRITERIA,
    DELIVERY,
    DELIVERY_DAY,
    DELIVERY_MAPPING,
    DELIVERY_SETTING,
    LIST_ITEM_TAGS,
)
from lexsync.errors import ApiError, AuthError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

# Element order per element name, from the reference (XmlSerializer reads in order).
ELEMENT_ORDER: dict[str, tuple[str, ...]] = {
    "Client": CLIENT_WRITE_ORDER,
    "Group": tuple(CLIENT_GROUP.fields),
    "delivery": tuple(DELIVERY.fields),
    "account": tuple(CLIENT_ACCOUNT.fields),
    CLIENT_FIELD.tag: tuple(CLIENT_FIELD.fields),
    CRITERIA.tag: tuple(CRITERIA.fields),
    DELIVERY_SETTING.tag: tuple(DELIVERY_SETTING.fields),
    DELIVERY_MAPPING.tag: tuple(DELIVERY_MAPPING.fields),
    DELIVERY_DAY.tag: tuple(DELIVERY_DAY.fields),
}


def envelope(method: str, namespace: str, parts: list[tuple[str, Any]],
             item_tags: Mapping[str, str] | None = None) -> str:
    """The SOAP 1.1 request: <{method} xmlns=namespace> with one element per part. The seed
    texts name no list item elements: `item_tags` (list field -> item element name) replaces
    lexsync's guesses (LIST_ITEM_TAGS) with the names LeadExec is known to use."""
    tags = dict(LIST_ITEM_TAGS)
    order = dict(ELEMENT_ORDER)
    for list_field, tag in (item_tags or {}).items():
        default = LIST_ITEM_TAGS.get(list_field)
        if default is not None and tag != default:
            tags[list_field] = tag
            order[tag] = ELEMENT_ORDER[default]
    tags.setdefault("Mappings", tags["FieldMappings"])  # the v1 table's name of that list
    body = "".join(xmlcodec.encode_element(name, value, tags, order) for name, value in parts)
    ns = xmlcodec.escape(namespace, {'"': "&quot;"})
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:soap="{SOAP_ENV}"><soap:Body>'
            f'<{method} xmlns="{ns}">{body}</{method}>'
            "</soap:Body></soap:Envelope>")


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if isinstance(child.tag, str) and xmlcodec.local(child.tag) == name:
            return child
    return None


def find_fault(root: Element) -> tuple[str, str] | None:
    """(faultcode, faultstring) of a SOAP fault answer, or None."""
    body = _child(root, "Body")
    fault = _child(body, "Fault") if body is not None else None
    if fault is None:
        return None
    code = _child(fault, "faultcode")
    text = _child(fault, "faultstring")
    return ((code.text or "").strip() if code is not None else "",
            (text.text or "").strip() if text is not None else "")


def parse_result(method: str, root: Element) -> int | None:
    """The ID in <{method}Response><{method}Result>; None when the answer carries none (a
    void method answers an empty <{method}Response/>: "No return properties available")."""
    if xmlcodec.local(root.tag) != "Envelope":
        raise ApiError(method, f"{method} answered <{xmlcodec.local(root.tag)}> "
                       "where a SOAP envelope was expected", 200)
    body = _child(root, "Body")
    response = _child(body, f"{method}Response") if body is not None else None
    if response is None:
        raise ApiError(method, f"{method} answered no {method}Response", 200)
    result = _child(response, f"{method}Result")
    text = (result.text or "").strip() if result is not None else ""
    try:
        saved = int(text)
    except ValueError:
        return None  # nothing, or not an ID (a boolean, say): the object is found by its key
    return saved if saved > 0 else None


class SoapWriter:
    def __init__(self, sender: Sender, settings: ApiSettings) -> None:
        self._sender = sender
        self._settings = settings

    def _check(self, method: str) -> Check:
        def check(response: httpx.Response) -> None:
            if response.is_success:
                return
            text = response.text
            try:
                root = xmlcodec.parse(method, text)
            except ApiError:
                root = None
            fault = find_fault(root) if root is not None else None
            if fault is None:
                if key_refused(text):
                    raise AuthError(method, "LeadExec refused the API key: "
                                    + self._sender.answer_text(response),
                                    response.status_code)
                return  # not a SOAP answer: the retry policy decides
            code, message = fault
            message = self._sender.redact(message) or "(empty faultstring)"
            if key_refused(message):
                raise AuthError(method, f"LeadExec refused the API key: {message}",
                                response.status_code)
            # soap:Client faults are rejections (validation): nothing was saved.
            # A soap:Server fault may have happened after saving.
            server_side = code.rsplit(":", 1)[-1] == "Server"
            raise ApiError(method, name_hint(message) + (" (LeadExec may have saved this write)"
                                                         if server_side else ""),
                           response.status_code, maybe_committed=server_side)
        return check

    async def call(self, method: str, parts: list[tuple[str, Mapping[str, Any] | list]],
                   item_tags: Mapping[str, str] | None = None) -> int | None:
        """Send one AddEdit*; the saved ID, or None when the answer carries none."""
        if not self._settings.api_key:
            raise AuthError(method, "SOAP writes need an API key (api_key is not set)")
        try:
            text = envelope(method, self._settings.namespace,
                            [("Key", self._settings.api_key), *parts], item_tags)
        except ValueError as exc:
            raise ApiError(method, f"cannot encode the request: {exc}") from None
        url = f"{self._settings.root}/service.asmx"
        headers = {"Content-Type": "text/xml; charset=utf-8",
                   "SOAPAction": f'"{self._settings.soap_action_prefix}{method}"'}
        content = text.encode("utf-8")
        sender = self._sender
        response = await sender.send(
            method, lambda: sender.build_request("POST", url, content=content, headers=headers),
            write=True, check=self._check(method))
        if not response.is_success:
            raise ApiError(method, self._sender.answer_text(response), response.status_code)
        if not response.content.strip():
            return None  # saved (a 2xx), nothing said: found by its natural key
        try:
            root = xmlcodec.parse(method, response.content)
            fault = find_fault(root)
            if fault is None:
                return parse_result(method, root)
        except ApiError as exc:
            # A 2xx whose ID we cannot read: the write may well be saved, so read back.
            raise ApiError(method, exc.answer, response.status_code,
                           maybe_committed=True) from None
        raise ApiError(method, self._sender.redact(fault[1]) or "(empty faultstring)",
                       response.status_code)
