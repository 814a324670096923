"""Validate merged YAML data against the models; pydantic errors become located diagnostics."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from lexsync.config.models import Configuration, fields_of
from lexsync.config.positions import Locator
from lexsync.errors import ConfigError, Diagnostic

_NOTHING = object()


def validate_configuration(data: object, positions: Locator, *,
                           sendable: bool = False) -> Configuration:
    """The Configuration, or ConfigError carrying one diagnostic per problem. `sendable`:
    no text can hold what LeadExec cannot store (`surely_sendable`), which is then not
    looked for value by value."""
    problems = [] if sendable else unsendable_text(data, positions)
    try:
        # by_name=False: YAML keys are the aliases only (`from`, never `from_`).
        model = Configuration.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise ConfigError(problems + translate_errors(exc, data, positions)) from exc
    if problems:
        raise ConfigError(problems)
    return model


# What LeadExec cannot hold as text: the characters XML 1.0 excludes (its SOAP bodies and
# every ASMX read are XML), lone surrogates (not characters at all), and a carriage return,
# which an XML read gives back as a line feed. Tab and line feed are fine.
_UNSENDABLE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def surely_sendable(yaml_texts: Iterable[str], inserted: Iterable[str]) -> bool:
    """Whether no key or text value read from `yaml_texts` (whole YAML files) and then
    interpolated with `inserted` (what references put in) can hold a character
    `unsendable_text` reports. Such a character in a value is written in its file, or comes
    from a double-quoted scalar's escape (`"\\r"`, `"\\x01"`: each needs a backslash), or
    was inserted: reading YAML adds nothing else but line feeds and spaces."""
    return not any("\\" in text or _UNSENDABLE.search(text) for text in yaml_texts) \
        and not any(_UNSENDABLE.search(text) for text in inserted)


def unsendable_text(data: object, positions: Locator) -> list[Diagnostic]:
    """A located diagnostic for each key or text value LeadExec could not store as written."""
    problems: list[Diagnostic] = []
    pending: list[tuple[object, tuple]] = [(data, ())]
    while pending:
        node, path = pending.pop()
        if isinstance(node, str):
            found = _UNSENDABLE.search(node)
            if found:
                problems.append(Diagnostic(_unsendable(found.group()), positions.locate(path),
                                           address=_dotted(path)))
            continue
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(key, str) and (found := _UNSENDABLE.search(key)):
                problems.append(Diagnostic(f"this key holds {_unsendable(found.group(), False)}",
                                           positions.locate_key((*path, key)),
                                           address=_dotted((*path, key))))
            pending.append((value, (*path, key)))
    return problems


def _unsendable(char: str, whole: bool = True) -> str:
    code = f"U+{ord(char):04X}"
    if char == "\r":
        what = (f"a carriage return ({code}), which LeadExec's XML reads give back as a line "
                "feed; use \\n for a new line")
    elif "\ud800" <= char <= "\udfff":
        what = f"a lone surrogate ({code}), which is not a character LeadExec can store"
    else:
        what = f"the control character {code}, which XML (and so LeadExec) cannot carry"
    return f"text holds {what}" if whole else what


def translate_errors(exc: ValidationError, data: object, positions: Locator) -> list[Diagnostic]:
    grouped: dict[tuple, list[ErrorDetails]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        at_key = error["type"] in ("missing", *_UNKNOWN_KEY) or loc[-1:] == ("[key]",)
        if loc[-1:] == ("[key]",):
            loc = loc[:-1]
        path = _data_path(loc, data, at_key)
        grouped.setdefault((path, at_key), []).append(error)
    diagnostics = []
    for (path, at_key), errors in grouped.items():
        where = positions.locate_key(path) if at_key else positions.locate(path)
        diagnostics.append(Diagnostic(_summary(path, errors), where, address=_dotted(path)))
    return diagnostics


def _data_path(loc: tuple, data: object, names_a_key: bool) -> tuple:
    """The part of pydantic's loc that exists in the data (drops union member names like 'str')."""
    path: list = []
    node: Any = data  # walked by the keys and indexes of pydantic's loc
    for part in loc:
        inside_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if inside_list or (isinstance(node, dict) and part in node):
            node = node[part]
        elif names_a_key and isinstance(node, dict) and len(path) == len(loc) - 1:
            path.append(part)  # a missing or unknown key: keep it, locate falls back to the parent
            break
        else:
            break
        path.append(part)
    return tuple(path)


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _summary(path: tuple, errors: list[ErrorDetails]) -> str:
    first = errors[0]
    kind, value = first["type"], first.get("input", _NOTHING)
    if kind in _UNKNOWN_KEY:
        return _unknown_key(path)
    if kind == "missing":
        return f"missing required key '{path[-1]}'"
    if kind == "literal_error":
        return _not_one_of(value, path)
    if len(errors) > 1 and all(e["type"].endswith("_type") or e["type"].endswith("_parsing") for e in errors):
        wanted = sorted({_EXPECTED.get(e["type"], e["type"]) for e in errors})
        return f"expected {' or '.join(wanted)}, got {_show(value)}"
    if kind == "string_type" and isinstance(value, int | float):
        # A YAML number or boolean is not its text: 02134 is the number 2134, 1.50 is 1.5.
        return f"expected a string, got {_show(value)} (quote it if it is meant as text)"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(value)} (LeadExec stores a Double)"
    if kind == "less_than_equal" and first.get("ctx", {}).get("le") in _STORED_AS:
        stored = _STORED_AS[first["ctx"]["le"]]
        return f"must be at most {first['ctx']['le']} (LeadExec stores it as {stored}), got {_show(value)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind == "string_pattern_mismatch" and first["loc"][-1:] == ("[key]",):
        return (f"the name {_show(value)} holds a '.', which separates the parts of an address "
                "(client.KEY.delivery_method.NAME); choose a name without one")
    if kind == "string_pattern_mismatch" and path and path[-1] in ("from", "to"):
        return f"expected a time HH:MM (00:00 to 24:00), got {_show(value)}"
    if kind in _BOUNDS:
        words, bound_key = _BOUNDS[kind]
        return f"must be {words} {first.get('ctx', {}).get(bound_key)}, got {_show(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return "needs at least one item"
    message = first["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


# A model's unknown key, and a dataclass's (models.leaf).
_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")

_STORED_AS = {2**31 - 1: "an Int32", 2**63 - 1: "an Int64"}

_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "list_type": "a list",
}


def _show(value: object) -> str:
    if value is _NOTHING:
        return "nothing"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _unknown_key(path: tuple) -> str:
    key = str(path[-1])
    allowed = _allowed_keys(path[:-1])
    hint = ""
    if allowed:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(allowed)})"
    return f"unknown key '{key}'{hint}"


def _not_one_of(value: object, path: tuple) -> str:
    choices = [str(c) for c in _literal_choices(_annotation_at(path))]
    if not choices:
        return f"{_show(value)} is not an allowed value"
    text = str(value)
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.6)
    if not close:  # case slips ("open") are the commonest mistake
        close = [c for c in choices if c.lower() == text.lower()]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"'{text}' is not one of {', '.join(choices)}{hint}"


def _allowed_keys(path: tuple) -> list[str]:
    fields = _fields_of(_annotation_at(path))
    return [info.alias or name for name, info in fields.items()]


def _annotation_at(path: tuple) -> Any:
    """The type annotation describing the value at a data path, or None when unknown."""
    annotation: Any = Configuration
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    return annotation


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _members(annotation):
        if isinstance(part, str):
            for name, info in _fields_of(candidate).items():
                if part in (name, info.alias):
                    return info.annotation
        origin = get_origin(candidate)
        if origin is dict:
            return get_args(candidate)[1]
        if origin is list and isinstance(part, int):
            return get_args(candidate)[0]
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (X | None), or the annotation itself."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _fields_of(annotation: Any) -> dict[str, FieldInfo]:
    """The fields of the model, or of the pydantic dataclass (models.leaf), that an annotation
    names (through X | None); none for anything else."""
    for candidate in _members(annotation):
        if isinstance(candidate, type) and (issubclass(candidate, BaseModel)
                                            or is_pydantic_dataclass(candidate)):
            return fields_of(candidate)
    return {}


def _literal_choices(annotation: Any) -> list[Any]:
    for candidate in _members(annotation):
        if get_origin(candidate) is Literal:
            return list(get_args(candidate))
    return []

