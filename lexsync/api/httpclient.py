"""The one httpx.AsyncClient a LeadExecApi sends everything through, its TLS trust, and
what its transport's errors mean.

The transport is httpx-aiohttp's (aiohttp underneath): about a quarter of the CPU per
request of httpx's own, measured side by side (docs/reliability.md, "Transport"). The
environment is trusted as in any httpx program: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and
NO_PROXY choose the route (httpx reads them and mounts a proxied transport per pattern);
SSL_CERT_FILE or SSL_CERT_DIR the CA certificates, unless the `ca_bundle` setting names
them. Redirects are not followed (a 3xx is an error naming its Location: transport.Sender).
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from urllib.parse import urlsplit

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient

from lexsync import __version__
from lexsync.api.bounded import ACCEPT_ENCODING
from lexsync.api.settings import ApiSettings, SettingsError

USER_AGENT = f"lexsync/{__version__}"

# httpx-aiohttp raises aiohttp's own error where it maps none (a malformed answer), and maps
# every aiohttp connection error -- a server that hung up after reading the request
# included -- to httpx.ConnectTimeout. So what the retry policy must know, whether the
# request went out, is read from the aiohttp error behind the httpx one.
TRANSPORT_ERRORS = (httpx.TransportError, aiohttp.ClientError, OSError)
# Raised before a single byte of the request left: safe to repeat even a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
             ConnectionRefusedError)
_AIOHTTP_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


def _aiohttp_error(error: BaseException) -> aiohttp.ClientError | None:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, aiohttp.ClientError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def request_not_sent(error: BaseException) -> bool:
    """Whether the request certainly did not leave (nothing was connected)."""
    cause = _aiohttp_error(error)
    if cause is not None:
        return isinstance(cause, _AIOHTTP_NOT_SENT)
    return isinstance(error, _NOT_SENT)


def describe(error: BaseException) -> tuple[str, str]:
    """A transport error's name and detail as a person should read them."""
    cause = _aiohttp_error(error)
    if isinstance(cause, aiohttp.ClientResponseError) and not isinstance(
            cause, aiohttp.ClientHttpProxyError):
        return "malformed answer", cause.message.split("\n", 1)[0]
    if cause is not None and isinstance(error, httpx.ConnectTimeout):
        # httpx-aiohttp's name for any connection error: say what it was.
        if isinstance(cause, aiohttp.ConnectionTimeoutError):
            return "ConnectTimeout", str(cause)
        if isinstance(cause, aiohttp.ClientConnectorError):
            return "ConnectError", str(cause)
        return type(cause).__name__, str(cause)
    return type(error).__name__, str(error)


def trust_source(ca_bundle: str | None) -> tuple[str, str | None]:
    """Where the CA certificates come from, as a person would name it, and the path."""
    if ca_bundle:
        return "the ca_bundle setting", ca_bundle
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(variable):
            return variable, os.environ[variable]
    return "certifi", None


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Certificate verification against `ca_bundle`, else what httpx trusts by default.

    A CA file or directory that cannot be read is a SettingsError naming it.
    """
    source, path = trust_source(ca_bundle)
    try:
        if path is not None and not os.path.exists(path):
            # OpenSSL would take a missing directory without a word, and refuse every
            # certificate later.
            raise FileNotFoundError(2, "no such file or directory")
        if not ca_bundle:
            return httpx.create_ssl_context(verify=True, trust_env=True)
        if os.path.isdir(ca_bundle):
            return ssl.create_default_context(capath=ca_bundle)
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError(
            f"cannot load the CA certificates named by {source} ({path}): {reason}. "
            "Point it to a PEM file (or a directory of hashed certificates), or unset it "
            "to use the default ones") from None


def _check_proxies() -> None:
    """aiohttp reaches proxies over HTTP only: refuse another kind before any request. The
    URL is not echoed: it may carry a password."""
    for name, url in urllib.request.getproxies().items():
        if name == "no":
            continue
        variable = f"{name.upper()}_PROXY"
        try:
            scheme = urlsplit(url).scheme.lower() if "://" in url else "http"
            httpx.URL(url if "://" in url else f"http://{url}")
        except (ValueError, httpx.InvalidURL):
            raise SettingsError(f"the {variable} environment variable is not a URL lexsync "
                                "can use") from None
        if scheme not in ("http", "https"):
            raise SettingsError(f"the {variable} environment variable names a {scheme}:// "
                                "proxy; lexsync reaches proxies over http:// or https:// only")


def proxy_for(url: str) -> str | None:
    """The proxy the environment routes `url` through, as `VARIABLE (scheme://host:port)` --
    never its credentials -- or None for a direct connection."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    for name in (parts.scheme, "all"):
        found = proxies.get(name)
        if found:
            proxy = urlsplit(found if "://" in found else f"http://{found}")
            port = f":{proxy.port}" if proxy.port else ""
            return f"{name.upper()}_PROXY ({proxy.scheme}://{proxy.hostname}{port})"
    return None


def open_client(settings: ApiSettings,
                transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client for one LeadExecApi session. `transport` replaces the network (tests, the
    in-process sandbox); without it, proxies and CA certificates come from the environment."""
    # The Sender admits `parallelism` exchanges at once and each frees its connection before
    # it ends, so the pool holds that many connections and never makes a request wait.
    limits = httpx.Limits(max_connections=settings.parallelism,
                          max_keepalive_connections=settings.parallelism)
    options = {
        "timeout": httpx.Timeout(settings.timeout_seconds),
        "limits": limits,
        "headers": {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        "follow_redirects": False,
        "trust_env": True,
    }
    if transport is not None:
        return httpx.AsyncClient(transport=transport, **options)  # type: ignore[arg-type]
    verify = ssl_context(settings.ca_bundle)
    _check_proxies()
    try:
        return HttpxAiohttpClient(verify=verify, **options)  # type: ignore[arg-type]
    except (ValueError, httpx.InvalidURL):
        # Not echoed: a proxy URL may carry a password.
        raise SettingsError("a proxy URL set in the environment (HTTPS_PROXY, HTTP_PROXY, "
                            "ALL_PROXY) is not a URL lexsync can use") from None
