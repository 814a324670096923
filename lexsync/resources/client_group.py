"""client_group.NAME — written with SOAP AddEditClientGroup in both dialects (no REST endpoint)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import Configuration
from lexsync.resources.base import Context, Desired, Live, ResourceKind, Target, Wire
from lexsync.resources.live import LiveView, ReadSet
from lexsync.resources.values import number, text
from lexsync.resources.wirefields import Cls, WireField, WireTable

# AddEditClientGroup's Group (ClientGroupType), in both dialects: LeadExec has no REST
# endpoint for groups. GetClientGroups returns every field.
GROUP = WireTable("AddEditClientGroup", (
    WireField("ClientGroupUID", Cls.IDENTITY, note="its own ID; 0 creates"),
    WireField("Description", Cls.MANAGED, "description", yaml="description"),
    WireField("DisplayOrder", Cls.MANAGED, "display_order", default=0, yaml="display_order"),
    WireField("ClientCount", Cls.READABLE, "client_count", default=0, reported=False,
              note="counted by LeadExec"),
), read="GetClientGroups")


class ClientGroupKind(ResourceKind):
    kind = "client_group"
    section = "client_groups"
    natural_attr = "description"
    level = 0
    always_managed = frozenset({"description", "display_order"})
    yaml_defaults = {"display_order": 0}
    wire_tables = {"rest": GROUP, "soap": GROUP}

    def call(self, dialect: str) -> str:
        return "AddEditClientGroup"

    def expand(self, config: Configuration, ctx: Context) -> list[Desired]:
        return [
            Desired(
                address=self.address(key), kind=self.kind, name=key,
                attrs={"description": text(group.description), "display_order": group.display_order},
                config_path=(self.section, key),
            )
            for key, group in config.client_groups.items()
        ]

    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"description": attrs["description"]}
        if attrs.get("display_order"):
            out["display_order"] = attrs["display_order"]
        return out

    def observe(self, wire: Wire, ctx: Context, previous: Mapping[str, Any] | None = None,
                client_key: str | None = None) -> dict[str, Any]:
        return {"description": text(wire.get("Description")),
                "display_order": number(wire.get("DisplayOrder", 0)),
                "client_count": wire.get("ClientCount")}

    def identity_values(self, target: Target) -> dict[str, Any]:
        return {"ClientGroupUID": target.remote_id}

    def reads(self, remote_id: int, parent_id: int | None) -> ReadSet:
        return ReadSet(groups=True)

    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        return None  # LeadExec has no way to retire a group: it is only forgotten

    def retire_wording(self) -> str:
        return "forgotten (LeadExec cannot retire a client group; it stays as it is)"

    async def send(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        return await api.write_group(body)

    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        wire = view.groups.get(remote_id)
        return Live(remote_id, wire, self.observe(wire, ctx)) if wire is not None else None

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        return [Live(uid, wire, self.observe(wire, ctx)) for uid, wire in view.groups.items()]
