"""The real PostgreSQL server the postgres backend tests run against (`bash .ci/postgres.sh`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from lexsync.state.postgres import PostgresBackend

URL_ENV = "LEXSYNC_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The test server's URL. In CI a missing server fails the run instead of skipping."""
    url = os.environ.get(URL_ENV)
    if url:
        return url
    reason = (f"{URL_ENV} is not set; start a server with: "
              f"export {URL_ENV}=$(bash .ci/postgres.sh)")
    if os.environ.get("CI"):
        pytest.fail(f"postgres backend tests cannot run in CI: {reason}")
    pytest.skip(reason)


class Workspaces:
    """Backends on a fresh workspace per test, closed at teardown."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.workspace = f"test-{uuid.uuid4().hex[:12]}"
        self.opened: list[PostgresBackend] = []

    def __call__(self, history: int = 20) -> PostgresBackend:
        backend = PostgresBackend(self.url, workspace=self.workspace, history=history)
        self.opened.append(backend)
        return backend

    def close(self) -> None:
        for backend in self.opened:
            backend.close()


def workspaces() -> Iterator[Workspaces]:
    made = Workspaces(postgres_url())
    yield made
    made.close()
