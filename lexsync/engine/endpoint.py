"""Which LeadExec a state describes: its base URL and a fingerprint of the account.

State's remote IDs mean something only in the LeadExec they came from. The first apply (or
import) records the API's base URL and slow, salted hashes of the API key and the REST
client id; a later plan, apply, drift or import that reaches another API stops before it
reads or writes anything it would mix up. The hashes use scrypt with the state's own salt,
so the credentials cannot be guessed from a state file, and equal keys in two states do not
look equal.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lexsync.errors import AuthError, LexsyncError
from lexsync.state.document import StateDocument

T = TypeVar("T")

# scrypt's interactive-login cost: tens of milliseconds per hash, on a worker thread.
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 16}
_PREFIX = "scrypt:"
CREDENTIALS = ("api_key", "client_id")
SHOWN = 12  # characters of a fingerprint shown to people


class EndpointMismatch(LexsyncError):
    """The state belongs to another LeadExec than the one this run reaches."""


@dataclass(frozen=True)
class Endpoint:
    """The LeadExec a run reaches. The credentials are held only to be hashed."""

    url: str
    api_key: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)

    def credential(self, name: str) -> str | None:
        return self.api_key if name == "api_key" else self.client_id


def normal_url(url: str) -> str:
    """scheme://host[:port]/path, lower-case scheme and host, default port and trailing / dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (scheme, port) not in (("https", 443), ("http", 80)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


@functools.lru_cache(maxsize=8)  # a run checks, then records, with the same state's salt
def fingerprint(secret: str, salt: str) -> str:
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt.encode("utf-8"), **_SCRYPT)
    return _PREFIX + digest.hex()


def _fingerprints(endpoint: Endpoint, salt: str, only: set[str] | None = None) -> dict[str, str]:
    out = {}
    for name in CREDENTIALS:
        value = endpoint.credential(name)
        if value and (only is None or name in only):
            out[name] = fingerprint(value, salt)
    return out


def describe(record: dict[str, Any]) -> str:
    """"https://api.leadexec.net (account 1a2b3c4d5e6f)" for a recorded endpoint."""
    account = str(record.get("api_key") or record.get("client_id") or "")
    shown = account.removeprefix(_PREFIX)[:SHOWN]
    return f"{record.get('url')} (account {shown or 'unknown'})"


def mismatch(state: StateDocument, endpoint: Endpoint | None) -> str | None:
    """Why `state` does not describe the LeadExec `endpoint` reaches, or None when it does (or
    when the state has never recorded one)."""
    recorded = state.endpoint
    if not recorded or endpoint is None:
        return None
    now: dict[str, Any] = {"url": normal_url(endpoint.url)}
    both = {name for name in CREDENTIALS if recorded.get(name) and endpoint.credential(name)}
    now.update(_fingerprints(endpoint, state.secret_salt, both))
    if now["url"] == recorded.get("url") and all(now[n] == recorded[n] for n in both):
        return None
    if now["url"] == recorded.get("url"):
        differs = " and ".join(name.replace("_", " ") for name in sorted(both)
                               if now[name] != recorded[name])
        what = f"the same URL with another account ({differs} differ)"
    else:
        what = "another LeadExec"
    return (f"this state (lineage {state.lineage}) describes LeadExec at {describe(recorded)}, "
            f"but this run reaches {describe(now)}: {what}. Its IDs mean nothing there, so "
            "lexsync stopped before planning or writing anything. Use the state that belongs to that LeadExec (--state "
            "FILE, or its own postgres workspace), or start a new one there (another --state "
            "path or workspace, then lexsync import or apply). If it is the same account under "
            "a new URL or new credentials, run `lexsync state forget-endpoint` and the next "
            "apply records the new one.")


def check(state: StateDocument, endpoint: Endpoint | None) -> None:
    problem = mismatch(state, endpoint)
    if problem:
        raise EndpointMismatch(problem)


async def check_in_thread(state: StateDocument, endpoint: Endpoint | None) -> None:
    """`check` on a worker thread: the hashes take tens of milliseconds, reads go on meanwhile."""
    if state.endpoint and endpoint is not None:
        await asyncio.to_thread(check, state, endpoint)


async def checked_beside(state: StateDocument, endpoint: Endpoint | None,
                         work: Awaitable[T]) -> T:
    """`work` (the reads) while the state's endpoint is checked on a thread. A state of another
    LeadExec is reported as such whatever the reads answered (reads of the wrong LeadExec
    fail for that reason: no such client), unless LeadExec refused the credentials: a key it
    calls invalid is what to fix, not the state. The check refusing first stops the reads;
    nothing is left running either way."""
    check = asyncio.ensure_future(check_in_thread(state, endpoint))
    job = asyncio.ensure_future(work)
    try:
        await asyncio.wait((check, job), return_when=asyncio.FIRST_EXCEPTION)
        if job.done() and not job.cancelled() and isinstance(job.exception(), AuthError):
            return await job  # (raises it)
        if not job.done():  # the check refused first
            job.cancel()
        await check  # its refusal, if any, is the one told
        return await job
    finally:
        for task in (check, job):
            task.cancel()
        await asyncio.gather(check, job, return_exceptions=True)


def record(state: StateDocument, endpoint: Endpoint | None) -> bool:
    """Record the endpoint in state (first apply or import, or credentials it lacked). True
    when state changed. A credential this run does not use keeps its recorded hash."""
    if endpoint is None:
        return False
    recorded = dict(state.endpoint or {})
    wanted = {"url": normal_url(endpoint.url)}
    missing = {n for n in CREDENTIALS if endpoint.credential(n)
               and not (recorded.get(n) and recorded.get("url") == wanted["url"])}
    wanted.update(_fingerprints(endpoint, state.secret_salt, missing))
    updated = {**recorded, **wanted}
    if updated == recorded:
        return False
    state.endpoint = updated
    return True


def summary(state: StateDocument) -> dict[str, Any]:
    """What `lexsync state show` prints about the whole state."""
    return {
        "lineage": state.lineage, "serial": state.serial, "version": state.version,
        "endpoint": dict(state.endpoint) if state.endpoint else None,
        "resources": len(state.resources), "pending_creates": sorted(state.pending),
    }
