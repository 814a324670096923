"""`${env:NAME}` and `${file:path}` inside string values; `$${` is a literal `${`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lexsync.config.positions import Locator
from lexsync.config.yamlio import FileTooLarge, NotRegularFile, read_regular_file
from lexsync.errors import Diagnostic

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_WHOLE = re.compile(r"\$\{[^}]*\}")
MAX_INCLUDED_BYTES = 5 * 1024 * 1024
# How an interpolated text reads as a number or a boolean: YAML 1.2's core spellings, less
# the ones LeadExec cannot store (.inf, .nan) or lexsync would not send as written (0x1F, 0o17).
_INTEGER = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
             "FALSE": False}


class Reference(str):
    """The text of a value that was exactly one `${...}` reference (`price: ${env:PRICE}`).

    Where its key wants a number or a boolean, the models read it as YAML would have read the
    same text written in place (`typed`); anywhere else it is text, exactly as interpolated.
    A reference inside other text (`url: https://${env:HOST}/`) is always text."""

    def typed(self, wanted: type) -> object:
        """The text as `wanted` (int, float or bool) when it is spelled as one; else the text,
        which the model then refuses with the key's location."""
        text = str(self)
        if wanted is bool:
            return _BOOLEANS.get(text, text)
        if wanted is int:
            return int(text) if _INTEGER.fullmatch(text) else text
        if _INTEGER.fullmatch(text) or _FLOAT.fullmatch(text):
            return float(text)
        return text


@dataclass(frozen=True)
class Sources:
    """Where interpolated values come from for one file."""

    environ: Mapping[str, str]
    base_dir: Path  # the directory of the file being interpolated
    root: Path  # files outside this directory are refused ...
    allow_outside_files: bool = False  # ... unless this is set


def may_interpolate(yaml_text: str) -> bool:
    """Whether values read from `yaml_text` (a whole YAML file) can mention `${`: only where
    the text does, or where it holds a backslash (a double-quoted `"\\x24{"` writes one)."""
    return "${" in yaml_text or "\\" in yaml_text


def interpolate(data: object, positions: Locator, sources: Sources, *,
                inserted: list[str] | None = None) -> tuple[object, list[Diagnostic]]:
    """`data` with every string value interpolated, and the problems found. With `inserted`,
    every text a reference put in is appended to it (what the YAML did not write itself).

    Containers are changed in place (the reader builds fresh ones for every path, aliases
    included): copying every container of a large network costs more than the few values
    that mention `${`."""
    data, problems = interpolate_unlocated(data, sources, inserted=inserted)
    return data, [Diagnostic(summary, positions.locate(path)) for summary, path in problems]


def interpolate_unlocated(data: object, sources: Sources, *, inserted: list[str] | None = None
                          ) -> tuple[object, list[tuple[str, tuple]]]:
    """`interpolate`, each problem given with the path of its value rather than located: a
    location costs a second parse of the file, which a reader may need for few of them."""
    expander = _Expander(sources, [] if inserted is None else inserted)
    if isinstance(data, str):
        data = expander.expand(data, ())
    elif isinstance(data, (dict, list)):
        _walk(data, (), expander.expand)
    return data, expander.problems


class _Expander:
    """Expands one string's references, noting each problem with the string's path."""

    def __init__(self, sources: Sources, inserted: list[str]) -> None:
        self.sources = sources
        self.problems: list[tuple[str, tuple]] = []
        self.inserted = inserted

    def expand(self, text: str, path: tuple) -> str:
        if "${" not in text:
            return text
        if _WHOLE.fullmatch(text):
            return Reference(self._one(text[2:-1], path))

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            return self._one(match.group(1), path)

        return _TOKEN.sub(replace, text)

    def _one(self, reference: str, path: tuple) -> str:
        """The text `${reference}` stands for."""
        result, problem = _resolve(reference, self.sources)
        if problem:
            self.problems.append((problem, path))
        self.inserted.append(result)
        return result


_Expand = Callable[[str, tuple], str]


def _walk(container: dict | list, path: tuple, expand: _Expand) -> None:
    """Every string value below `container` (values and list items; keys are left alone)."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, value in items:
        if isinstance(value, str):
            if "${" in value:
                container[key] = expand(value, (*path, key))
        elif isinstance(value, (dict, list)):
            _walk(value, (*path, key), expand)


def _resolve(reference: str, sources: Sources) -> tuple[str, str | None]:
    """The text for one `${kind:arg}`, or an empty string and the problem."""
    kind, sep, arg = reference.partition(":")
    kind, arg = kind.strip(), arg.strip()
    if not sep or kind not in ("env", "file") or not arg:
        return "", (f"cannot interpolate '${{{reference}}}': use ${{env:NAME}} or ${{file:path}}"
                    " (write $${ for a literal ${)")
    if kind == "env":
        if arg not in sources.environ:
            return "", f"environment variable {arg} is not set (referenced as ${{env:{arg}}})"
        return sources.environ[arg], None
    return _read_file(arg, sources)


def _read_file(arg: str, sources: Sources) -> tuple[str, str | None]:
    target = (sources.base_dir / arg).resolve()
    if not sources.allow_outside_files and not target.is_relative_to(sources.root.resolve()):
        return "", (f"${{file:{arg}}} points outside the configuration directory "
                    f"{sources.root} (allow_outside_files is off)")
    try:
        raw = read_regular_file(target, MAX_INCLUDED_BYTES).decode("utf-8")
    except FileNotFoundError:
        return "", f"file {arg} not found (referenced as ${{file:{arg}}}, looked at {target})"
    except FileTooLarge:
        return "", f"${{file:{arg}}} is larger than 5 MB"
    except NotRegularFile:
        return "", (f"${{file:{arg}}} is not a regular file (a FIFO, device or directory); "
                    "only regular files can be included")
    except (OSError, UnicodeDecodeError) as exc:
        return "", f"cannot read {arg} (referenced as ${{file:{arg}}}): {exc}"
    content = raw.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it
    # A secret file usually ends with one newline the value must not contain.
    return content.removesuffix("\n"), None
