"""The configuration: YAML files -> a validated `Configuration` with source positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lexsync.config.loader import LoadedConfig, load_configuration
    from lexsync.config.models import Configuration

__all__ = ["Configuration", "LoadedConfig", "load_configuration"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the YAML parsing child (parse_ahead.py) needs only the reader,
    # not the models and validation behind these names.
    if name in ("LoadedConfig", "load_configuration"):
        from lexsync.config import loader

        return getattr(loader, name)
    if name == "Configuration":
        from lexsync.config.models import Configuration

        return Configuration
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
