"""The API client as the engine and the resource kinds see it: a typed seam.

`LeadExecApi` implements it over HTTP; tests may hand in any object that does.
"""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Any, Protocol, Self

from lexsync.api.behaviour import WireBehaviour, WireSeen
from lexsync.errors import ApiError


class LeadExecReads(Protocol):
    """The ASMX Get* reads lexsync uses; answers are dicts keyed by wire names."""

    async def get_client_list(self) -> list[dict[str, Any]]: ...

    async def get_client_data(self, client_uid: int) -> list[dict[str, Any]]: ...

    async def get_client_groups(self) -> list[dict[str, Any]]: ...

    async def get_client_accounts(self, client_uid: int) -> list[dict[str, Any]]: ...

    async def get_client_account(self, client_uid: int, account_uid: int
                                 ) -> dict[str, Any] | None: ...

    async def get_all_criteria_accounts(self, lead_type_uid: int, lead_field_uid: int,
                                        value: str) -> list[dict[str, Any]]: ...

    async def get_lead_types(self) -> list[dict[str, Any]]: ...

    async def get_lead_fields(self, lead_type_uid: int) -> list[dict[str, Any]]: ...

    async def get_state_list(self) -> list[dict[str, Any]]: ...

    async def get_clients_for_criteria_advanced(self, lead_type_uid: int,
                                                criteria: list[tuple[str, str]]
                                                ) -> list[dict[str, Any]]: ...


class LeadExecWrites(Protocol):
    """The four write calls; each answers the ID LeadExec saved."""

    async def write_client(self, body: dict[str, Any]) -> int: ...

    async def write_group(self, group: dict[str, Any]) -> int: ...

    async def write_method(self, client_uid: int, body: dict[str, Any]) -> int: ...

    async def write_account(self, client_uid: int, body: dict[str, Any]) -> int: ...


class LeadExecClient(LeadExecReads, LeadExecWrites, Protocol):
    """Reads and writes within `async with`, the count of calls made by name, and what the
    client knows of how this LeadExec answers (api/behaviour.py)."""

    calls: Counter[str]
    behaviour: WireBehaviour  # measured, from state: what a plan may rely on
    seen: WireSeen  # what this session's answers showed

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    def use_behaviour(self, behaviour: WireBehaviour) -> None:
        """Take state's measured behaviour (once state is loaded)."""
        ...

    def item_tags(self) -> dict[str, str]:
        """The SOAP item element name each list field is sent with."""
        ...

    def prefetch(self) -> None:
        """Start the reads every plan makes first, whatever state holds, while state loads:
        the next `get_client_list()` and `get_lead_types()` take their answers."""
        ...


class SavedWithoutId(ApiError):
    """LeadExec accepted a create (a 2xx, no fault) but its answer carries no saved ID.

    The seed texts say "No return properties available" for AddEditClientGroup,
    AddEditClientDelivery and AddEditClientAccount. The object is saved: the caller finds
    it by its natural key and must never send the create again."""

    def __init__(self, call: str, status: int | None = 200) -> None:
        super().__init__(call, f"{call} saved the object but answered no ID", status,
                         maybe_committed=True)

