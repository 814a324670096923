"""The configuration as desired resources, one list per resource kind (the plan's and
import's one way of reading a configuration into resources)."""

from __future__ import annotations

from lexsync.config.loader import LoadedConfig
from lexsync.errors import ConfigError, Diagnostic
from lexsync.resources.base import Context, Desired, ResolutionError
from lexsync.resources.registry import KINDS
from lexsync.state.document import StateDocument


def expand(loaded: LoadedConfig, ctx: Context) -> dict[str, list[Desired]]:
    """Every kind's desired resources, by kind; a name the catalog does not know is a
    configuration error at its place in the YAML (all such names at once)."""
    problems: list[Diagnostic] = []
    desired: dict[str, list[Desired]] = {}
    for kind in KINDS:
        try:
            desired[kind.kind] = kind.expand(loaded.model, ctx)
        except ResolutionError as exc:
            problems.append(Diagnostic(summary=str(exc), location=loaded.locate(exc.path)))
    if problems:
        raise ConfigError(problems)
    return desired


def record_method_lead_types(desired: dict[str, list[Desired]], state: StateDocument,
                             ctx: Context) -> None:
    """Each delivery method's lead type, which its accounts' writes need: from the
    configuration, else from state (a method being retired)."""
    for method in desired.get("delivery_method", []):
        ctx.method_lead_types[method.address] = method.attrs["lead_type"]
    for address, record in state.resources.items():
        if record.kind == "delivery_method" and record.attributes.get("lead_type"):
            ctx.method_lead_types.setdefault(address, record.attributes["lead_type"])
