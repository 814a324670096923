"""State: which remote IDs belong to which configured resource, and where that is kept."""

from lexsync.state.backend import StateBackend
from lexsync.state.document import STATE_VERSION, ResourceState, StateDocument
from lexsync.state.local import LocalBackend
from lexsync.state.lockfile import LockInfo

__all__ = ["STATE_VERSION", "LocalBackend", "LockInfo", "ResourceState", "StateBackend",
           "StateDocument"]
