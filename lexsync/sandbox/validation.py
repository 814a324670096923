"""Declarative field specs and strict validation for both dialects.

REST bodies arrive as JSON (values already typed, so types are checked strictly); SOAP
bodies arrive as XML (values are text, so they are parsed the way .NET's XmlSerializer
would). Both end in the same typed dict, so the write logic never sees the dialect.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)

_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")
_FLOAT_RE = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

_DOTNET_TYPES = {
    "int": "System.Int64",
    "int32": "System.Int32",
    "double": "System.Double",
    "bool": "System.Boolean",
    "str": "System.String",
    "date": "System.DateTime",
    "intish": "System.Int64",
    "scalar": "System.String",
}


class ValidationError(Exception):
    """A request names a field wrongly; `path` is the dotted path of the offending field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # int int32 double bool str date name_enum int_enum intish scalar object list ignore
    required: bool = True
    choices: Collection[Any] | None = None
    enum_name: str = ""
    item: Schema | None = None
    item_tag: str = ""  # XML element name of one list item
    minimum: int | None = None


@dataclass(frozen=True)
class Schema:
    type_name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def format_date(value: datetime) -> str:
    """.NET-style round-trip text: no zone, fraction only when present, trailing zeros cut."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text


def parse_date(text: str) -> str | None:
    """ISO 8601 → zone-less wall-clock text (the wire's date convention), or None if invalid.

    A zone suffix is dropped and the wall-clock time kept, the way a .NET DateTime
    stored in a SQL `datetime` column loses its Kind (assumption, docs/sandbox.md).
    """
    text = text.strip()
    if not _DATE_RE.match(text):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    value = value.replace(tzinfo=None)
    return format_date(value)


class _Missing:
    pass


MISSING = _Missing()


def _type_error(path: str, value: Any, kind: str) -> ValidationError:
    return ValidationError(path, f"Could not convert value {value!r} to {_DOTNET_TYPES[kind]}.")


def _to_int(value: Any, path: str, kind: str, xml: bool) -> int:
    if xml:
        if not isinstance(value, str) or not _INT_RE.match(value):
            raise _type_error(path, value, kind)
        number = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, value, kind)
        number = value
    low, high = INT32 if kind == "int32" else INT64
    if not low <= number <= high:
        raise ValidationError(path, f"Value {number} is out of range for {_DOTNET_TYPES[kind]}.")
    return number


def coerce(value: Any, spec: Field, path: str, xml: bool, skip_unknown: bool = False) -> Any:
    """Check one value against its spec; return the typed value or MISSING (for null)."""
    if value is None:
        if spec.required:
            raise ValidationError(path, f"The {spec.name} field is required.")
        return MISSING
    kind = spec.kind
    if kind == "ignore":
        return MISSING
    if kind in ("int", "int32"):
        result: Any = _to_int(value, path, kind, xml)
    elif kind == "intish":
        # The reference types Setting.LeadFieldUID as string but its example sends 0.
        if isinstance(value, str) and _INT_RE.match(value):
            result = int(value)
        elif not xml and isinstance(value, int) and not isinstance(value, bool):
            result = value
        else:
            raise _type_error(path, value, kind)
    elif kind == "double":
        if xml:
            if not isinstance(value, str) or not _FLOAT_RE.match(value):
                raise _type_error(path, value, kind)
            result = float(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(path, value, kind)
            result = float(value)
        if not math.isfinite(result):
            raise _type_error(path, value, kind)
    elif kind == "bool":
        if xml:
            text = value.strip() if isinstance(value, str) else value
            if text not in ("true", "false", "1", "0"):
                raise _type_error(path, value, kind)
            result = text in ("true", "1")
        else:
            if not isinstance(value, bool):
                raise _type_error(path, value, kind)
            result = value
    elif kind == "str":
        if not isinstance(value, str):
            raise _type_error(path, value, kind)
        result = value
    elif kind == "scalar":
        # OfferAmount: typed string in the table, sent as a number in the example.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _type_error(path, value, kind)
        result = value
    elif kind == "date":
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise _type_error(path, value, kind)
        result = parsed
    elif kind == "name_enum":
        assert spec.choices is not None
        if not isinstance(value, str) or value not in spec.choices:
            raise ValidationError(
                path,
                f"Requested value {value!r} was not found in {spec.enum_name}. "
                f"Valid values: {', '.join(spec.choices)}.",
            )
        result = value
    elif kind == "int_enum":
        assert spec.choices is not None
        result = _to_int(value, path, "int32", xml)
        if result not in spec.choices:
            valid = ", ".join(str(c) for c in sorted(spec.choices))
            raise ValidationError(
                path, f"Value {result} is not a valid {spec.enum_name}. Valid values: {valid}."
            )
    elif kind == "object":
        assert spec.item is not None
        result = validate(value, spec.item, path, xml, skip_unknown)
    elif kind == "list":
        assert spec.item is not None
        if not isinstance(value, list):
            raise ValidationError(path, f"Expected an array for {spec.name}.")
        result = [validate(item, spec.item, f"{path}[{i}]", xml, skip_unknown)
                  for i, item in enumerate(value)]
    else:  # pragma: no cover - a spec typo
        raise AssertionError(f"unknown kind {kind}")
    if spec.minimum is not None and isinstance(result, int) and result < spec.minimum:
        raise ValidationError(path, f"Value {result} is below the minimum {spec.minimum}.")
    return result


def validate(data: Any, schema: Schema, prefix: str, xml: bool,
             skip_unknown: bool = False) -> dict[str, Any]:
    """Validate one object: no unknown members (with `skip_unknown`, they are ignored, as
    Json.NET's default does), required ones present, every value typed."""
    if not isinstance(data, Mapping):
        raise ValidationError(prefix, f"Expected an object of type '{schema.type_name}'.")
    if skip_unknown:
        data = {k: v for k, v in data.items() if schema.field(k) is not None}
    for key in data:
        if schema.field(key) is None:
            raise ValidationError(
                join(prefix, key),
                f"Could not find member '{key}' on object of type '{schema.type_name}'.",
            )
    out: dict[str, Any] = {}
    for spec in schema.fields:
        path = join(prefix, spec.name)
        if spec.name not in data:
            if spec.required:
                raise ValidationError(path, f"The {spec.name} field is required.")
            continue
        value = coerce(data[spec.name], spec, path, xml, skip_unknown)
        if value is not MISSING:
            out[spec.name] = value
    return out


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_to_data(elem: Element, schema: Schema, prefix: str, namespace: str,
                skip_unknown: bool = False) -> dict[str, Any]:
    """Turn an XmlSerializer-style element into the dict shape `validate` takes.

    Scalars become their text ("" for an empty element, None for xsi:nil); list fields
    become lists of item dicts. Every child must be in the service namespace. With
    `skip_unknown` (what XmlSerializer itself does), an element it does not know -- another
    namespace, an unknown member, a list item of another name -- is skipped silently.
    """
    data: dict[str, Any] = {}
    for child in elem:
        name = local_name(child.tag)
        path = join(prefix, name)
        spec = schema.field(name)
        if skip_unknown and (spec is None or child.tag != f"{{{namespace}}}{name}"):
            continue
        if child.tag != f"{{{namespace}}}{name}":
            raise ValidationError(path, f"Element '{name}' is not in namespace '{namespace}'.")
        if name in data:
            raise ValidationError(path, f"Element '{name}' appears more than once.")
        if spec is None:
            raise ValidationError(
                path, f"Could not find member '{name}' on object of type '{schema.type_name}'."
            )
        if child.get(XSI_NIL) in ("true", "1"):
            data[name] = None
        elif spec.kind == "ignore":
            data[name] = ""
        elif spec.kind == "object":
            assert spec.item is not None
            data[name] = xml_to_data(child, spec.item, path, namespace, skip_unknown)
        elif spec.kind == "list":
            assert spec.item is not None
            items: list[Any] = []
            for i, item in enumerate(child):
                item_name = local_name(item.tag)
                if item.tag != f"{{{namespace}}}{spec.item_tag}":
                    if skip_unknown:
                        continue
                    raise ValidationError(
                        f"{path}[{i}]",
                        f"Expected element '{spec.item_tag}', found '{item_name}'.",
                    )
                items.append(xml_to_data(item, spec.item, f"{path}[{len(items)}]", namespace,
                                         skip_unknown))
            data[name] = items
        else:
            if len(child):
                raise ValidationError(path, f"Element '{name}' must hold text, not elements.")
            data[name] = child.text or ""
    return data
