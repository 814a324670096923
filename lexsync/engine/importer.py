"""Adopt a live LeadExec account: live objects → YAML files plus the matching state.

The YAML is generated from each kind's normalised live attributes (`observe`), with one
inverse per kind below; the result is loaded back through the real loader and `expand`
and planned against the same live view before anything is written, so a round-trip gap
shows up as a note at import time instead of a surprise in the next plan.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from lexsync.config.interpolate import Sources, interpolate
from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.config.models import Settings
from lexsync.config.positions import Positions
from lexsync.engine.plan import Action
from lexsync.engine.planner import build_plan
from lexsync.engine.refresh import refresh
from lexsync.errors import ConfigError, Diagnostic, LexsyncError
from lexsync.resources.base import Context, Desired, ResolutionError
from lexsync.resources.catalog import Catalog, name_key
from lexsync.resources.live import LiveView
from lexsync.resources.registry import BY_NAME, KINDS, kind_of_address
from lexsync.resources.values import WEEKDAYS, scalar_text
from lexsync.state.document import ResourceState, StateDocument

SETTINGS_FILE = "lexsync.yaml"
SHARED_FILE = "groups.yaml"
CLIENT_FILE = "client-{key}.yaml"
LIST_OPERATORS = {"In", "NotIn", "Between"}
_ENV_REF = re.compile(r"^\$\{(env|file):[^}]+\}$")


class ImportFailed(LexsyncError):
    """Import could not read or reconcile the account; nothing was written."""


# --- names -------------------------------------------------------------------------------
def slug(text: str, fallback: str) -> str:
    """A readable YAML key: lower case, runs of other characters → '-', no dots."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    return out or fallback


class SecretRef(str):
    """A `${env:...}` reference import wrote on purpose: the one kind of value not escaped."""


def escaped(value: Any) -> Any:
    """Live text containing `${` would be interpolated on load: write it as `$${`."""
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escaped(v) for v in value]
    if isinstance(value, str) and not isinstance(value, SecretRef) and "${" in value:
        return value.replace("${", "$${")
    return value


def env_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Z0-9]", "_", p.upper()) for p in parts)


def unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


# --- the inverse of expand, per kind -----------------------------------------------------
def group_yaml(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": attrs["description"]}
    if attrs.get("display_order"):
        out["display_order"] = attrs["display_order"]
    return out


def client_yaml(attrs: Mapping[str, Any], dialect: str, password_ref: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": attrs["status"], "username": attrs["username"]}
    if attrs.get("group") and not str(attrs["group"]).startswith("#"):
        out["group"] = attrs["group"]
    if password_ref:
        out["password"] = password_ref
    if dialect == "rest" and attrs.get("automation"):
        out["automation"] = attrs["automation"]  # the soap dialect cannot manage it
    for name in ("time_zone", "notes"):
        if attrs.get(name):
            out[name] = attrs[name]
    if attrs.get("time_offset") is not None:
        out["time_offset"] = attrs["time_offset"]
    if attrs.get("override_reassign"):
        out["override_reassign"] = True
    fields = {k: v for k, v in sorted((attrs.get("fields") or {}).items()) if v != ""}
    if fields:
        out["fields"] = fields
    return out


def mapping_yaml(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if entry.get("lead_field"):
        out["lead_field"] = entry["lead_field"]
    if entry["source"] != "lead_field":
        out[entry["source"]] = entry.get("value", "")
    if entry.get("format"):
        out["format"] = entry["format"]
    if entry.get("map"):
        out["map"] = dict(entry["map"])
    return out


def schedule_yaml(entries: list[str]) -> list[dict[str, Any]]:
    """"mon 08:00-18:00" entries → windows, days grouped when their hours are equal."""
    windows: dict[tuple[str, str, bool], list[str]] = {}
    for entry in entries:
        day, span, *rest = entry.split(" ")
        start, end = span.split("-")
        windows.setdefault((start, end, not rest), []).append(day)
    out = []
    for (start, end, allow), days in sorted(
            windows.items(), key=lambda w: (min(WEEKDAYS.index(d) for d in w[1]), w[0])):
        # Quoted: a YAML 1.1 reader would take 08:00 for a base-60 number.
        window: dict[str, Any] = {"days": sorted(days, key=WEEKDAYS.index),
                                  "from": DoubleQuotedScalarString(start),
                                  "to": DoubleQuotedScalarString(end)}
        if not allow:
            window["allow"] = False
        out.append(window)
    return out


def method_yaml(attrs: Mapping[str, Any], secret_refs: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": attrs["type"], "lead_type": attrs["lead_type"]}
    if attrs.get("enabled") is False:
        out["enabled"] = False
    if attrs.get("in_testing"):
        out["in_testing"] = True
    for name in ("url", "response_search"):
        if attrs.get(name):
            out[name] = attrs[name]
    if attrs.get("response_regex"):
        out["response_regex"] = True
    if attrs.get("template"):
        out["template"] = attrs["template"]
    email = {k: v for k, v in (attrs.get("email") or {}).items() if v}
    if email:
        out["email"] = email
    smtp = attrs.get("smtp") or {}
    if smtp.get("server"):  # the model requires a server for an smtp block
        block: dict[str, Any] = {"server": smtp["server"]}
        if smtp.get("auth"):
            block["auth"] = True
        if smtp.get("username"):
            block["username"] = smtp["username"]
        if "smtp.password" in secret_refs:
            block["password"] = secret_refs["smtp.password"]
        out["smtp"] = block
    ftp = {k: v for k, v in (attrs.get("ftp") or {}).items() if v and k != "password"}
    if "ftp.password" in secret_refs:
        ftp["password"] = secret_refs["ftp.password"]
    if ftp:
        out["ftp"] = ftp
    if attrs.get("field_mappings"):
        out["field_mappings"] = [mapping_yaml(n, e) for n, e in attrs["field_mappings"].items()]
    if attrs.get("schedule"):
        out["schedule"] = schedule_yaml(attrs["schedule"])
    return out


def criterion_yaml(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"field": entry["field"]}
    if entry["op"] != "Equal":
        out["op"] = entry["op"]
    value = entry.get("value", "")
    out["value"] = [_number_or_text(v) for v in value.split(",")] \
        if entry["op"] in LIST_OPERATORS and value else value
    if entry.get("type", "FieldValue") != "FieldValue":
        out["type"] = entry["type"]
    if entry.get("expression"):
        out["expression"] = entry["expression"]
    return out


def _number_or_text(item: str) -> int | float | str:
    """'25' → 25 so a range reads as numbers; expand turns both back into the same text."""
    if not re.fullmatch(r"-?\d+(\.\d+)?", item):
        return item
    number = float(item)
    if scalar_text(number) != item:
        return item  # '007' or '1e3' would not come back the same
    return int(number) if number.is_integer() else number


def account_yaml(key: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"method": attrs["method"]}
    if attrs["description"] != key:
        out["description"] = attrs["description"]
    out["price"] = attrs["price"]
    # WeekMax cannot be read through ASMX: never written on import (docs/import-and-drift.md).
    caps = {k: v for k, v in (attrs.get("caps") or {}).items() if k != "week" and v != -1}
    if caps:
        out["caps"] = {k: caps[k] for k in ("hour", "day", "month") if k in caps}
    if attrs.get("status", "Open") != "Open":
        out["status"] = attrs["status"]
    if attrs.get("delay"):
        out["delay"] = attrs["delay"]
    if attrs.get("use_order"):
        out["use_order"] = True
    if attrs.get("automation") is False:
        out["automation"] = False
    if attrs.get("account_type", "general") != "general":
        out["account_type"] = attrs["account_type"]
    for name in ("redirect_url", "agent_name", "agent_phone"):
        if attrs.get(name):
            out[name] = attrs[name]
    if attrs.get("criteria"):
        out["criteria"] = [criterion_yaml(c) for c in attrs["criteria"]]
    return out


# --- YAML text ---------------------------------------------------------------------------
def yaml_writer() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long URLs and templates stay on one line
    return yaml


_FLOW_KEYS = {"caps", "fields", "map"}
_FLOW_LISTS = {"field_mappings", "schedule", "criteria", "days", "value", "lead_types"}


_PLAIN_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./@+-]*(?<! )")


def _flow_safe(value: Any) -> Any:
    # ruamel writes some plain scalars into flow collections that it cannot read back
    # (`{format: ?0}`): anything beyond plain words is double-quoted there.
    if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString) \
            and not _PLAIN_TEXT.fullmatch(value):
        return DoubleQuotedScalarString(value)
    return value


def styled(value: Any, key: str | None = None, in_flow: bool = False) -> Any:
    """Plain data → ruamel containers, small leaf collections in flow style for readability."""
    if isinstance(value, dict):
        flow = in_flow or key in _FLOW_KEYS or key == "__item__"
        out = CommentedMap((_flow_safe(k) if flow else k, styled(v, k, flow)) for k, v in value.items())
        if flow:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        flow = in_flow or key in ("days", "value", "lead_types")
        seq = CommentedSeq(styled(v, "__item__" if key in _FLOW_LISTS else None, flow) for v in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, SecretRef):
        return str(value)
    return _flow_safe(value) if in_flow else value


def dump(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# A key import leaves out because it holds the default is kept when the user wrote it, and a
# weekly cap (which import cannot read) is never removed.
DEFAULTS: dict[str, Any] = {
    "enabled": True, "in_testing": False, "response_regex": False, "delay": 0, "use_order": False,
    "automation": True, "account_type": "general", "display_order": 0, "allow": True,
    "op": "Equal", "type": "FieldValue", "override_reassign": False, "auth": False,
    "field_mappings": [], "schedule": [], "criteria": [], "fields": {},
}
KEPT_KEYS = {"week"}


def merge_into(existing: Any, new: Any) -> Any:
    """Update a round-trip container in place so only what changed changes; comments,
    key order and untouched values stay as the user left them."""
    if isinstance(existing, CommentedMap) and isinstance(new, dict):
        for key in [k for k in existing if k not in new]:
            value = existing[key]
            if isinstance(value, CommentedMap):
                merge_into(value, {})
                if value:
                    continue
            elif key in KEPT_KEYS or (key in DEFAULTS and _plain(value) == DEFAULTS[key]):
                continue
            del existing[key]
        for key, value in new.items():
            if key in existing and _plain(existing[key]) == _plain(value):
                continue
            if key in existing and isinstance(existing[key], (CommentedMap, CommentedSeq)):
                existing[key] = merge_into(existing[key], value)
            else:
                existing[key] = styled(value, key)
        return existing
    if isinstance(existing, CommentedSeq) and isinstance(new, list):
        by_name = {_plain(i).get("name"): i for i in existing if isinstance(i, CommentedMap)}
        if all(isinstance(i, dict) and "name" in i for i in new) and by_name:
            # Field mappings: keep each entry (and its comments) matched by name.
            merged = [merge_into(by_name[i["name"]], i) if i["name"] in by_name
                      else styled(i, "__item__") for i in new]
            existing[:] = merged
            return existing
        if _plain(existing) != _plain(new):
            existing[:] = [styled(i, "__item__") for i in new]
        return existing
    return styled(new)


# --- the import itself -------------------------------------------------------------------
@dataclass
class ImportResult:
    files: dict[Path, str]  # path → new text (only files whose text changed)
    unchanged: list[Path]
    state: StateDocument
    env_vars: dict[str, str]  # variable → what it holds (never the value)
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)  # differences the next plan would show
    clients: list[str] = field(default_factory=list)


@dataclass
class _Existing:
    """What the output directory already holds: files (round-trip), keys, settings."""

    docs: dict[Path, Any] = field(default_factory=dict)
    client_file: dict[str, Path] = field(default_factory=dict)
    username_key: dict[str, str] = field(default_factory=dict)
    group_desc_key: dict[str, str] = field(default_factory=dict)
    account_desc_key: dict[tuple[str, str], str] = field(default_factory=dict)
    secret_refs: dict[tuple[str, ...], str] = field(default_factory=dict)
    has_settings: bool = False


def read_existing(out: Path) -> _Existing:
    found = _Existing()
    if not out.is_dir():
        return found
    yaml = yaml_writer()
    for path in sorted(p for p in out.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"))
        except Exception as exc:  # ruamel raises many types; the loader gives the located message
            raise ImportFailed(f"cannot read {path} to update it: {exc}") from None
        found.docs[path] = data
        if not isinstance(data, CommentedMap):
            continue
        found.has_settings |= "lexsync" in data
        for key, client in (data.get("clients") or {}).items():
            found.client_file[key] = path
            if not isinstance(client, dict):
                continue
            if client.get("username"):
                found.username_key[str(client["username"]).lower()] = key
            if isinstance(client.get("password"), str) and _ENV_REF.match(client["password"]):
                found.secret_refs[(key, "password")] = client["password"]
            for name, account in (client.get("delivery_accounts") or {}).items():
                desc = (account or {}).get("description") or name
                found.account_desc_key[(key, str(desc).lower())] = name
            for name, method in (client.get("delivery_methods") or {}).items():
                for block in ("smtp", "ftp"):
                    ref = ((method or {}).get(block) or {}).get("password")
                    if isinstance(ref, str) and _ENV_REF.match(ref):
                        found.secret_refs[(key, name, f"{block}.password")] = ref
        for key, group in (data.get("client_groups") or {}).items():
            if isinstance(group, dict) and group.get("description"):
                found.group_desc_key[str(group["description"]).lower()] = key
    return found


async def read_account(api: Any, catalog: Catalog) -> LiveView:
    """Everything: groups, every client's accounts (with their methods) and field data."""
    client_rows = await api.get_client_list()
    uids = {int(r["ClientUID"]) for r in client_rows}
    view = await refresh(api, read_groups=True, client_uids=uids, field_uids=uids)
    await catalog.load(api, set(), need_states=False)
    lead_type_names = {name for _, name in catalog.lead_types.values()}
    await catalog.load(api, lead_type_names, need_states=True)
    return view


def select_clients(view: LiveView, catalog: Catalog, wanted: tuple[str, ...], everything: bool,
                   keys_by_uid: Mapping[int, str]) -> list[int]:
    if everything:
        return sorted(view.clients)
    chosen: list[int] = []
    unknown: list[str] = []
    for name in wanted:
        matches = [uid for uid, row in view.clients.items()
                   if name == str(uid) or name.lower() == str(row.get("Username", "")).lower()
                   or name == keys_by_uid.get(uid)
                   or name_key(name) == name_key(_company(view, catalog, uid) or "\0")]
        if len(matches) > 1:
            raise ImportFailed(f"--client {name!r} matches {len(matches)} clients (IDs "
                               f"{', '.join(map(str, sorted(matches)))}); pass the ID")
        if not matches:
            unknown.append(name)
        chosen += matches
    if unknown:
        raise ImportFailed("no live client matches " + ", ".join(repr(u) for u in unknown)
                           + " (give a username, company, YAML key or ClientUID)")
    return sorted(set(chosen))


def _company(view: LiveView, catalog: Catalog, uid: int) -> str | None:
    for row in view.client_fields.get(uid, []):
        if int(row.get("ClientFieldUID", 0)) == 1 and str(row.get("FieldValue") or "").strip():
            return str(row["FieldValue"]).strip()
    return None


def plan_import(view: LiveView, catalog: Catalog, state: StateDocument, settings: Settings,
                out: Path, client_uids: list[int], everything: bool, write_settings: bool,
                environ: Mapping[str, str]) -> ImportResult:
    """Build the files and state for the chosen clients; writes nothing."""
    dialect = settings.dialect
    existing = read_existing(out)
    ctx = Context(catalog=catalog, dialect=dialect, hash_secret=state.hash_secret)
    keys_by_id = {(r.kind, r.remote_id): a.split(".")[-1] for a, r in state.resources.items()}
    notes: list[str] = []
    origin: dict[str, tuple[int, int | None]] = {}  # address → (remote ID, parent ID)

    # Groups: every group with --all, else the ones the chosen clients use.
    used_groups = {int(view.clients[u].get("GroupUID") or 0) for u in client_uids}
    group_keys: dict[int, str] = {}
    taken = set(existing.group_desc_key.values()) | {
        a.split(".", 1)[1] for a, r in state.resources.items() if r.kind == "client_group"}
    for uid in sorted(view.groups):
        desc = str(view.groups[uid].get("Description") or "").strip()
        key = keys_by_id.get(("client_group", uid)) or existing.group_desc_key.get(desc.lower())
        group_keys[uid] = key or unique(slug(desc, f"group-{uid}"), taken)
        ctx.ids[f"client_group.{group_keys[uid]}"] = uid
    group_uids = sorted(view.groups) if everything else sorted(u for u in used_groups if u in view.groups)
    origin.update({f"client_group.{group_keys[u]}": (u, None) for u in group_uids})

    # Client keys: from state, else the existing YAML's username, else company/username.
    client_keys: dict[int, str] = {}
    taken = set(existing.client_file) | {
        a.split(".")[1] for a, r in state.resources.items() if r.kind == "client"}
    for uid in sorted(view.clients):
        username = str(view.clients[uid].get("Username") or "")
        key = keys_by_id.get(("client", uid)) or existing.username_key.get(username.lower())
        if key is None and uid in client_uids:
            key = unique(slug(_company(view, catalog, uid) or username, f"client-{uid}"), taken)
        if key:
            client_keys[uid] = key
            ctx.ids[f"client.{key}"] = uid

    env_vars: dict[str, str] = {}
    secret_env: dict[str, str] = {}
    clients_yaml: dict[str, dict[str, Any]] = {}
    lead_types: set[str] = set()
    counts = {"client_group": len(group_uids), "client": 0, "delivery_method": 0, "delivery_account": 0}
    client_kind, method_kind, account_kind = (BY_NAME[k] for k in ("client", "delivery_method", "delivery_account"))
    for uid in client_uids:
        key = client_keys[uid]
        origin[f"client.{key}"] = (uid, None)
        live = client_kind.find_live(view, uid, ctx, None, None)
        assert live is not None
        password_ref = None
        raw_password = str(view.clients[uid].get("Password") or "")
        if raw_password:
            password_ref = SecretRef(existing.secret_refs.get((key, "password"))
                                     or f"${{env:{env_name('LEXSYNC_PW', key)}}}")
            _note_secret(password_ref, raw_password, f"portal password of client.{key}", env_vars, secret_env)
        body = client_yaml(live.attrs, dialect, password_ref)
        if str(live.attrs.get("group") or "").startswith("#"):
            notes.append(f"client.{key}: its group {live.attrs['group'][1:]} does not exist in LeadExec; "
                         "left out")
        methods: dict[str, Any] = {}
        method_wires = sorted(view.methods_of(uid), key=lambda w: int(w["ClientDeliveryUID"]))
        for wire in method_wires:
            mid = int(wire["ClientDeliveryUID"])
            name = str(wire.get("Name") or "").strip()
            mkey = name if name and name not in methods and "." not in name else \
                unique(slug(name, "method"), set(methods)) + f"-{mid}"
            if mkey != name:
                notes.append(f"client.{key}: method {mid} named {name!r} imported as {mkey!r}; "
                             "the next plan renames it (method names must be unique keys)")
            methods[mkey] = wire
            ctx.ids[f"client.{key}.delivery_method.{mkey}"] = mid
            origin[f"client.{key}.delivery_method.{mkey}"] = (mid, uid)
        methods_yaml: dict[str, Any] = {}
        for mkey, wire in methods.items():
            mlive = method_kind.find_live(view, int(wire["ClientDeliveryUID"]), ctx, None, key)
            assert mlive is not None
            refs: dict[str, str] = {}
            for block, wire_key in (("smtp", "SMTPPassword"), ("ftp", "FTPPassword")):
                raw = str(wire.get(wire_key) or "")
                if raw:
                    ref = SecretRef(existing.secret_refs.get((key, mkey, f"{block}.password"))
                                    or f"${{env:{env_name(f'LEXSYNC_{block.upper()}_PW', key, mkey)}}}")
                    refs[f"{block}.password"] = ref
                    _note_secret(ref, raw, f"{block.upper()} password of client.{key}.delivery_method.{mkey}",
                                 env_vars, secret_env)
            methods_yaml[mkey] = method_yaml(mlive.attrs, refs)
            lead_types.add(mlive.attrs["lead_type"])
        accounts_yaml: dict[str, Any] = {}
        taken_accounts: set[str] = set()
        descriptions: set[str] = set()
        for alive in sorted(account_kind.live_candidates(view, ctx, key), key=lambda a: a.remote_id):
            desc = alive.attrs["description"]
            if desc.lower() in descriptions:
                notes.append(f"client.{key}: account {alive.remote_id} has the same description as "
                             f"another ({desc!r}); the description is an account's key, so it was "
                             "left out: rename it in LeadExec and import again")
                continue
            descriptions.add(desc.lower())
            akey = keys_by_id.get(("delivery_account", alive.remote_id)) \
                or existing.account_desc_key.get((key, desc.lower()))
            akey = unique(akey or slug(desc, f"account-{alive.remote_id}"), taken_accounts)
            accounts_yaml[akey] = account_yaml(akey, alive.attrs)
            origin[f"client.{key}.delivery_account.{akey}"] = (alive.remote_id, uid)
        if methods_yaml:
            body["delivery_methods"] = methods_yaml
        if accounts_yaml:
            body["delivery_accounts"] = accounts_yaml
        clients_yaml[key] = escaped(body)
        counts["client"] += 1
        counts["delivery_method"] += len(methods_yaml)
        counts["delivery_account"] += len(accounts_yaml)

    groups_yaml = {group_keys[u]: escaped(group_yaml(BY_NAME["client_group"].observe(view.groups[u])))
                   for u in group_uids}
    files, unchanged = _render_files(out, existing, clients_yaml, groups_yaml, sorted(lead_types),
                                     settings, write_settings and not existing.has_settings)
    result = ImportResult(files=files, unchanged=unchanged, state=state, env_vars=env_vars,
                          counts=counts, notes=notes, clients=sorted(clients_yaml))
    _reconcile(result, out, view, catalog, state, dialect, {**environ, **secret_env}, origin,
               set(clients_yaml))
    return result


def _note_secret(ref: str, raw: str, what: str, env_vars: dict[str, str], secret_env: dict[str, str]) -> None:
    match = re.match(r"^\$\{env:([^}]+)\}$", ref)
    if match:
        env_vars[match.group(1)] = what
        secret_env[match.group(1)] = raw  # only for the in-memory round-trip check


def _render_files(out: Path, existing: _Existing, clients: dict[str, dict[str, Any]],
                  groups: dict[str, dict[str, Any]], lead_types: list[str], settings: Settings,
                  write_settings: bool) -> tuple[dict[Path, str], list[Path]]:
    yaml = yaml_writer()
    texts: dict[Path, str] = {}
    docs = existing.docs
    touched: dict[Path, Any] = {}

    def doc_for(path: Path, header: str) -> Any:
        if path not in touched:
            if path in docs and isinstance(docs[path], CommentedMap):
                touched[path] = docs[path]
            else:
                fresh = CommentedMap()
                fresh.yaml_set_start_comment(header)
                touched[path] = fresh
        return touched[path]

    for key, body in clients.items():
        path = existing.client_file.get(key) or out / CLIENT_FILE.format(key=key)
        doc = doc_for(path, f"Client {key}, imported from LeadExec by `lexsync import`.")
        section = doc.setdefault("clients", CommentedMap())
        if key in section and isinstance(section[key], CommentedMap):
            merge_into(section[key], body)
        else:
            section[key] = styled(body)

    shared_path = next((p for p, d in docs.items() if isinstance(d, CommentedMap) and "client_groups" in d),
                       out / SHARED_FILE)
    if groups:
        doc = doc_for(shared_path, "Client groups and lead types, imported from LeadExec by `lexsync import`.")
        section = doc.setdefault("client_groups", CommentedMap())
        for key, body in groups.items():
            if key in section and isinstance(section[key], CommentedMap):
                merge_into(section[key], body)
            else:
                section[key] = styled(body)
    types_path = next((p for p, d in docs.items() if isinstance(d, CommentedMap) and "lead_types" in d), None)
    present = {name_key(str(t)) for d in docs.values() if isinstance(d, CommentedMap)
               for t in (d.get("lead_types") or [])}
    missing = [t for t in lead_types if name_key(t) not in present]
    if missing:
        doc = doc_for(types_path or shared_path,
                      "Client groups and lead types, imported from LeadExec by `lexsync import`.")
        if "lead_types" in doc:
            doc["lead_types"].extend(missing)
        else:
            doc.insert(0, "lead_types", styled(missing, "lead_types"))
    if write_settings:
        doc = doc_for(out / SETTINGS_FILE, "lexsync settings, written by `lexsync import`.")
        doc["lexsync"] = styled({"dialect": settings.dialect})

    unchanged = []
    for path, doc in sorted(touched.items()):
        text = dump(yaml, doc)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            unchanged.append(path)
        else:
            texts[path] = text
    return texts, unchanged


def expand_all(loaded: LoadedConfig, ctx: Context) -> dict[str, list[Desired]]:
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


def _reconcile(result: ImportResult, out: Path, view: LiveView, catalog: Catalog,
               state: StateDocument, dialect: str, environ: Mapping[str, str],
               origin: Mapping[str, tuple[int, int | None]], client_keys: set[str]) -> None:
    """Load the would-be directory through the real loader, record state from `expand`,
    and plan it against the live view: whatever that plan still changes is reported."""
    with tempfile.TemporaryDirectory(prefix="lexsync-import-") as tmp:
        root = Path(tmp)
        if out.is_dir():
            for path in out.iterdir():
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    shutil.copyfile(path, root / path.name)
        for path, text in result.files.items():
            (root / path.name).write_text(text, encoding="utf-8")
        # Clients not being imported may name variables this shell lacks; their values do not
        # matter here (only imported resources are checked), so they stand in as empty.
        referenced = {m.group(1) for p in root.iterdir()
                      for m in re.finditer(r"\$\{env:([^}]+)\}", p.read_text(encoding="utf-8"))}
        environ = {**{name: "" for name in referenced}, **environ}
        try:
            loaded = load_configuration(root, environ)
        except ConfigError as exc:
            raise ImportFailed("the generated configuration does not load; nothing was written:\n"
                               + "\n".join(f"  {d}" for d in exc.diagnostics)) from None
    if loaded.model.lexsync.dialect != dialect:
        raise ImportFailed(f"the configuration in {out} uses the {loaded.model.lexsync.dialect} dialect")
    ctx = Context(catalog=catalog, dialect=dialect, hash_secret=state.hash_secret)
    ctx.ids = {a: r.remote_id for a, r in state.resources.items()}
    ctx.ids.update({a: i for a, (i, _) in origin.items()})
    desired = expand_all(loaded, ctx)
    scoped = {kind: [d for d in items if d.address in origin] for kind, items in desired.items()}
    trial = StateDocument(lineage=state.lineage, secret_salt=state.secret_salt)
    for items in scoped.values():
        for d in items:
            remote_id, parent_id = origin[d.address]
            trial.resources[d.address] = ResourceState(
                address=d.address, kind=d.kind, remote_id=remote_id, parent_id=parent_id,
                attributes=dict(d.attrs), depends_on=list(d.depends_on))
    plan_ctx = Context(catalog=catalog, dialect=dialect, hash_secret=state.hash_secret,
                       ids={a: r.remote_id for a, r in trial.resources.items()})
    bundle = build_plan(scoped, trial, view, plan_ctx)
    for step in bundle.steps:
        if step.live is not None and step.live.observable and step.change.address in trial.resources:
            trial.resources[step.change.address].sub_ids = dict(step.live.sub_ids)
        if step.change.action is Action.NOOP:
            continue
        if not step.change.changes:
            result.residual.append(f"{step.change.address}: {step.change.reason or step.change.action.value}")
        for change in step.change.changes:
            result.residual.append(f"{step.change.address}: {change.path}: {change.before!r} in LeadExec, "
                                   f"{change.after!r} in YAML")
    # What state held under a re-imported client but LeadExec no longer shows is forgotten.
    for address in list(state.resources):
        parts = address.split(".")
        if parts[0] == "client" and parts[1] in client_keys and address not in trial.resources:
            del state.resources[address]
    state.resources.update(trial.resources)


# --- running it --------------------------------------------------------------------------
INVISIBLE_METHODS_NOTE = ("delivery methods that no account uses cannot be read from LeadExec "
                          "(it shows a method only through its accounts), so they were not imported")
WEEK_NOTE = ("weekly caps (WeekMax) cannot be read through LeadExec's read API, so no caps.week "
             "was written: add it by hand where an account has one")


def settings_in(out: Path, dialect: str | None, environ: Mapping[str, str]) -> tuple[Settings, bool]:
    """The `lexsync:` block of the output directory, or a new one; and whether one exists."""
    existing = read_existing(out)
    for path, data in existing.docs.items():
        if isinstance(data, dict) and "lexsync" in data:
            # Interpolated like the loader does, e.g. state.url: ${env:LEXSYNC_STATE_URL}.
            block, missing = interpolate(_plain(data["lexsync"]), Positions(), Sources(environ, out, out))
            if missing:
                raise ImportFailed(f"{path}: " + "; ".join(d.summary for d in missing))
            try:
                settings = Settings.model_validate(block)
            except ValueError as exc:
                raise ImportFailed(f"the lexsync: settings in {out} are invalid ({exc}); "
                                   "run lexsync validate") from None
            if dialect and dialect != settings.dialect:
                raise ImportFailed(f"--dialect {dialect} differs from the {settings.dialect} dialect "
                                   f"configured in {out}")
            return settings, True
    return Settings(dialect=dialect or "rest"), False  # type: ignore[arg-type]


def write_files(files: Mapping[Path, str]) -> None:
    for path, text in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         prefix=f".{path.name}.", suffix=".tmp") as handle:
            handle.write(text)
            temp = Path(handle.name)
        temp.replace(path)


async def run_import(out: Path, settings: Settings, backend: Any, open_api: Any, *,
                     clients: tuple[str, ...], everything: bool, write_settings: bool,
                     environ: Mapping[str, str]) -> ImportResult:
    """Read the whole account, then write the YAML files and the state; nothing is written
    unless every read and the round-trip check succeeded."""
    if not clients and not everything:
        raise ImportFailed("say what to import: --all, or --client NAME_OR_ID (repeatable)")
    with backend.lock("import"):
        state = backend.load()
        catalog = Catalog()
        async with open_api() as api:
            view = await read_account(api, catalog)
        keys_by_uid = {r.remote_id: a.split(".")[1] for a, r in state.resources.items() if r.kind == "client"}
        uids = select_clients(view, catalog, clients, everything, keys_by_uid)
        result = plan_import(view, catalog, state, settings, out, uids, everything, write_settings, environ)
        result.notes.append(INVISIBLE_METHODS_NOTE)
        if settings.dialect == "rest" and result.counts["delivery_account"]:
            result.notes.append(WEEK_NOTE)
        write_files(result.files)
        backend.write(state)
    return result


def record_adopted(bundle: Any, state: StateDocument) -> list[str]:
    """Put resources that `--adopt` matched and that need no write into state (apply skips
    no-op steps, so without this an adopted, unchanged resource would stay unrecorded)."""
    adopted = []
    for step in bundle.steps:
        if step.change.action is not Action.NOOP or step.previous is not None or step.live is None \
                or step.desired is None:
            continue
        parent = bundle.ctx.ids.get(step.parent_address) if step.parent_address else None
        state.resources[step.change.address] = ResourceState(
            address=step.change.address, kind=step.kind.kind, remote_id=step.live.remote_id,
            parent_id=parent, sub_ids=dict(step.live.sub_ids), attributes=dict(step.desired.attrs),
            depends_on=list(step.desired.depends_on))
        adopted.append(step.change.address)
    return adopted


async def adopt_one(loaded: LoadedConfig, backend: Any, open_api: Any, address: str,
                    remote_id: int) -> ResourceState:
    """`lexsync import ADDRESS ID`: record one live object in state for a resource in the YAML."""
    try:
        kind = kind_of_address(address)
    except (KeyError, IndexError):
        raise ImportFailed(f"{address!r} is not a resource address (client_group.NAME, client.NAME, "
                           "client.NAME.delivery_method.NAME, client.NAME.delivery_account.NAME)") from None
    dialect = loaded.model.lexsync.dialect
    with backend.lock("import"):
        state = backend.load()
        if address in state.resources:
            raise ImportFailed(f"{address} is already in state (ID {state.resources[address].remote_id}); "
                               f"run `lexsync state rm {address}` first to adopt another object")
        for other, record in state.resources.items():
            if record.kind == kind.kind and record.remote_id == remote_id:
                raise ImportFailed(f"{kind.kind} {remote_id} is already managed as {other}")
        ctx = Context(catalog=Catalog(), dialect=dialect, hash_secret=state.hash_secret)
        ctx.ids = {a: r.remote_id for a, r in state.resources.items()}
        model = loaded.model
        lead_types = {m.lead_type for c in model.clients.values() for m in c.delivery_methods.values()}
        async with open_api() as api:
            await ctx.catalog.load(api, lead_types, need_states=True)
            desired = {d.address: d for items in expand_all(loaded, ctx).values() for d in items}
            wanted = desired.get(address)
            if wanted is None:
                raise ImportFailed(f"{address} is not in the configuration; add it to the YAML first")
            if kind.kind == "client_group":
                view = await refresh(api, read_groups=True, client_uids=set(), field_uids=set())
            elif kind.kind == "client":
                view = await refresh(api, read_groups=False, client_uids={remote_id},
                                     field_uids={remote_id})
            else:
                parent = ctx.ids.get(f"client.{wanted.client}")
                if parent is None:
                    raise ImportFailed(f"client.{wanted.client} is not in state: import it first "
                                       f"(lexsync import client.{wanted.client} CLIENT_ID)")
                view = await refresh(api, read_groups=False, client_uids={parent}, field_uids=set())
        live = kind.find_live(view, remote_id, ctx, None, wanted.client)
        if live is None:
            where = f" under client.{wanted.client}" if wanted.client else ""
            hint = (" (LeadExec shows a delivery method only through an account that uses it)"
                    if kind.kind == "delivery_method" else "")
            raise ImportFailed(f"LeadExec has no {kind.kind} with ID {remote_id}{where}{hint}")
        record = ResourceState(
            address=address, kind=kind.kind, remote_id=remote_id, parent_id=live.parent_id,
            sub_ids=dict(live.sub_ids),
            # What LeadExec holds now counts as last applied: YAML differences show as unapplied.
            attributes={k: live.attrs[k] for k in wanted.attrs if k in live.attrs},
            depends_on=list(wanted.depends_on))
        state.resources[address] = record
        backend.write(state)
    return record
