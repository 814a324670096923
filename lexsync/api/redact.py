"""Mask secrets (API key, bearer token, client secret, passwords) in text we log or report."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

MASK = "***"
_SECRET_NAMES = r"Key|Password|FTPPassword|SMTPPassword|client_secret|access_token"

_PATTERNS: list[re.Pattern[str]] = [
    # form / query strings: Key=abc&...  Password=...
    re.compile(rf"(?i)(?<![\w.])((?:{_SECRET_NAMES})=)[^&\s\"'<]*"),
    # XML elements: <Key>abc</Key>, <soap:Password>..., <FTPPassword xsi:type="...">...
    re.compile(rf"(?i)(<(?:[\w.-]+:)?(?:{_SECRET_NAMES})(?:\s[^>]*)?>)[^<]*"),
    # JSON members: "Password": "abc"
    re.compile(rf'(?i)("(?:{_SECRET_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"'),
    # headers, in any rendering: Authorization: Bearer abc / 'authorization': 'Bearer abc'
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+)?)[^\s'\",}]+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
]

# Very short secrets would mask ordinary words; the patterns above still catch them in context.
_MIN_LITERAL = 4


_PERCENT = re.compile(r"%[0-9A-F]{2}")


@functools.lru_cache(maxsize=256)
def spellings(secret: str) -> frozenset[str]:
    """`secret` as a server may echo it: as is, JSON-escaped, percent- or form-encoded (either
    case of hex), XML-escaped (named or numeric quotes), base64 (standard or URL-safe)."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             escape(secret), escape(secret, {'"': "&quot;", "'": "&apos;"}),
             escape(secret, {'"': "&#34;", "'": "&#39;"})}
    errors = "surrogatepass"  # an environment value may hold undecodable bytes
    for encoded in (quote(secret, safe="", errors=errors), quote(secret, errors=errors),
                    quote_plus(secret, errors=errors)):
        forms |= {encoded, _PERCENT.sub(lambda m: m.group().lower(), encoded)}
    raw = secret.encode("utf-8", errors)
    for encoded_bytes in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        encoded = encoded_bytes.decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return frozenset(forms)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with known secret values (in the usual encodings) and secret-looking
    fields masked."""
    forms = {form for s in secrets if s and len(s) >= _MIN_LITERAL for form in spellings(s)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class Redactor:
    """Remembers the secrets of one session (the token arrives later) and masks them."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets)


def clip(text: str, limit: int = 500) -> str:
    """Shorten an answer for an error message."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " …(truncated)"
