"""grow.py's copies are what an apply would have made: a grown network plans with no change,
and a change to a copied client is sent as an update of the copied objects."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
from starlette.applications import Starlette

from benchmarks.grow import grow
from benchmarks.workload import ENVIRONMENT, Shape, write_per_client
from lexsync.engine.plan import Action
from lexsync.engine.session import RunOptions, Session
from lexsync.sandbox.app import SandboxConfig, create_app

from .test_workload import CREDENTIALS

TABLES = ("clients", "methods", "settings", "mappings", "days", "accounts", "criteria")


def _session(directory: Path, app: Starlette) -> Session:
    return Session(RunOptions(config_path=directory, api_url="http://127.0.0.1",
                              transport=httpx.ASGITransport(app=app),
                              environ={**CREDENTIALS, **ENVIRONMENT}))


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_grown_network_plans_no_change_and_updates_its_copies_in_place(tmp_path: Path) -> None:
    directory, db = tmp_path / "network", tmp_path / "sandbox.db"
    app = create_app(SandboxConfig(db_path=str(db)))
    write_per_client(directory, Shape(20))
    session = _session(directory, app)
    _plan, result = asyncio.run(session.apply(lambda _plan: True))
    assert result is not None and not result.failed
    created = _rows(db)

    write_per_client(directory, Shape(45))
    assert grow(db, session.backend.path, 20, 45) == 25
    assert grow(db, session.backend.path, 20, 45) == 0  # grown already
    assert _rows(db) == {t: n * 45 // 20 for t, n in created.items()}
    bundle, _state = asyncio.run(_session(directory, app).plan())
    assert not bundle.plan.has_changes

    # Client 33 is a copy of client 13: its schedule, a value mapping and a criterion change.
    path = directory / "buyer00033.yaml"
    text = path.read_text()
    changed = text.replace('"18:00"', '"19:00"').replace("Nevada: NV", "Nevada: NX") \
        .replace("Greater, value: 2004}", "Greater, value: 2005}")
    assert changed.count("19:00") == 3 and "NX" in changed and "2005}" in changed
    path.write_text(changed)
    plan, result = asyncio.run(_session(directory, app).apply(lambda _plan: True))
    assert result is not None and not result.failed and not result.verify_problems
    assert {(c.address, c.action) for c in plan.changes if c.action is not Action.NOOP} == {
        *((f"client.buyer00033.delivery_method.m{m}", Action.UPDATE) for m in range(3)),
        ("client.buyer00033.delivery_account.a4", Action.UPDATE)}
    assert _rows(db) == {t: n * 45 // 20 for t, n in created.items()}  # updated in place
    bundle, _state = asyncio.run(_session(directory, app).plan())
    assert not bundle.plan.has_changes
