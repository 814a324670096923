"""Which state backend a run uses: --state FILE, then LEXSYNC_STATE_URL, then the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lexsync.errors import StateError
from lexsync.state.backend import StateBackend
from lexsync.state.local import LocalBackend

STATE_URL_ENV = "LEXSYNC_STATE_URL"
STATE_WORKSPACE_ENV = "LEXSYNC_STATE_WORKSPACE"


def open_backend(settings: Any, root: Path, environ: Mapping[str, str],
                 override_path: Path | None = None) -> StateBackend:
    """The backend for `settings` (a StateSettings); `root` anchors a relative local path.

    An explicit state file always wins, so `--state FILE` works on a postgres project too.
    """
    if override_path is not None:
        return LocalBackend(Path(override_path))
    url = environ.get(STATE_URL_ENV) or None
    backend = "postgres" if url else getattr(settings, "backend", "local")
    if backend == "postgres":
        url = url or getattr(settings, "url", None)
        if not url:
            raise StateError(f"the postgres state backend needs a database URL: set {STATE_URL_ENV} "
                             "or lexsync.state.url (e.g. ${env:LEXSYNC_STATE_URL})")
        return postgres_backend(url, settings, environ)
    return LocalBackend(root / settings.path)


def postgres_backend(url: str, settings: Any, environ: Mapping[str, str]) -> StateBackend:
    from lexsync.state.postgres import DEFAULT_HISTORY, DEFAULT_WORKSPACE, PostgresBackend

    workspace = (environ.get(STATE_WORKSPACE_ENV)
                 or getattr(settings, "workspace", None) or DEFAULT_WORKSPACE)
    history = getattr(settings, "history", None) or DEFAULT_HISTORY
    return PostgresBackend(url, workspace=workspace, history=history)


def describe(backend: Any) -> str:
    """A short name for messages: the file path or the database and workspace."""
    return str(getattr(backend, "path", None) or getattr(backend, "name", backend))


def state_exists(backend: Any) -> bool:
    exists = getattr(backend, "exists", None)
    if exists is not None:
        return bool(exists())
    return Path(backend.path).exists()
