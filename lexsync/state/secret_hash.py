"""Secrets as state keeps them: scrypt hashes salted per state, computed only when needed.

A plan compares each client's and method's password as configured with the one LeadExec
answers, and the live passwords of every client it reads are hashed too, so hashing every one
with scrypt (tens of milliseconds each) would cost a plan of 1,000 buyers with their own
passwords most of a minute. A `SecretHash` therefore holds the secret and computes its hash
only when one is needed:

* compared with another `SecretHash` of the same state (configuration against LeadExec, the
  usual case), the secrets are compared: no hashing;
* compared with a hash read from state (a method LeadExec cannot show), its own hash is
  computed with the parameters stored in that hash, once per secret and parameters per run;
* written to state, its hash is computed (`stored`); the state's JSON encoders call `to_json`;
* as text (`str`: what a saved plan's digests read), it gives a token keyed by one scrypt
  over every secret of the run, so a digest changes when any secret does, yet a saved plan
  costs one scrypt, not one per secret. Guessing a secret from a digest still costs a scrypt
  per guess. The key is fixed at the first `str`, which comes after the plan is made.

Hashes of the old form, `sha256:` + SHA-256(salt + secret), still compare equal, so a state
written by an older lexsync plans no spurious password change; a document rewrites each old
hash whose secret the run has seen in the new form when it is next written.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from typing import Any

# scrypt's parameters for interactive use (its paper): 16 MiB and ~50 ms of one CPU each.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SCRYPT_PREFIX = "scrypt:"
LEGACY_PREFIX = "sha256:"
TOKEN_PREFIX = "secret:"
_MAXMEM = 64 * 1024 * 1024  # above 128 * r * n, so the parameters stored in a hash are accepted


# Hashes computed in this process, by (secret, salt, n, r, p): each secret is hashed once per
# run, whoever asks. Set and read whole under the GIL; two threads may both compute one.
_cache: dict[tuple[str, str, int, int, int], str] = {}


def _scrypt_hex(secret: str, salt: str, n: int, r: int, p: int) -> str:
    key = (secret, salt, n, r, p)
    found = _cache.get(key)
    if found is None:
        # hashlib releases the GIL while it works, so worker threads hash in parallel.
        found = _cache[key] = hashlib.scrypt(
            secret.encode("utf-8"), salt=salt.encode("utf-8"), n=n, r=r, p=p, maxmem=_MAXMEM,
            dklen=SCRYPT_DKLEN).hex()
    return found


def clear_cache() -> None:
    _cache.clear()


def scrypt_hash(secret: str, salt: str) -> str:
    return (f"{SCRYPT_PREFIX}{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:"
            f"{_scrypt_hex(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)}")


def legacy_hash(secret: str, salt: str) -> str:
    """The form states kept before scrypt: one SHA-256 of salt and secret."""
    return LEGACY_PREFIX + hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()


def _matches(secret: str, salt: str, stored: str) -> bool:
    if stored.startswith(SCRYPT_PREFIX):
        parts = stored[len(SCRYPT_PREFIX):].split(":")
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            return False
        n, r, p = (int(x) for x in parts[:3])
        if n < 2 or n & (n - 1) or not 0 < r * p < 2**30 or 128 * r * n > _MAXMEM:
            return False
        return hmac.compare_digest(_scrypt_hex(secret, salt, n, r, p), parts[3])
    if stored.startswith(LEGACY_PREFIX):
        return hmac.compare_digest(legacy_hash(secret, salt), stored)
    return False


class SecretKeeper:
    """The secrets one state document hashed during a run, and what they rewrite."""

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._seen: set[str] = set()
        self._token_key: bytes | None = None
        self._guard = threading.Lock()  # the configuration is expanded on a worker thread
        self.legacy: set[str] = set()  # old-form hashes the document holds
        self.upgrades: dict[str, SecretHash] = {}  # old-form hash -> its secret's new hash

    def hash(self, secret: str) -> SecretHash:
        value = SecretHash(self, secret)
        with self._guard:
            self._seen.add(secret)
            if self.legacy:
                old = legacy_hash(secret, self.salt)
                if old in self.legacy:
                    self.upgrades[old] = value
        return value

    def token(self, secret: str) -> str:
        with self._guard:
            if self._token_key is None:
                material = b"".join(len(s.encode()).to_bytes(4, "big") + s.encode()
                                    for s in sorted(self._seen))
                self._token_key = hashlib.scrypt(material, salt=self.salt.encode("utf-8"),
                                                 n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                                                 maxmem=_MAXMEM, dklen=SCRYPT_DKLEN)
            key = self._token_key
        return TOKEN_PREFIX + hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()


class SecretHash:
    """A secret's salted hash, computed when needed (see the module's docstring)."""

    __slots__ = ("_keeper", "_secret")

    def __init__(self, keeper: SecretKeeper, secret: str) -> None:
        self._keeper = keeper
        self._secret = secret

    def stored(self) -> str:
        """The hash as state keeps it."""
        return scrypt_hash(self._secret, self._keeper.salt)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecretHash):
            return other._keeper.salt == self._keeper.salt and hmac.compare_digest(
                self._secret.encode("utf-8"), other._secret.encode("utf-8"))
        if isinstance(other, str):
            return _matches(self._secret, self._keeper.salt, other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.stored())  # equal to the stored text, so hashed alike

    def __str__(self) -> str:
        return self._keeper.token(self._secret)

    def __repr__(self) -> str:
        return "SecretHash(<sensitive>)"

    def __copy__(self) -> SecretHash:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretHash:
        return self

    def __reduce__(self) -> Any:
        raise TypeError("a SecretHash holds a secret and is not pickled")


def stored(value: SecretHash) -> str:
    return value.stored()


def unstored(value: Any) -> list[SecretHash]:
    """The SecretHash values inside `value` whose stored hash is not computed yet; an apply
    computes them on a worker thread before it writes them (`hash_all`)."""
    if isinstance(value, SecretHash):
        key = (value._secret, value._keeper.salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return [] if key in _cache else [value]
    if isinstance(value, dict):
        return [h for item in value.values() for h in unstored(item)]
    if isinstance(value, list):
        return [h for item in value for h in unstored(item)]
    return []


def hash_all(values: list[SecretHash]) -> None:
    for value in values:
        value.stored()


def to_json(value: Any) -> str:
    """`default=` for the JSON encoders that write state: a SecretHash as its stored hash."""
    if isinstance(value, SecretHash):
        return value.stored()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def legacy_hashes(value: Any) -> Iterator[str]:
    """Every old-form hash inside a JSON value."""
    if isinstance(value, str):
        if value.startswith(LEGACY_PREFIX) and len(value) == len(LEGACY_PREFIX) + 64:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from legacy_hashes(item)
    elif isinstance(value, list):
        for item in value:
            yield from legacy_hashes(item)


def upgraded(value: Any, upgrades: dict[str, SecretHash]) -> Any:
    """`value` with each old-form hash in `upgrades` replaced by its new hash (a copy where
    anything was replaced)."""
    if isinstance(value, str):
        return upgrades.get(value, value)
    if isinstance(value, dict):
        return {k: upgraded(v, upgrades) for k, v in value.items()}
    if isinstance(value, list):
        return [upgraded(v, upgrades) for v in value]
    return value
