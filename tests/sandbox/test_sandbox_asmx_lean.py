"""The lean ASMX read path answers every request exactly as the Starlette route does.

Each request is sent at the ASGI level twice: once to the Starlette app alone (routing,
middleware, `asmx.read`, python-multipart) and once to the whole `SandboxApp`; the messages
sent back (status, headers, body) and any error raised must be the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from lexsync.sandbox import views
from lexsync.sandbox.app import SandboxApp, SandboxConfig, create_app
from lexsync.sandbox.faults import DroppedConnection

from .support import KEY, account_body, client_body, method_body

FORM = "application/x-www-form-urlencoded"
_STARLETTE = Starlette.__call__  # Starlette alone: routing, middleware, asmx.read
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]
Answer = tuple[list[Message], str | None]  # what was sent, and the error raised (if any)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    chunks: tuple[bytes, ...] = ()
    disconnect: bool = False  # the client goes away after the chunks
    root_path: str = ""


def get(name: str, query: str = "") -> Call:
    return Call("GET", f"/service.asmx/{name}", query.encode())


def post(name: str, body: str | bytes, ctype: str | None = FORM, query: str = "") -> Call:
    data = body.encode() if isinstance(body, str) else body
    headers = ((b"content-type", ctype.encode("latin-1")),) if ctype is not None else ()
    return Call("POST", f"/service.asmx/{name}", query.encode(), headers, (data,))


async def _run(handler: ASGI, call: Call) -> Answer:
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(call.chunks) - 1}
        for i, chunk in enumerate(call.chunks)
    ] or [{"type": "http.request", "body": b"", "more_body": False}]
    if call.disconnect:
        pending[-1]["more_body"] = True
        pending.append({"type": "http.disconnect"})
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": call.method, "scheme": "http", "path": call.path,
        "raw_path": call.path.encode(), "root_path": call.root_path,
        "query_string": call.query, "headers": list(call.headers),
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765),
    }  # fmt: skip
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await handler(scope, receive, send)
    except Exception as exc:
        return sent, f"{type(exc).__name__}: {exc}"
    return sent, None


def both(app: SandboxApp, call: Call) -> tuple[Answer, Answer]:
    """(the Starlette route's answer, the whole app's answer)."""

    async def starlette(scope: Scope, receive: Receive, send: Send) -> None:
        await _STARLETTE(app, scope, receive, send)

    return asyncio.run(_run(starlette, call)), asyncio.run(_run(app, call))


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    """One client 1001 with method 2001 and account 6001."""
    sandbox = create_app(SandboxConfig())
    assert isinstance(sandbox, SandboxApp)

    async def populate() -> None:
        transport = httpx.ASGITransport(app=sandbox)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            token = await http.post("/v1/authorization/token", json={
                "client_id": "sandbox", "client_secret": "sandbox-secret",
                "grant_type": "client_credentials"})  # fmt: skip
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
            for path, body in [
                ("/v1/clients", client_body()),
                ("/v1/delivery/1001/methods", method_body(1001)),
                ("/v1/delivery/1001/accounts", account_body(1001, 2001)),
            ]:
                r = await http.request("PATCH" if path == "/v1/clients" else "PUT", path,
                                       json=body, headers=auth)  # fmt: skip
                assert r.status_code == 200, r.text

    asyncio.run(populate())
    return sandbox


@pytest.fixture
def starlette_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths the whole app handed to Starlette (the lean path declined them)."""
    calls: list[str] = []

    async def counting(self: Starlette, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await _STARLETTE(self, scope, receive, send)

    monkeypatch.setattr(Starlette, "__call__", counting)
    yield calls


K = f"Key={KEY}"
MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="Key"\r\n\r\nsandbox-key\r\n'
    b'--b\r\nContent-Disposition: form-data; name="ClientUID"\r\n\r\n1001\r\n--b--\r\n'
)
UPLOAD = MULTIPART.replace(b'name="ClientUID"', b'name="ClientUID"; filename="x.txt"')
READS = [
    ("GetClientList", ""), ("GetClientData", "&ClientUID=1001"),
    ("GetClientAccounts", "&ClientUID=1001"),
    ("GetClientAccount", "&ClientUID=1001&AccountUID=6001"),
    ("GetClientAccount", "&ClientUID=1001&AccountUID=1"), ("GetClientGroups", ""),
    ("GetLeadTypes", "&LeadTypeUID=0"), ("GetLeadFields", "&LeadTypeUID=2"), ("GetStateList", ""),
    ("GetAllCriteriaAccounts", "&LeadTypeUID=1&LeadFieldUID=107&Value="),
    ("isUsernameUnique", "&Username=acme"), ("isUsernameUnique", "&Username=other"),
    ("GetClientData", "&ClientUID=999"),
]  # fmt: skip
# (case, whether the lean path answers it rather than Starlette)
CASES: list[tuple[Call, bool]] = [
    *((get(name, K + params), True) for name, params in READS),
    *((post(name, K + params), True) for name, params in READS),
    (post("GetClientData", "ClientUID=1001", query=K), True),  # key in query, rest in form
    (post("GetClientData", f"{K}&ClientUID=1", query="ClientUID=1001"), True),  # query wins
    (post("GetClientData", f"ClientUID=1001&{K}", query="Key=wrong"), True),
    (get("GetClientData", "kEY=sandbox-key&clientuid=1001"), True),
    (post("GetClientData", "KEY=sandbox-key&CLIENTUID=1001"), True),
    (get("GetClientData", "Key=wrong&ClientUID=1001"), True),
    (get("GetClientData", "ClientUID=1001"), True),
    (get("GetClientData", "Key=&ClientUID=1001"), True),
    (post("GetClientList", "Key=sandbox-keyx"), True),
    (get("GetEverything", K), True),
    (post("GetEverything", K), True),
    (post("GetEverything", "x" * 5000 + "&" * 1500, ctype="multipart/form-data"), True),
    (get("GetClientData", K), True),
    (post("GetClientAccount", f"{K}&ClientUID=1001"), True),
    *((get("GetClientData", f"{K}&ClientUID={v}"), True)
      for v in ("abc", "", "%20", "+7", "-0", "%2007%20", "1e3", "1.0", "%D9%A1", "9" * 20)),
    (get("GetClientData", f"{K}&ClientUID=1001&ClientUID=abc"), True),  # first one wins
    (post("GetClientData", f"{K}&ClientUID=abc&ClientUID=1001"), True),
    (post("GetClientData", "Key=wrong&key=sandbox-key&ClientUID=1001"), True),
    (post("isUsernameUnique", f"{K}&Username=a+b%20c%2Bd%25"), True),
    (post("isUsernameUnique", f"{K}&Username=%C3%A9%ff%zz%"), True),
    (post("isUsernameUnique", f"{K}&Username=".encode() + b"\xe9\xff"), True),
    # Values echoed in the error show how bytes and escapes were decoded.
    (post("GetClientData", f"{K}&ClientUID=".encode() + b"\xc3\xa9\xff%C3%A9%ff%zz+%2B"), True),
    (Call("GET", "/service.asmx/GetClientData", f"{K}&ClientUID=".encode() + b"\xc3\xa9%ff+"),
     True),
    (get("isUsernameUnique", f"{K}&Username=a+b%20c%2Bd&Username=x"), True),
    (post("GetClientData", "%4Bey=sandbox-key&Client%55ID=1001"), True),
    (post("GetClientData", f"&&{K}&&ClientUID=1001&&"), True),
    (post("GetClientData", f"=x&novalue&{K}&ClientUID&ClientUID=1001"), True),
    (post("GetClientData", f"{K};ClientUID=1001"), True),
    (post("GetClientData", f"{K}&ClientUID=1001;x=1"), True),
    (post("GetClientData", ""), True),
    (post("GetClientData", "", query=f"{K}&ClientUID=1001"), True),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype=f" {FORM}\t"), True),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype="Application/X-WWW-Form-UrlEncoded"), True),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype=FORM + "; charset=utf-8"), False),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype="text/plain"), False),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype="application/json"), False),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype=""), False),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype=None), False),
    (post("GetClientData", f"{K}&ClientUID=1001", ctype=None, query=f"{K}&ClientUID=1001"), False),
    (post("GetClientData", MULTIPART, ctype="multipart/form-data; boundary=b"), False),
    (post("GetClientData", UPLOAD, ctype="multipart/form-data; boundary=b", query=K), False),
    (Call("POST", "/service.asmx/GetClientData", b"",
          ((b"content-type", b"text/plain"), (b"content-type", FORM.encode())),
          (f"{K}&ClientUID=1001".encode(),)), False),  # Starlette reads the first one
    (Call("POST", "/service.asmx/GetClientData", b"",
          ((b"Content-Type", FORM.encode()),), (f"{K}&ClientUID=1001".encode(),)), False),
    (Call("POST", "/service.asmx/GetClientData", b"", ((b"content-type", FORM.encode()),),
          (b"Key=sandbox", b"-key&Client", b"UID=10", b"", b"01")), True),  # body in parts
    (Call("POST", "/service.asmx/GetClientData", b"", ((b"content-type", FORM.encode()),),
          (f"{K}&Client".encode(),), disconnect=True), False),
    (post("GetClientData", f"{K}&ClientUID=1001" + "&x=1" * 1000), False),  # Starlette's 400
    (post("GetClientData", f"{K}&ClientUID=1001" + "&x=1" * 998), True),
    (post("isUsernameUnique", f"{K}&Username=" + "u" * (1024 * 1024)), False),  # also a 400
    (Call("GET", "/service.asmx/GetClientData", f"{K}&ClientUID=1001".encode(),
          ((b"content-type", FORM.encode()),), (b"ClientUID=abc",)), True),  # GET: body unread
    (Call("HEAD", "/service.asmx/GetStateList", K.encode()), False),
    (Call("PUT", "/service.asmx/GetStateList", K.encode()), False),
    (Call("GET", "/service.asmx/GetStateList", K.encode(), root_path="/service.asmx"), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "lean"), CASES, ids=[f"{i}-{c.method}" for i, (c, _) in enumerate(CASES)]
)
def test_lean_path_answers_as_the_route(
    app: SandboxApp, starlette_calls: list[str], call: Call, lean: bool
) -> None:
    reference, answer = both(app, call)
    assert reference[0], "the route sent nothing"
    assert answer == reference
    assert starlette_calls == ([] if lean else [call.path])  # which path answered


_PIECES = st.sampled_from([
    f"{K}&", f"{K}&", "ClientUID=", "Username=", "LeadTypeUID=",
    "Key", "key", "KEY", "sandbox-key", "ClientUID", "clientuid", "Username", "LeadTypeUID",
    "1001", "07", "2", "abc", "=", "=", "&", "&", "+", " ", "%", "%2B", "%4B", "%3D", "%26",
    "%zz", "%C3%A9", "%ff", ";", "é", "\x00",
])  # fmt: skip
_TEXT = st.lists(_PIECES, max_size=14).map("".join)
_CTYPES = [FORM, FORM, FORM, None, FORM.title(), FORM + "; charset=utf-8", "text/plain"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST"]),
    name=st.sampled_from(
        ["GetClientData", "isUsernameUnique", "GetLeadTypes", "GetStateList", "Nope"]
    ),
    query=_TEXT,
    body=_TEXT,
    ctype=st.sampled_from(_CTYPES),
    cuts=st.lists(st.integers(0, 80), max_size=3),
)
def test_lean_path_fuzz(
    app: SandboxApp, method: str, name: str, query: str, body: str, ctype: str | None,
    cuts: list[int],
) -> None:  # fmt: skip
    data = body.encode()
    bounds = [0, *sorted(min(c, len(data)) for c in cuts), len(data)]
    chunks = tuple(data[a:b] for a, b in zip(bounds, bounds[1:], strict=False))
    headers = ((b"content-type", ctype.encode()),) if ctype is not None else ()
    call = Call(method, f"/service.asmx/{name}", query.encode(), headers, chunks)
    reference, answer = both(app, call)
    assert answer == reference


def test_sandbox_bug_is_the_services_500(app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "client_data", boom)
    for call in (get("GetClientData", f"{K}&ClientUID=4242"),
                 post("GetClientData", f"{K}&ClientUID=4243")):  # fmt: skip
        reference, answer = both(app, call)
        assert answer == reference
        [start, body] = answer[0]
        assert (
            start["status"] == 500 and body["body"] == b"System.Exception: An error has occurred."
        )
        assert answer[1] == "RuntimeError: bug"


def test_lean_reads_are_counted_and_faulted(app: SandboxApp) -> None:
    faults, requests = app.state.sandbox.faults, app.state.sandbox.requests
    call = post("GetClientData", f"{K}&ClientUID=1001")
    ok, _ = both(app, call)
    before = requests.snapshot().get("GetClientData", 0)
    faults.configure({"next": [{"kind": "lost_answer"}, {"kind": "error_500"},
                               {"kind": "rate_limit_429"}], "lost_answer_mode": "500"})  # fmt: skip
    for status in (500, 500, 429):
        sent, error = asyncio.run(_run(app, call))
        assert error is None and sent[0]["status"] == status
    faults.configure({"next": {"kind": "drop"}})
    sent, error = asyncio.run(_run(app, call))
    assert sent == [] and error is not None and error.startswith(DroppedConnection.__name__)
    assert requests.snapshot()["GetClientData"] == before + 4
    assert asyncio.run(_run(app, call)) == ok


def test_held_unknown_method_answers_as_the_route(app: SandboxApp) -> None:
    # `AddEditX` counts as a write, so hold_write can pick it; its answer is the route's.
    call = get("AddEditX", K)
    reference, _ = both(app, call)
    app.state.sandbox.faults.configure({"hold_write": 1, "hold_seconds": 0})
    try:
        assert asyncio.run(_run(app, call)) == reference
        assert app.state.sandbox.faults.holds_started == 1
    finally:
        app.state.sandbox.faults.configure({"hold_write": None})
