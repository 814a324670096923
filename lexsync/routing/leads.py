"""Sample leads from YAML, JSON or CSV files: keys are lead field names, `lead_type` names the
lead type; `lead_name` (a label) and `at` (a moment) are optional."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lexsync.errors import LexsyncError
from lexsync.routing.rules import name_key, text_of

RESERVED = ("lead_type", "lead_name", "at")
LEAD_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


class LeadError(LexsyncError):
    """A lead file or test file that cannot be read; names the file and the place."""


@dataclass(frozen=True)
class Lead:
    name: str
    lead_type: str
    fields: dict[str, str]  # as written: field name -> value text
    at: str | None = None
    keys: dict[str, str] = field(default_factory=dict, repr=False)  # name_key -> value text

    def value(self, field_key: str) -> str | None:
        return self.keys.get(field_key)


def make_lead(data: object, where: str) -> Lead:
    """A lead from one mapping; `where` (file:line or file#row) names it in messages."""
    if not isinstance(data, Mapping):
        raise LeadError(f"{where}: a lead must be a mapping of lead field names to values")
    lead_type = data.get("lead_type")
    if not isinstance(lead_type, str) or not lead_type.strip():
        raise LeadError(f"{where}: the lead has no lead_type (the name of its lead type)")
    values: dict[str, str] = {}
    for key, value in data.items():
        if key in RESERVED:
            continue
        if isinstance(value, Mapping | list):
            raise LeadError(f"{where}: the value of {key} must be a single value")
        if value is None:
            continue  # an empty cell or `Age:` with nothing: the lead lacks the field
        values[str(key)] = text_of(value)
    at = data.get("at")
    name = data.get("lead_name")
    return Lead(str(name) if name is not None else where, lead_type.strip(), values,
                text_of(at) if at is not None else None,
                {name_key(k): v for k, v in values.items()})


def load_leads(path: Path) -> list[Lead]:
    """Every lead in a file: YAML or JSON (one mapping, or a list of them), or CSV (a header
    row, one lead per row)."""
    suffix = path.suffix.lower()
    if suffix not in LEAD_SUFFIXES:
        raise LeadError(f"{path}: lead files are .yaml, .yml, .json or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LeadError(f"cannot read {path}: {exc.strerror or exc}") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise LeadError(f"{path}: the CSV file has no header row")
        return [make_lead({k: (v if v != "" else None) for k, v in row.items() if k is not None},
                          f"{path}:{reader.line_num}") for row in reader]
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LeadError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
        items = data if isinstance(data, list) else [data]
        return [make_lead(item, f"{path}#{n}") for n, item in enumerate(items, start=1)]
    from lexsync.config.yamlio import load_yaml_file

    data, positions = load_yaml_file(path, str(path))
    items = data if isinstance(data, list) else [data]
    leads = []
    for n, item in enumerate(items):
        spot = positions.locate((n,) if isinstance(data, list) else ())
        leads.append(make_lead(item, str(spot) if spot else f"{path}#{n + 1}"))
    return leads
