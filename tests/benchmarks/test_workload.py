"""The benchmark's workload generator stays valid: 3 clients load, validate and plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from benchmarks.workload import ENVIRONMENT, Shape, render, write
from lexsync.config.loader import load_configuration
from lexsync.engine.plan import Action
from lexsync.engine.session import RunOptions, Session
from lexsync.sandbox.app import SandboxConfig, create_app

CREDENTIALS = {"LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}


def test_workload_has_the_requested_shape(tmp_path: Path) -> None:
    shape = Shape(3)
    loaded = load_configuration(write(tmp_path, shape), ENVIRONMENT)
    clients = loaded.model.clients
    assert len(clients) == 3
    for client in clients.values():
        assert len(client.delivery_methods) == shape.methods
        assert len(client.delivery_accounts) == shape.accounts
        assert all(len(m.field_mappings) == shape.mappings for m in client.delivery_methods.values())
        assert all(len(a.criteria) == shape.criteria for a in client.delivery_accounts.values())


def test_price_bump_changes_exactly_one_account() -> None:
    before, after = render(Shape(3)).splitlines(), render(Shape(3), price_bump=1).splitlines()
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == \
        [("        price: 20", "        price: 21")]


def test_workload_plans_against_the_sandbox(tmp_path: Path) -> None:
    shape = Shape(3)
    options = RunOptions(config_path=write(tmp_path, shape), api_url="http://127.0.0.1",
                         transport=httpx.ASGITransport(app=create_app(SandboxConfig())),
                         environ={**CREDENTIALS, **ENVIRONMENT})
    bundle, _state = asyncio.run(Session(options).plan())
    creates = [c for c in bundle.plan.changes if c.action is Action.CREATE]
    assert len(creates) == shape.writes


def test_an_apply_folds_its_journal_into_the_state(tmp_path: Path) -> None:
    shape = Shape(2)
    options = RunOptions(config_path=write(tmp_path, shape), api_url="http://127.0.0.1",
                         transport=httpx.ASGITransport(app=create_app(SandboxConfig())),
                         environ={**CREDENTIALS, **ENVIRONMENT})
    session = Session(options)
    _plan, result = asyncio.run(session.apply(lambda _plan: True))
    assert result is not None and not result.failed and not result.verify_problems
    path = session.backend.path
    assert not path.with_name(path.name + ".journal").exists()
    state = session.backend.load()
    assert len(state.resources) == shape.resources
    # Saved through the journal, so the file was written at the start and at the end only.
    assert state.serial <= 2


def test_per_client_layout_loads_as_the_single_file(tmp_path: Path) -> None:
    from benchmarks.workload import write_per_client

    shape = Shape(3)
    directory = write_per_client(tmp_path / "network", shape)
    assert sorted(p.name for p in directory.iterdir()) == [
        "buyer00000.yaml", "buyer00001.yaml", "buyer00002.yaml", "lexsync.yaml"]
    split = load_configuration(directory, ENVIRONMENT).model
    whole = load_configuration(write(tmp_path / "one", shape), ENVIRONMENT).model
    assert split == whole
