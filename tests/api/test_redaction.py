"""No secret reaches a log record or an error message."""

from __future__ import annotations

import logging

import httpx
import pytest
from apitest_helpers import API_KEY, CLIENT_SECRET, TOKEN, make_api, run, token_response

from lexsync.api.redact import redact
from lexsync.errors import ApiError

PASSWORDS = ("pw-client-42", "ftp-pw-777", "smtp-pw-888")


def test_redact_patterns() -> None:
    text = ("Key=abc123&ClientUID=5 <Key>k-1</Key> <soap:Password>p1</soap:Password> "
            '<FTPPassword xsi:type="x">f1</FTPPassword> <SMTPPassword>s1</SMTPPassword> '
            '{"Password": "p\\"2", "FTPPassword":"f2", "access_token": "t1"} '
            "Authorization: Bearer tok.123 'authorization': 'Bearer tok.456' "
            "client_secret=cs1")
    out = redact(text)
    for secret in ("abc123", "k-1", "p1", "f1", "s1", 'p\\"2', "f2", "t1", "tok.123",
                   "tok.456", "cs1"):
        assert secret not in out, (secret, out)
    assert "ClientUID=5" in out and "<Key>***</Key>" in out


def test_redact_known_values() -> None:
    assert redact("the key is SUPERSECRET here", ["SUPERSECRET"]) == "the key is *** here"


def test_no_secret_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    # Every answer echoes everything it got, as a badly behaved server might ...
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/authorization/token":
            return token_response()
        content = request.content.decode()
        # ... and repeats the passwords it received out of their field context.
        echo = (content + " " + str(dict(request.headers)) + " "
                + " ".join(p for p in PASSWORDS if p in content))
        return httpx.Response(400, text=echo)

    errors: list[str] = []
    body = {"Info": {"ClientUID": 0, "Password": PASSWORDS[0]}, "FieldData": []}
    method = {"ClientDeliveryUID": 0, "FTPPassword": PASSWORDS[1], "SMTPPassword": PASSWORDS[2]}

    async def go(dialect: str) -> None:
        async with make_api(handler, dialect=dialect) as api:
            for call in (api.write_client(body), api.write_method(5, method),
                         api.get_client_list()):
                try:
                    await call
                except ApiError as exc:
                    errors.append(str(exc))

    with caplog.at_level(logging.DEBUG):
        run(go("rest"))
        run(go("soap"))
    assert len(errors) == 6
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/v1/clients" in logged and "GetClientList" in logged  # we did log the calls
    everything = logged + "\n".join(errors)
    for secret in (API_KEY, CLIENT_SECRET, TOKEN, *PASSWORDS):
        assert secret not in everything


# A secret with every character the encodings below change.
ODD_SECRET = 'p@ss "w/rd"&<x>+é 1\\'


def echoed_forms(secret: str) -> dict[str, str]:
    """How a server may echo `secret` in an error answer."""
    import base64
    import html
    import json
    import re
    from urllib.parse import quote, quote_plus

    return {
        "json": json.dumps(secret)[1:-1],
        "json, non-ASCII kept": json.dumps(secret, ensure_ascii=False)[1:-1],
        "url": quote(secret, safe=""),
        "url, lower-case hex": re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(),
                                      quote(secret, safe="")),
        "form": quote_plus(secret),
        "xml text": html.escape(secret, quote=False),
        "xml attribute": html.escape(secret, quote=True),
        "xml numeric quotes": secret.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;").replace('"', "&#34;"),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 unpadded": base64.b64encode(secret.encode()).decode().rstrip("="),
        "base64 url-safe": base64.urlsafe_b64encode(secret.encode()).decode(),
    }


@pytest.mark.parametrize("form", sorted(echoed_forms(ODD_SECRET)))
def test_a_secret_echoed_in_an_encoding_is_redacted(form: str) -> None:
    echoed = echoed_forms(ODD_SECRET)[form]
    assert echoed != ODD_SECRET  # the encoding changed it: a plain replace would miss it
    out = redact(f"invalid value '{echoed}' for Username", [ODD_SECRET])
    assert echoed not in out and out == "invalid value '***' for Username"


def test_a_password_echoed_encoded_in_an_error_answer_never_reaches_the_message() -> None:
    forms = echoed_forms(ODD_SECRET)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/authorization/token":
            return token_response()
        return httpx.Response(400, text="rejected: " + " | ".join(forms.values()))

    body = {"Info": {"ClientUID": 0, "Password": ODD_SECRET}, "FieldData": []}

    async def go() -> str:
        async with make_api(handler) as api:
            with pytest.raises(ApiError) as info:
                await api.write_client(body)
            return str(info.value)

    message = run(go())
    assert message.startswith("PATCH /v1/clients failed (HTTP 400): rejected: ***")
    for form, echoed in forms.items():
        assert echoed not in message, form
