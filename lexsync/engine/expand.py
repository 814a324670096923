"""The configuration as desired resources, one list per resource kind (the plan's and
import's one way of reading a configuration into resources)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from lexsync.config.loader import LoadedConfig
from lexsync.config.models import Configuration
from lexsync.errors import ConfigError, Diagnostic
from lexsync.resources.base import Context, Desired, ResolutionError
from lexsync.resources.catalog import Catalog, UnknownName, name_key
from lexsync.resources.registry import KINDS


def expand(loaded: LoadedConfig, ctx: Context, model: Configuration | None = None, *,
           release: bool = False,
           on_part: Callable[[str | None, list[Desired]], None] | None = None
           ) -> dict[str, list[Desired]]:
    """Every kind's desired resources (of `model`, a part of the configuration, if given), by
    kind; a name the catalog does not know is a configuration error at its place in the YAML
    (all such names at once, each once though several kinds use it).

    With `release` (a plan), the clients are expanded one at a time and each client's models
    are let go once it is: the configuration's models, the largest part of a large
    configuration in memory, are never whole beside the desired resources. With `on_part`
    too, each part's desired resources (the groups' with None, then each client's with its
    key) are handed to it as they are made, in kind order, instead of being answered."""
    problems: list[tuple[int, Diagnostic]] = []  # with its kind's place, to report in kind order
    reported: set[tuple[str, str]] = set()
    desired: dict[str, list[Desired]] = {kind.kind: [] for kind in KINDS}
    for key, part in _parts(loaded.model if model is None else model, release):
        made: list[Desired] = []
        for place, kind in enumerate(KINDS):
            try:
                expanded = kind.expand(part, ctx)
                if on_part is None:
                    desired[kind.kind] += expanded
                else:
                    made += expanded
            except ResolutionError as exc:
                cause = exc.__cause__ or exc.__context__
                if isinstance(cause, UnknownName):
                    reported.add((cause.what, name_key(cause.name)))
                problems.append((place, Diagnostic(summary=str(exc),
                                                   location=loaded.locate(exc.path))))
            except UnknownName as exc:
                # A kind that resolves a name another kind owns (an account's method's lead
                # type): reported where the YAML writes it, unless that was reported already.
                if (exc.what, name_key(exc.name)) not in reported:
                    reported.add((exc.what, name_key(exc.name)))
                    problems.append((place, Diagnostic(
                        summary=str(exc), location=loaded.locate(where_named(part, exc)))))
        if on_part is not None and not problems:
            on_part(key, made)
    if problems:
        raise ConfigError([problem for _place, problem in sorted(problems, key=lambda p: p[0])])
    return desired


def _parts(model: Configuration, release: bool) -> Iterator[tuple[str | None, Configuration]]:
    """The model whole; with `release`, its groups and settings, then each client alone (with
    its key), taken out of the model once the next part is asked for."""
    if not release:
        yield None, model
        return
    yield None, model.model_copy(update={"clients": {}})
    clients = model.clients
    while clients:
        key = next(iter(clients))
        yield key, model.model_copy(update={"clients": {key: clients[key]}, "client_groups": {}})
        del clients[key]


def record_method_lead_types(desired: dict[str, list[Desired]],
                             recorded: Mapping[str, str], ctx: Context) -> None:
    """Each delivery method's lead type, which its accounts' writes need: from the
    configuration, else as state `recorded` it (method address -> lead type: a method being
    retired)."""
    for method in desired.get("delivery_method", []):
        ctx.method_lead_types[method.address] = method.attrs["lead_type"]
    for address, lead_type in recorded.items():
        ctx.method_lead_types.setdefault(address, lead_type)


def where_named(model: Configuration, unknown: UnknownName) -> tuple[str | int, ...]:
    """The first place in the YAML that writes an unknown name (for a kind that resolved a
    name without knowing where it came from)."""
    key = name_key(unknown.name)
    for client_key, client in model.clients.items():
        client_path = ("clients", client_key)
        if unknown.what == "client field":
            for field_name in client.fields or {}:
                if name_key(field_name) == key:
                    return (*client_path, "fields", field_name)
        for method_key, method in client.delivery_methods.items():
            method_path = (*client_path, "delivery_methods", method_key)
            if unknown.what == "lead type" and name_key(method.lead_type) == key:
                return (*method_path, "lead_type")
            for index, mapping in enumerate(method.field_mappings or []):
                if unknown.what == "lead field" and mapping.lead_field \
                        and name_key(mapping.lead_field) == key:
                    return (*method_path, "field_mappings", index, "lead_field")
        for account_key, account in client.delivery_accounts.items():
            account_path = (*client_path, "delivery_accounts", account_key)
            for index, criterion in enumerate(account.criteria or []):
                if unknown.what == "lead field" and name_key(criterion.field) == key:
                    return (*account_path, "criteria", index, "field")
                values = criterion.value if isinstance(criterion.value, list) else \
                    str(criterion.value).split(",")
                if unknown.what == "US state" and key in {name_key(str(v)) for v in values}:
                    return (*account_path, "criteria", index, "value")
    for index, name in enumerate(model.lead_types):
        if unknown.what == "lead type" and name_key(name) == key:
            return ("lead_types", index)
    return ()


def unused_unknown_lead_types(loaded: LoadedConfig, catalog: Catalog) -> list[Diagnostic]:
    """An entry of `lead_types` LeadExec does not know and no method uses: nothing fails on
    it, so say so (one a method uses is an error where the method names it)."""
    used = {name_key(m.lead_type) for c in loaded.model.clients.values()
            for m in c.delivery_methods.values()}
    warnings = []
    for index, name in enumerate(loaded.model.lead_types):
        if name_key(name) in used:
            continue
        try:
            catalog.lead_type(name)
        except UnknownName as exc:
            warnings.append(Diagnostic(f"{exc}; no delivery method uses it, so nothing fails on "
                                       "it: correct it or remove it", loaded.locate(("lead_types", index))))
    return warnings


def targeted_clients(targets: tuple[str, ...]) -> set[str] | None:
    """The client keys targets name (a target under a client names it); None without targets."""
    if not targets:
        return None
    return {t.split(".")[1] for t in targets if t.startswith("client.")}


def targeted_model(model: Configuration, targets: tuple[str, ...]) -> Configuration:
    """What a plan expands: with targets, only the clients they name beside the settings and
    client groups, so a targeted plan costs what it targets. What its targets depend on among
    the other clients' resources, state records."""
    named = targeted_clients(targets)
    if named is None:
        return model
    return model.model_copy(update={"clients": {k: c for k, c in model.clients.items() if k in named}})
