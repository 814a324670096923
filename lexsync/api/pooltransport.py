"""An httpcore connection pool as an httpx transport.

httpx's own `AsyncHTTPTransport` cannot be given a network backend, so lexsync wraps
httpcore's pool itself. Errors come out as the httpx exceptions `AsyncHTTPTransport`
raises for them, which is what the retry policy (`transport.classify`) knows.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import httpcore
import httpx

# httpcore's exceptions and the httpx exception httpx's own transport raises for each.
HTTPX_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}


def httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError | None:
    """The httpx exception for an httpcore one (the most specific), or None for any other."""
    for cls in type(exc).__mro__:
        mapped = HTTPX_ERRORS.get(cls)
        if mapped is not None:
            return mapped(str(exc), request=request)
    return None


class _MappedStream(httpx.AsyncByteStream):
    """A response body from httpcore, its errors raised as httpx's."""

    def __init__(self, stream: AsyncIterable[bytes], request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as exc:
            mapped = httpx_error(exc, self._request)
            if mapped is None:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is None:
            return
        try:
            await close()
        except Exception as exc:
            mapped = httpx_error(exc, self._request)
            if mapped is None:
                raise
            raise mapped from exc


class PoolTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through an httpcore connection pool."""

    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                             target=url.raw_path),
            headers=request.headers.raw, content=request.stream,
            extensions=request.extensions)
        try:
            response = await self._pool.handle_async_request(core_request)
        except Exception as exc:
            mapped = httpx_error(exc, request)
            if mapped is None:
                raise
            raise mapped from exc
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_MappedStream(response.stream, request),
                              extensions=response.extensions)

    async def aclose(self) -> None:
        await self._pool.aclose()
