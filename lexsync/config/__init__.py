"""The configuration: YAML files -> a validated `Configuration` with source positions."""

from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.config.models import Configuration

__all__ = ["Configuration", "LoadedConfig", "load_configuration"]
