"""Imports flow one way (docs/architecture.md): cli -> engine -> resources -> api, with
config, state and render beside; the sandbox imports nothing of the client side.

Every import in lexsync/ is read from the source (function-level ones too) and checked
against the packages each package may use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "lexsync"

# What each package may import of lexsync, besides itself. `errors`, `collector` and
# `allocator` (the garbage collector's and malloc's settings for a CLI run) and the version
# are shared by all, and import nothing of lexsync; `routing.rules` and `routing.states` import nothing (see below).
ANYONE = {"errors", "collector", "allocator", "__version__"}
MAY_IMPORT: dict[str, set[str]] = {
    "cli": {"engine", "resources", "api", "config", "state", "render", "routing", "sandbox"},
    "render": {"engine", "resources"},  # it prints the engine's Plan and DriftReport
    "engine": {"resources", "api", "config", "state"},
    "resources": {"api", "config", "state"},
    "api": set(),
    "config": set(),
    "state": set(),
    "routing": {"config"},
    "sandbox": {"routing.rules", "routing.states"},
}
# Modules that import nothing of lexsync but what is named here: the sandbox shares them.
SELF_CONTAINED = {"lexsync.routing.rules": {"lexsync.routing.states"},
                  "lexsync.routing.states": set()}


def lexsync_imports(path: Path) -> set[str]:
    """The lexsync modules (or names in them) that a file imports, as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "lexsync"}


def module_name(path: Path) -> str:
    return ".".join(("lexsync", *path.relative_to(ROOT).with_suffix("").parts))


def allowed(package: str, imported: str) -> bool:
    parts = imported.split(".")[1:]  # without "lexsync"
    if parts[0] in (package, *ANYONE):
        return True
    return any(parts[:len(rule.split("."))] == rule.split(".") for rule in MAY_IMPORT[package])


def package_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if len(p.relative_to(ROOT).parts) > 1)


def test_every_package_has_a_rule() -> None:
    packages = {p.relative_to(ROOT).parts[0] for p in package_files()}
    assert packages == set(MAY_IMPORT)


@pytest.mark.parametrize("path", package_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    wrong = sorted(name for name in lexsync_imports(path) if not allowed(package, name))
    assert not wrong, f"{module_name(path)} ({package}) may not import {wrong}"


@pytest.mark.parametrize("module", sorted(SELF_CONTAINED))
def test_shared_with_the_sandbox_imports_nothing(module: str) -> None:
    path = ROOT.joinpath(*module.split(".")[1:]).with_suffix(".py")
    imported = {name.rsplit(".", 1)[0] if name.rsplit(".", 1)[0] in SELF_CONTAINED[module]
                else name for name in lexsync_imports(path)}
    assert imported <= SELF_CONTAINED[module]
    # Importing them runs routing/__init__.py: it must import nothing either.
    assert not lexsync_imports(ROOT / "routing" / "__init__.py")
