"""Mask secrets (API key, bearer token, client secret, passwords) in text we log or report."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with known secret values and secret-looking fields masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_LITERAL}, key=len,
                         reverse=True):
        text = text.replace(secret, MASK)
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
