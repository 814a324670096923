"""ASMX reads: POST form-encoded to /service.asmx/{Method}, bare XML back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree.ElementTree import Element

import httpx

from lexsync.api import xmlcodec
from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Check, Sender
from lexsync.errors import ApiError, AuthError

_KEY_REFUSED = re.compile(r"invalid\s+(api\s+)?key|api\s+key\s+(is\s+)?(invalid|missing|required)",
                          re.IGNORECASE)


def key_refused(text: str) -> bool:
    """Does an ASMX answer say the API key is wrong or missing?"""
    return bool(_KEY_REFUSED.search(text))


class AsmxReader:
    def __init__(self, sender: Sender, settings: ApiSettings) -> None:
        self._sender = sender
        self._settings = settings

    def _check(self, call: str) -> Check:
        def check(response: httpx.Response) -> None:
            # A refused key or an unknown method answers 500; neither may be retried like
            # a server fault.
            if response.is_success:
                return
            if key_refused(response.text):
                raise AuthError(call, "LeadExec refused the API key: "
                                + self._sender.answer_text(response), response.status_code)
            if "method name is not valid" in response.text:
                raise ApiError(call, self._sender.answer_text(response), response.status_code)
        return check

    async def call(self, method: str, params: Mapping[str, object] | None = None) -> Element:
        """Call a Get* method and return the parsed root element."""
        if not self._settings.api_key:
            raise AuthError(method, "reads need an API key (api_key is not set)")
        # The Key goes in the form body, never the URL, so no log line can show it.
        form = {"Key": self._settings.api_key}
        for name, value in (params or {}).items():
            form[name] = xmlcodec.encode_scalar(value)
        url = f"{self._settings.root}/service.asmx/{method}"
        sender = self._sender
        response = await sender.send(
            method, lambda: sender.build_request("POST", url, data=form), write=False,
            check=self._check(method))
        if not response.is_success:
            raise ApiError(method, self._sender.answer_text(response), response.status_code)
        return xmlcodec.parse(method, response.content)
